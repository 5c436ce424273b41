# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""Connection options shared by every module that talks to a node: argspec, validation, client factory.

Documented once in plugins/doc_fragments/connection.py.
"""
from __future__ import annotations

import math
import os
import typing as t
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput
from ansible_collections.clusterops.groups.plugins.module_utils._group_state import GROUP_COLLECTION_PATH
from ansible_collections.clusterops.groups.plugins.module_utils._secrets import ENCODED_QUERY_OR_FRAGMENT, url_for_display
from ansible_collections.clusterops.groups.plugins.module_utils._transport import NodeClient

TOKEN_ENV_VAR = "CLUSTEROPS_API_TOKEN"
MAX_TIMEOUT_SECONDS = 3600.0
MAX_RETRIES = 100
MAX_BACKOFF_SECONDS = 3600.0
OPTION_TO_CLIENT_FIELD = {"api_url": "base_url", "api_token": "bearer_token"}
# what to do about a status, in the words of our options; shown after the error
STATUS_HINTS = {
    401: "check api_token (or %s)" % TOKEN_ENV_VAR,
    403: "the token is not allowed to do this",
    415: "the node refused the request's Content-Type",
    422: "the node refused the request's body",
}
# The one table of connection defaults: the argspec, the validation below, the transport's own defaults and the doc
# fragment (plugins/doc_fragments/connection.py) follow it (tests/unit/plugins/module_utils/test_connection_options.py).
CONNECTION_DEFAULTS: t.Mapping[str, t.Any] = {"validate_certs": True, "timeout": 10.0, "retries": 3, "backoff_base": 0.5,
                                              "backoff_max": 8.0}
CONNECTION_OPTION_NAMES = ("api_url", "api_token", "validate_certs", "ca_path", "timeout", "retries", "backoff_base", "backoff_max")


def connection_argument_spec() -> dict[str, dict[str, t.Any]]:
    """A fresh copy of the shared argspec (callers may extend it)."""
    return {
        "api_url": {"type": "str", "required": True},
        "api_token": {"type": "str", "no_log": True, "fallback": (env_fallback, [TOKEN_ENV_VAR])},
        "validate_certs": {"type": "bool", "default": CONNECTION_DEFAULTS["validate_certs"]},
        "ca_path": {"type": "path"},
        "timeout": {"type": "float", "default": CONNECTION_DEFAULTS["timeout"]},
        "retries": {"type": "int", "default": CONNECTION_DEFAULTS["retries"]},
        "backoff_base": {"type": "float", "default": CONNECTION_DEFAULTS["backoff_base"]},
        "backoff_max": {"type": "float", "default": CONNECTION_DEFAULTS["backoff_max"]},
    }


def validate_connection_options(params: dict[str, t.Any]) -> dict[str, t.Any]:
    """Return the connection options, checked and normalized; raise InvalidInput on the first problem."""
    backoff_base = _number(params, "backoff_base", minimum=0.0, maximum=MAX_BACKOFF_SECONDS)
    return {
        "api_url": validate_api_url(params.get("api_url")),
        "api_token": _token(params.get("api_token")),
        "validate_certs": _boolean(params, "validate_certs"),
        "ca_path": _ca_path(params.get("ca_path")),
        "timeout": _number(params, "timeout", minimum=0.0, maximum=MAX_TIMEOUT_SECONDS, exclusive_minimum=True),
        "retries": _retries(params.get("retries")),
        "backoff_base": backoff_base,
        "backoff_max": _number(params, "backoff_max", minimum=backoff_base, maximum=MAX_BACKOFF_SECONDS),
    }


def tls_warnings(validate_certs: object, node_urls: t.Sequence[object], limit: int = 10) -> list[str]:
    """The warnings of a task that talked to ``node_urls``: one line when validate_certs is false, naming the nodes
    (the first ``limit`` of them, without credentials)."""
    if validate_certs is not False or not node_urls:
        return []
    urls = [url_for_display(url) for url in node_urls]
    shown = ", ".join(urls[:limit]) + (" and %d more" % (len(urls) - limit) if len(urls) > limit else "")
    return ["validate_certs is false: the TLS certificate of node %s is not verified (anyone on the path can "
            "impersonate it); give ca_path instead" % shown]


def build_client(params: dict[str, t.Any], sleep: t.Callable[[float], None] | None = None) -> NodeClient:
    """Validate the connection options in ``params`` and return a client for that node."""
    return NodeClient(sleep=sleep, **client_settings(validate_connection_options(params)))


def client_settings(connection: dict[str, t.Any]) -> dict[str, t.Any]:
    """Validated connection options in the transport's words (it knows no option names)."""
    settings = {OPTION_TO_CLIENT_FIELD.get(name, name): value for name, value in connection.items()}
    settings["status_hints"] = STATUS_HINTS
    return settings


