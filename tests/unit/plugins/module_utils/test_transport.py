"""Transport: classification of every outcome, retries with jittered backoff, redirects, headers, bounds."""
from __future__ import annotations

import pytest
import requests

from ansible_collections.clusterops.groups.plugins.module_utils import _transport
from ansible_collections.clusterops.groups.plugins.module_utils._errors import NodeRequestFailed, NodeUnavailable
from ansible_collections.clusterops.groups.plugins.module_utils._group_state import read_group_reply, send_group_write
from ansible_collections.clusterops.groups.plugins.module_utils._transport import (
    AMBIGUOUS, DECIDE, HARD, MAX_BODY_BYTES, MAX_REDIRECTS, OK, REDIRECT, NodeClient, backoff_delay, classify_status,
)
from ansible_collections.clusterops.groups.tests.unit.fake_http import FakeResponse, connection_error, read_timeout


@pytest.mark.parametrize("method, status, expected", [
    ("GET", 200, OK), ("GET", 204, OK), ("GET", 404, OK),
    ("POST", 201, OK), ("POST", 200, OK), ("DELETE", 200, OK), ("DELETE", 204, OK),
    ("POST", 400, DECIDE), ("POST", 409, DECIDE), ("DELETE", 404, DECIDE),
    ("GET", 500, AMBIGUOUS), ("POST", 500, AMBIGUOUS), ("DELETE", 503, AMBIGUOUS), ("POST", 429, AMBIGUOUS),
    ("GET", 408, AMBIGUOUS),
    ("GET", 401, HARD), ("POST", 403, HARD), ("POST", 415, HARD), ("DELETE", 422, HARD), ("GET", 400, HARD),
    ("DELETE", 400, HARD), ("POST", 404, HARD), ("GET", 405, HARD),
    ("GET", 307, REDIRECT), ("GET", 308, REDIRECT), ("GET", 301, REDIRECT),
    ("POST", 307, HARD), ("DELETE", 308, HARD),
])
def test_classification_uses_method_and_status_only(method: str, status: int, expected: str) -> None:
    assert classify_status(method, status) == expected


@pytest.mark.parametrize("error, expected", [
    (read_timeout(), AMBIGUOUS),
    (requests.exceptions.ConnectTimeout("connect timed out"), AMBIGUOUS),
    (connection_error(), AMBIGUOUS),
    (requests.exceptions.ChunkedEncodingError("closed"), AMBIGUOUS),
    (requests.exceptions.SSLError("certificate verify failed"), HARD),
    (requests.exceptions.InvalidHeader("bad header"), HARD),
])
def test_transport_errors_are_classified(make_client, error: Exception, expected: str) -> None:
    client, _session = make_client([error])
    reply = send_group_write(client, "POST", "g")
    assert reply.outcome == expected
    assert reply.status is None
    assert client.history == [{"method": "POST", "path": "/v1/group/", "status": None, "outcome": expected, "error": reply.error}]


def test_read_returns_on_first_conclusive_answer_and_sends_json_headers(make_client) -> None:
    client, session = make_client([200], bearer_token="s3cret")
    reply = read_group_reply(client, "grp")
    assert (reply.status, reply.outcome) == (200, OK)
    sent = session.sent[0]
    assert sent.url == "http://node1.example.com:8000/v1/group/grp/"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Accept"] == "application/json"
    assert sent.allow_redirects is False
    assert sent.timeout == (10.0, 10.0)
    assert client.request_count == 1


def test_bearer_token_goes_in_authorization_header_through_session_auth() -> None:
    client = NodeClient("http://127.0.0.1:1", bearer_token="tok-123")
    prepared = requests.Request("GET", "http://127.0.0.1:1/v1/group/x/").prepare()
    client.session.auth(prepared)
    assert prepared.headers["Authorization"] == "Bearer tok-123"
    assert NodeClient("http://127.0.0.1:1").session.auth is None


