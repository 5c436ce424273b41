# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""HTTP to one node, internal to this collection: one requests Session, timeouts (each attempt bounded in total by
``_request_deadline``), backoff (and Retry-After), classification, same-path redirects, bounded bodies. It knows
REST conventions, not what the API is about: paths and bodies come from the caller (the group layer,
``_group_state.py``), which also owns the retry loops.

Every request's outcome is classified from its status code (never its body) into one of:
``ok`` (conclusive), ``decide`` (only a read can tell what happened), ``ambiguous`` (the request may or may
not have been applied: retry, after a read for writes), ``hard`` (no retry can help), ``redirect`` (GET only).
"""
from __future__ import annotations

import email.utils
import random
import time
import traceback
import typing as t
from dataclasses import dataclass, field
from datetime import timezone
from urllib.parse import urljoin, urlsplit

from ansible_collections.clusterops.groups.plugins.module_utils._errors import BODY_EXCERPT_CHARS
from ansible_collections.clusterops.groups.plugins.module_utils._request_deadline import (
    Attempt, bounded_attempt, mount_deadline_adapter,
)
from ansible_collections.clusterops.groups.plugins.module_utils._secrets import CREDENTIAL_STATUSES, excerpt, redact, url_for_display

try:
    import requests
    from requests import exceptions as requests_errors
    from urllib3.exceptions import HTTPError as Urllib3Error
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

OK = "ok"
DECIDE = "decide"
AMBIGUOUS = "ambiguous"
HARD = "hard"
REDIRECT = "redirect"

MAX_BODY_BYTES = 64 * 1024
MAX_CHUNK_BYTES = 16 * 1024
MAX_REDIRECTS = 5
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}

# Tests replace this (monkeypatch) or pass sleep= so that they never sleep for real.
DEFAULT_SLEEP: t.Callable[[float], None] = time.sleep


def classify_status(method: str, status: int) -> str:
    """Classify one HTTP status for ``method``; the comments say why each class is (not) retried."""
    if 200 <= status < 300:
        return OK
    if method == "GET" and status == 404:
        return OK  # conclusive: the resource does not exist
    if method == "POST" and status in (400, 409):
        return DECIDE  # the node API documents 400 as "Perhaps the object exists" (409: the same said plainly)
    if method == "DELETE" and status == 404:
        return DECIDE  # 404 may mean "already absent": only a read tells
    if status >= 500:
        return AMBIGUOUS  # "500 for unknown reasons": a write may have been applied before it failed
    if status in (408, 429):
        return AMBIGUOUS  # request timeout / rate limit: transient, and a GET settles whether a write landed
    if 300 <= status < 400:
        return REDIRECT if method == "GET" else HARD  # never replay a write to another URL blindly
    return HARD  # 401/403 (token), 415/422 (body refused), other 4xx: the same request will fail again


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """The wait a Retry-After header asks for (RFC 9110: delta-seconds or an HTTP date, ``now`` the epoch time):
    None when absent or unreadable (the backoff alone then decides), 0 for a date already past."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)  # an HTTP date is always GMT
    return max(0.0, when.timestamp() - now)


def backoff_delay(retry_index: int, base: float, cap: float, rng: t.Callable[[], float]) -> float:
    """Exponential backoff with a cap and full jitter: uniform in [0, min(cap, base * 2**retry_index))."""
    ceiling = min(cap, base * (2.0 ** min(retry_index, 64)))
    return rng() * ceiling