def validate_api_url(url: object) -> str:
    """A node base URL: http(s), a host, optional port and path prefix; no credentials, query or fragment."""
    if not isinstance(url, str) or not url:
        raise InvalidInput("api_url is required: the node's base URL, e.g. http://node1.example.com or https://node1:8443/prefix",
                           option="api_url")
    shown = url_for_display(url)  # a refusal never echoes a credential, a query or a fragment
    if any(character.isspace() or ord(character) < 32 for character in url):
        raise InvalidInput("api_url %r contains whitespace or control characters" % shown, option="api_url")
    if "://" not in url:
        raise InvalidInput("api_url %r has no scheme: write http://%s or https://%s" % (shown, shown, shown), option="api_url")
    parts = urlsplit(url)
    _check_url_parts(parts, url, shown)
    return url.rstrip("/")


def _check_url_parts(parts: t.Any, url: str, shown: str) -> None:
    def refuse(problem: str) -> t.NoReturn:
        raise InvalidInput("api_url %r %s" % (shown, problem), option="api_url")

    if parts.scheme.lower() not in ("http", "https"):
        refuse("has scheme %r: use http:// or https://" % parts.scheme)
    if "@" in parts.netloc:
        refuse("contains credentials: remove user:password@ and pass the token in api_token (or %s)" % TOKEN_ENV_VAR)
    if not parts.hostname:
        refuse("has no host")
    try:
        port = parts.port
    except ValueError:
        refuse("has an invalid port: use a number from 1 to 65535")
    if port == 0:
        refuse("has an invalid port: use a number from 1 to 65535")
    if "?" in url or "#" in url:
        refuse("must not contain a query (?) or fragment (#): pass the token in api_token (or %s)" % TOKEN_ENV_VAR)
    if ENCODED_QUERY_OR_FRAGMENT.search(parts.path):
        # requests would send it as a path: the node answers 404 and the URL, query and all, lands in the message
        refuse("must not contain a percent-encoded query (%3F) or fragment (%23) in its path")
    if parts.path.rstrip("/").endswith(GROUP_COLLECTION_PATH.rstrip("/")):
        refuse("ends with %s: give the node's base URL, the module adds the API path" % GROUP_COLLECTION_PATH.rstrip("/"))


def _token(token: object) -> str | None:
    if token is None or token == "":
        return None
    # never echo the token: say only what kind of problem it has
    if not isinstance(token, str) or any(not 33 <= ord(character) <= 126 for character in token):
        raise InvalidInput("api_token must be printable ASCII without spaces or line breaks (value not shown)", option="api_token")
    return token


def _ca_path(ca_path: object) -> str | None:
    if ca_path in (None, ""):
        return None
    if not isinstance(ca_path, str) or not os.path.exists(ca_path):
        raise InvalidInput("ca_path %r does not exist: give a PEM CA bundle file or a hashed CA directory" % (ca_path,), option="ca_path")
    return ca_path


def _boolean(params: dict[str, t.Any], option: str) -> bool:
    value = params.get(option)
    if value is None:
        return CONNECTION_DEFAULTS[option]
    if not isinstance(value, bool):
        raise InvalidInput("%s must be true or false, got %r" % (option, value), option=option)
    return value


def _retries(value: object) -> int:
    if value is None:
        return CONNECTION_DEFAULTS["retries"]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RETRIES:
        raise InvalidInput("retries must be an integer from 0 to %d, got %r" % (MAX_RETRIES, value), option="retries")
    return value


def _number(params: dict[str, t.Any], option: str, minimum: float, maximum: float, exclusive_minimum: bool = False) -> float:
    value = params.get(option)
    if value is None:
        value = CONNECTION_DEFAULTS[option]
    valid = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if valid:
        valid = (value > minimum if exclusive_minimum else value >= minimum) and value <= maximum
    if not valid:
        bound = "greater than" if exclusive_minimum else "at least"
        raise InvalidInput("%s must be a number %s %s and at most %s (seconds), got %r" % (option, bound, minimum, maximum, value),
                           option=option)
    return float(value)