@pytest.mark.parametrize("validate_certs, ca_path, expected", [(True, None, True), (True, "/ca.pem", "/ca.pem"), (False, "/ca.pem", False)])
def test_verification_follows_options_on_every_request(make_client, validate_certs: bool, ca_path: str | None, expected: object) -> None:
    client, session = make_client([200], validate_certs=validate_certs, ca_path=ca_path)
    read_group_reply(client, "g")
    assert session.sent[0].verify == expected  # per request: REQUESTS_CA_BUNDLE would override a session-level verify


def test_path_prefix_and_url_encoding(make_client) -> None:
    client, session = make_client([404, 201], base_url="http://127.0.0.1:8000/node7/")
    read_group_reply(client, "a b/c?d#%é")
    send_group_write(client, "POST", "x")
    assert session.sent[0].url == "http://127.0.0.1:8000/node7/v1/group/a%20b%2Fc%3Fd%23%25%C3%A9/"
    assert session.sent[1].url == "http://127.0.0.1:8000/node7/v1/group/"
    assert session.sent[1].json == {"groupId": "x"}


def test_ambiguous_reads_are_retried_with_capped_full_jitter_backoff(make_client, sleeps) -> None:
    client, session = make_client([500, read_timeout(), connection_error(), 503, 200], retries=4, backoff_base=1.0,
                                  backoff_max=3.0, rng=lambda: 0.999)
    assert read_group_reply(client, "g").status == 200
    assert len(session.sent) == 5
    ceilings = [1.0, 2.0, 3.0, 3.0]
    assert len(sleeps.delays) == 4
    for delay, ceiling in zip(sleeps.delays, ceilings):
        assert 0.0 <= delay < ceiling
        assert delay == pytest.approx(0.999 * ceiling)


def test_backoff_delay_stays_within_bounds_for_random_draws() -> None:
    import random
    generator = random.Random(7)
    for retry_index in range(0, 200, 7):
        delay = backoff_delay(retry_index, 0.5, 8.0, generator.random)
        assert 0.0 <= delay < min(8.0, 0.5 * 2 ** retry_index)


def test_read_gives_up_after_retries_with_node_unavailable(make_client, sleeps) -> None:
    client, session = make_client([500, 500, 500], retries=2)
    with pytest.raises(NodeUnavailable) as caught:
        read_group_reply(client, "g")
    assert len(session.sent) == 3
    assert len(sleeps.delays) == 2
    result = caught.value.to_result()
    assert result["attempts"] == 3
    assert "http://node1.example.com:8000" in result["msg"] and "'g'" in result["msg"] and "HTTP 500" in result["msg"]


@pytest.mark.parametrize("status", [401, 403, 400, 405])
def test_hard_read_failures_are_not_retried(make_client, sleeps, status: int) -> None:
    client, session = make_client([(status, {}, b'{"error": "nope"}')])
    with pytest.raises(NodeRequestFailed) as caught:
        read_group_reply(client, "g")
    assert len(session.sent) == 1 and sleeps.delays == []
    assert caught.value.to_result()["status"] == status
    # an answer about credentials is the likeliest to echo them: its body is never shown
    assert ("nope" in caught.value.msg) is (status not in (401, 403))


def test_redirects_are_followed_for_get_and_slash_convention_is_learned(make_client) -> None:
    client, session = make_client([(307, {"Location": "/v1/group/g"}), 200, 404])
    assert read_group_reply(client, "g").status == 200
    assert read_group_reply(client, "h").status == 404
    assert session.calls() == [("GET", "/v1/group/g/"), ("GET", "/v1/group/g"), ("GET", "/v1/group/h")]
    assert [entry["outcome"] for entry in client.history] == [REDIRECT, OK, OK]


def test_too_many_redirects_is_a_hard_failure(make_client) -> None:
    script = [(308, {"Location": "/v1/group/g/"})] * (MAX_REDIRECTS + 1)
    client, session = make_client(script)
    with pytest.raises(NodeRequestFailed, match="too many redirects"):
        read_group_reply(client, "g")
    assert len(session.sent) == MAX_REDIRECTS + 1


@pytest.mark.parametrize("location, problem", [("https://elsewhere.example.com/v1/group/g/", "another origin"), (None, "without a Location")])
def test_unsafe_redirects_are_refused(make_client, location: str | None, problem: str) -> None:
    client, _session = make_client([(302, {"Location": location} if location else {})])
    with pytest.raises(NodeRequestFailed, match=problem):
        read_group_reply(client, "g")