@dataclass
class Reply:
    """One HTTP exchange (or the failure to have one), as recorded in ``history``."""

    method: str
    path: str
    status: int | None
    outcome: str
    error: str | None = None
    location: str | None = None
    body_excerpt: str = ""
    body: bytes = b""  # a successful GET's body (at most MAX_BODY_BYTES), empty otherwise
    hint: str = ""  # what to do about this status (NodeClient.status_hints)
    retry_after: float | None = None  # seconds a retried status asked us to wait (its Retry-After header)

    def history_entry(self) -> dict[str, t.Any]:
        return {"method": self.method, "path": self.path, "status": self.status, "outcome": self.outcome, "error": self.error}

    def reason(self) -> str:
        """What went wrong, for a message: the error or status, the caller's hint for that status, a body excerpt."""
        parts = [self.error or "HTTP %s" % self.status]
        if self.hint:
            parts.append(self.hint)
        if self.body_excerpt:
            parts.append("body: %s" % self.body_excerpt)
        return "; ".join(parts)


@dataclass
class NodeClient:
    """A client for one node's API; ``history`` lists every request sent (no headers, no token)."""

    base_url: str
    bearer_token: str | None = None
    validate_certs: bool = True
    ca_path: str | None = None
    timeout: float = 10.0
    retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    sleep: t.Callable[[float], None] | None = None
    rng: t.Callable[[], float] = random.random
    session: t.Any = None
    history: list[dict[str, t.Any]] = field(default_factory=list)
    # time.monotonic() after which no request starts; request timeouts and backoff sleeps are capped to it
    deadline: float | None = None
    # a hint per status, appended to a failure's reason (the caller's words: option names, env vars)
    status_hints: t.Mapping[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.node_url = url_for_display(self.base_url)
        self._item_path_has_slash = True  # until a redirect shows that this node's GET paths have no trailing slash
        if self.sleep is None:
            self.sleep = DEFAULT_SLEEP
        # passed on every request: a Session-level verify loses to REQUESTS_CA_BUNDLE (requests issue 3829)
        self.verify: bool | str = (self.ca_path or True) if self.validate_certs else False
        # sent with every request, so a Session shared between nodes (the cluster-wide pool) never carries this token
        self.auth = _bearer_auth(self.bearer_token) if self.bearer_token else None
        if self.session is None:
            self.session = _new_session(self.bearer_token, self.verify)

    @property
    def request_count(self) -> int:
        return len(self.history)

    @property
    def max_attempts(self) -> int:
        return 1 + self.retries

    def pause(self, retry_index: int, reply: Reply | None = None) -> None:
        """Sleep before retry number ``retry_index`` (0 = first retry): the backoff delay, or longer when ``reply``
        (the one being retried) asked so with Retry-After; never more than backoff_max, never past the deadline."""
        delay = backoff_delay(retry_index, self.backoff_base, self.backoff_max, self.rng)
        if reply is not None and reply.retry_after is not None:
            # a 429/503 that says when to come back: sooner is refused again, later than backoff_max the user refused
            delay = min(max(delay, reply.retry_after), self.backoff_max)
        time_left = self.time_left()
        self.sleep(delay if time_left is None else min(delay, time_left))

    def time_left(self) -> float | None:
        """Seconds until the deadline (0 once it passed), or None without a deadline."""
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def send(self, method: str, path: str, body: dict[str, t.Any] | None = None) -> Reply:
        """One request to ``path`` under the node's base URL, never retried (the caller owns retries and decides
        what an unclear write did). A GET follows redirects on the same path and learns the node's trailing-slash
        convention for later GETs; a write is never redirected."""
        if method != "GET":
            return self._send_once(method, self.base_url + path, body)
        if not self._item_path_has_slash and path.endswith("/"):
            path = path[:-1]
        return self._get_following_redirects(self.base_url + path)

    def _get_following_redirects(self, url: str) -> Reply:
        for _hop in range(MAX_REDIRECTS + 1):
            reply = self._send_once("GET", url)
            if reply.outcome != REDIRECT:
                return reply
            target = urljoin(url, reply.location or "")
            refusal = _redirect_refusal(url, target, reply.location)
            if refusal:  # the Location is the node's text: it may carry the token in its path
                return Reply("GET", reply.path, reply.status, HARD, error=self.redact(refusal))
            self._learn_slash_convention(url, target)
            url = target
        return Reply("GET", reply.path, reply.status, HARD, error="too many redirects (more than %d)" % MAX_REDIRECTS)

    def _learn_slash_convention(self, url: str, target: str) -> None:
        source_path, target_path = urlsplit(url).path, urlsplit(target).path
        if source_path.rstrip("/") == target_path.rstrip("/") and source_path != target_path:
            self._item_path_has_slash = target_path.endswith("/")

    def _send_once(self, method: str, url: str, body: dict[str, t.Any] | None = None) -> Reply:
        path = urlsplit(url).path
        time_left = self.time_left()
        if time_left is not None and time_left <= 0:
            # hard: no retry can help; a write's caller still resolves (or reports unknown) what it may have done
            reply = Reply(method, path, None, HARD, error="deadline reached: %s not sent" % method)
            self.history.append(reply.history_entry())
            return reply
        timeout = self.timeout if time_left is None else min(self.timeout, time_left)
        # the (connect, read) timeout bounds each wait; the attempt's watchdog bounds the whole exchange
        with bounded_attempt(timeout) as attempt:
            reply = self._attempt(method, url, path, body, timeout, attempt)
        self.history.append(reply.history_entry())
        return reply

    def _attempt(self, method: str, url: str, path: str, body: dict[str, t.Any] | None, timeout: float,
                 attempt: Attempt) -> Reply:
        try:
            response = self.session.request(method, url, json=body, headers=JSON_HEADERS, timeout=(timeout, timeout),
                                            allow_redirects=False, stream=True, verify=self.verify, auth=self.auth)
        except Exception as error:  # pylint: disable=broad-exception-caught
            if attempt.expired:  # whatever the cut socket raised (reset, TLS EOF), it is a timeout, and as unclear
                return _timed_out(method, path, timeout)
            return Reply(method, path, None, _classify_exception(error), error=_describe_exception(error, timeout, self.excerpt))
        if attempt.expired:
            # cut while the status line or headers came in: a cut line reads as a complete one, so the status says nothing
            response.close()
            return _timed_out(method, path, timeout)
        reply = self._reply_from_response(method, path, response, timeout)
        if reply.outcome == AMBIGUOUS:
            reply.retry_after = retry_after_seconds(response.headers.get("Retry-After"), time.time())
        return reply

    def _reply_from_response(self, method: str, path: str, response: t.Any, timeout: float) -> Reply:
        outcome = classify_status(method, response.status_code)
        body = b""
        # an answer about credentials is the likeliest to echo them: its body is not even read
        if response.status_code not in CREDENTIAL_STATUSES and (outcome != OK or (method == "GET" and response.status_code == 200)):
            body = _read_bounded(response, timeout)  # a 200's body says which resource answered (the caller checks)
        body_excerpt = "" if outcome == OK else self.excerpt(body.decode("utf-8", "replace"))
        response.close()
        error = None if outcome in (OK, REDIRECT) else "HTTP %d" % response.status_code
        if outcome == HARD and 300 <= response.status_code < 400:
            error = "HTTP %d redirect on %s refused: a write is never replayed to another URL" % (response.status_code, method)
        if outcome == OK and method == "GET" and response.status_code < 300 and _is_html(response):
            # a web page, not the API (wrong base URL, captive portal): "200" would claim the resource exists
            outcome = HARD
            error = "HTTP %d with an HTML page instead of the node API: check that the node's base URL is its API" % response.status_code
        return Reply(method, path, response.status_code, outcome, error=error, location=response.headers.get("Location"),
                     body_excerpt=body_excerpt, body=body if outcome == OK else b"",
                     hint=self.status_hints.get(response.status_code, ""))

    def redact(self, text: str) -> str:
        """``text`` (a node's words) without this client's token in any form."""
        return redact(text, (self.bearer_token,))

    def excerpt(self, text: str, limit: int = BODY_EXCERPT_CHARS) -> str:
        """``text`` as one short line without this client's token in any form (redacted before the cut)."""
        return excerpt(text, (self.bearer_token,), limit)


def _timed_out(method: str, path: str, timeout: float) -> Reply:
    # ambiguous like a read timeout: the node may have applied a write before it stalled
    return Reply(method, path, None, AMBIGUOUS, error="timed out after %ss (total)" % round(timeout, 3))


def _redirect_refusal(url: str, target: str, location: str | None) -> str | None:
    """Why a redirect is not followed, or None. Only the trailing-slash convention may differ: a redirect to another
    path answers for another resource (its 200 must never read as "ours exists")."""
    if not location:
        return "redirect without a Location header"
    source, destination = urlsplit(url), urlsplit(target)
    if (source.scheme, source.netloc) != (destination.scheme, destination.netloc):
        return "redirect to another origin (%s) refused; give the node's real address" % url_for_display(target)
    if source.path.rstrip("/") != destination.path.rstrip("/"):
        return "redirect to another path (%s) refused: only a trailing slash may differ" % url_for_display(target)
    return None


def _new_session(bearer_token: str | None, verify: bool | str) -> t.Any:
    session = requests.Session()
    session.verify = verify
    mount_deadline_adapter(session)  # every request attempt bounded in total time (_request_deadline)
    if bearer_token:
        # an auth callable (not a default header) so that requests never replaces it with .netrc credentials
        session.auth = _bearer_auth(bearer_token)
    return session


def _bearer_auth(bearer_token: str) -> t.Callable[[t.Any], t.Any]:
    def add_bearer_header(prepared_request: t.Any) -> t.Any:
        prepared_request.headers["Authorization"] = "Bearer " + bearer_token
        return prepared_request
    return add_bearer_header


def _is_html(response: t.Any) -> bool:
    return "html" in str(response.headers.get("Content-Type") or "").lower()


def _read_bounded(response: t.Any, seconds: float) -> bytes:
    """At most MAX_BODY_BYTES, for at most ``seconds``: a huge, endless or dripping body (only ever an error's
    excerpt: it decides nothing) must cost neither memory nor time. The read timeout alone would not bound a drip:
    it limits each wait, and a byte every few milliseconds keeps every wait short."""
    deadline = time.monotonic() + seconds
    # read1 returns what one socket read brought (urllib3 2); read(amt) would wait for amt bytes
    read_some = getattr(response.raw, "read1", None) or response.raw.read
    chunks: list[bytes] = []
    size = 0
    try:
        while size < MAX_BODY_BYTES and time.monotonic() < deadline:
            chunk = read_some(min(MAX_CHUNK_BYTES, MAX_BODY_BYTES - size), decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except (Urllib3Error, OSError, ValueError):
        pass
    return b"".join(chunks)


def _classify_exception(error: BaseException) -> str:
    if isinstance(error, requests_errors.SSLError):
        return HARD  # certificate problems do not heal with retries
    if isinstance(error, (requests_errors.InvalidURL, requests_errors.InvalidHeader, requests_errors.InvalidSchema,
                          requests_errors.MissingSchema)):
        return HARD
    # timeouts, resets, closed connections, truncated responses: the request may have been applied
    return AMBIGUOUS


def _describe_exception(error: BaseException, timeout: float, shown: t.Callable[[str, int], str]) -> str:
    """One line about a failed exchange; ``shown`` (NodeClient.excerpt) redacts what the error quotes, then cuts it."""
    if isinstance(error, requests_errors.SSLError):
        return "TLS verification failed (set ca_path to the node's CA bundle): %s" % shown(str(error), 160)
    if isinstance(error, requests_errors.Timeout):
        return "timed out after %ss (%s)" % (timeout, type(error).__name__)
    text = str(error)
    for symptom in ("Connection refused", "Connection reset", "RemoteDisconnected", "Connection aborted",
                    "Name or service not known", "No route to host", "IncompleteRead", "ProtocolError"):
        if symptom in text:
            return "%s: %s" % (type(error).__name__, symptom)
    return "%s: %s" % (type(error).__name__, shown(text, 160))