def test_redirect_on_write_is_a_hard_failure_and_not_followed(make_client) -> None:
    client, session = make_client([(307, {"Location": "/v1/group"})])
    reply = send_group_write(client, "POST", "g")
    assert reply.outcome == HARD and "never replayed" in reply.error
    assert len(session.sent) == 1


def test_body_read_is_bounded_and_excerpt_is_one_short_line(make_client) -> None:
    huge = FakeResponse(500, b"<html>\n" + b"x" * (10 * MAX_BODY_BYTES))
    client, _session = make_client([huge])
    reply = send_group_write(client, "POST", "g")
    assert sum(huge.raw.read_sizes) == MAX_BODY_BYTES and max(huge.raw.read_sizes) < MAX_BODY_BYTES
    assert huge.closed
    assert len(reply.body_excerpt) < 300 and "\n" not in reply.body_excerpt


def test_token_never_appears_in_errors_or_history(make_client) -> None:
    client, _session = make_client([(401, {}, b"bad token tok-XYZ"), connection_error("oops tok-XYZ")], bearer_token="tok-XYZ")
    first = send_group_write(client, "POST", "g")
    second = send_group_write(client, "POST", "g")
    assert "tok-XYZ" not in first.reason() + second.reason() + repr(client.history)


ECHOED_TOKEN = "Zk9/aW1+Q2x1c3Rlck9wcy9zZWNyZXQ="


@pytest.mark.parametrize("status", [401, 403, 407])
def test_bodies_of_answers_about_credentials_are_never_read(make_client, status: int) -> None:
    answer = FakeResponse(status, b"you sent Bearer " + ECHOED_TOKEN.encode())
    client, _session = make_client([answer], bearer_token=ECHOED_TOKEN)
    reply = send_group_write(client, "POST", "g")
    assert reply.outcome == HARD and reply.body_excerpt == "" and answer.raw.read_sizes == [] and answer.closed


def test_an_echo_straddling_the_excerpt_cut_leaves_no_prefix(make_client) -> None:
    """Redacted before the cut: the old order (cut at 200, then replace the exact token) showed the first 30 characters."""
    echo = ("x" * 170 + '{"auth": "Bearer %s"}' % ECHOED_TOKEN.replace("/", "\\/")).encode()
    client, _session = make_client([(500, {}, echo)], bearer_token=ECHOED_TOKEN, retries=0)
    reply = send_group_write(client, "POST", "g")
    assert ECHOED_TOKEN[:12] not in reply.body_excerpt.replace("\\/", "/") and "x" * 170 in reply.body_excerpt


def test_a_redirect_refusal_never_shows_the_token_or_the_query_of_its_location(make_client) -> None:
    location = "https://elsewhere.example.com/%s/v1/group/g/?token=%s" % (ECHOED_TOKEN.replace("/", "%2F"), ECHOED_TOKEN)
    client, _session = make_client([(302, {"Location": location})], bearer_token=ECHOED_TOKEN)
    with pytest.raises(NodeRequestFailed, match="another origin") as caught:
        read_group_reply(client, "g")
    assert "elsewhere.example.com" in caught.value.msg and "token=" not in caught.value.msg
    assert ECHOED_TOKEN.replace("/", "%2F")[:12] not in caught.value.msg


def test_an_exception_quoting_the_token_is_redacted_before_it_is_cut(make_client) -> None:
    client, _session = make_client([connection_error("y" * 150 + " header Bearer " + ECHOED_TOKEN)], bearer_token=ECHOED_TOKEN)
    reply = send_group_write(client, "POST", "g")
    assert ECHOED_TOKEN[:12] not in reply.error and "y" * 140 in reply.error


def test_default_sleep_is_module_level_and_patchable(monkeypatch) -> None:
    calls: list[float] = []
    monkeypatch.setattr(_transport, "DEFAULT_SLEEP", calls.append)
    client = NodeClient("http://h", rng=lambda: 0.25, backoff_base=2.0)
    client.pause(0)
    assert calls == [0.5]
