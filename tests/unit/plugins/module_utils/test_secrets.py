"""Secrets never shown (issue 29): generated tokens, echoed by a node in every encoding and cut at every offset,
judged by the leak oracle of tests/unit/secret_leaks.py (written apart from the code under test)."""
from __future__ import annotations

import base64
import html
import json
import random
import re
import typing as t
from urllib.parse import quote, quote_plus

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._errors import BODY_EXCERPT_CHARS
from ansible_collections.clusterops.groups.plugins.module_utils._secrets import (
    REDACTED, SECRET_WINDOW, excerpt, redact, shown_fields, url_for_display,
)
from ansible_collections.clusterops.groups.tests.unit.secret_leaks import SEED, TOKEN_ALPHABETS, generated_tokens, leaks


def _unicode_escaped(text: str, template: str) -> str:
    return "".join(character if character.isalnum() else template % ord(character) for character in text)


def _base64(text: str, urlsafe: bool = False, padded: bool = True) -> str:
    encoded = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(text.encode()).decode()
    return encoded if padded else encoded.rstrip("=")


# how a node may echo the Authorization header (the header itself, as sent)
ECHOES: dict[str, t.Callable[[str], str]] = {
    "raw": lambda header: header,
    "json-php": lambda header: json.dumps({"Authorization": header}).replace("/", "\\/"),
    "json-unicode-lower": lambda header: _unicode_escaped(header, "\\u%04x"),
    "json-unicode-upper": lambda header: _unicode_escaped(header, "\\u%04X"),
    "quote": lambda header: quote(header, safe=""),
    "quote-keeps-slash": quote,
    "quote-plus": quote_plus,
    "quote-lower-hex": lambda header: re.sub("%[0-9A-F]{2}", lambda match: match.group().lower(), quote(header, safe="")),
    "html-references": lambda header: html.escape(header).replace("/", "&#x2F;").replace("+", "&#43;"),
    "query-of-json": lambda header: quote(json.dumps(header).replace("/", "\\/"), safe=""),
    "base64-header": _base64,
    "base64-header-urlsafe-unpadded": lambda header: _base64(header, urlsafe=True, padded=False),
    "base64-token": lambda header: _base64(header.split(" ", 1)[1]),
    "base64-token-urlsafe": lambda header: _base64(header.split(" ", 1)[1], urlsafe=True),
    "base64-of-json-body": lambda header: _base64(json.dumps({"headers": {"Authorization": header}})),
    "base64-in-php-json": lambda header: json.dumps({"echo": _base64(header)}).replace("/", "\\/"),
}


def test_the_oracle_sees_every_echo_before_redaction() -> None:
    """Without redaction each echo leaks: the oracle is no blind judge."""
    for token in generated_tokens("base64", 5):
        for name, echo in ECHOES.items():
            assert leaks("error: " + echo("Bearer " + token) + " end", token), name


@pytest.mark.parametrize("kind", sorted(TOKEN_ALPHABETS))
@pytest.mark.parametrize("echo_name", sorted(ECHOES))
def test_no_window_of_the_token_survives_any_echo(kind: str, echo_name: str) -> None:
    for token in generated_tokens(kind, 40):
        body = "node says: %s; retry later" % ECHOES[echo_name]("Bearer " + token)
        shown = redact(body, [token])
        assert leaks(shown, token) == [], (token, shown)
        assert REDACTED in shown and shown.endswith("; retry later") or echo_name == "base64-of-json-body", shown


@pytest.mark.parametrize("kind", sorted(TOKEN_ALPHABETS))
@pytest.mark.parametrize("echo_name", sorted(ECHOES))
def test_an_echo_straddling_the_cut_at_every_offset_leaks_no_prefix(kind: str, echo_name: str) -> None:
    """The old order (cut, then replace the exact token) leaked the part before the cut: now redaction comes first."""
    for token in generated_tokens(kind, 3):
        echoed = ECHOES[echo_name]("Bearer " + token)
        for offset in range(max(0, BODY_EXCERPT_CHARS - len(echoed)), BODY_EXCERPT_CHARS + 1):
            shown = excerpt("x" * offset + echoed + " tail", [token])
            assert leaks(shown, token) == [], (offset, shown)


@pytest.mark.parametrize("kind", sorted(TOKEN_ALPHABETS))
def test_any_fragment_of_twelve_characters_or_more_is_removed(kind: str) -> None:
    """A node that cut the token itself (a log line, a column) still leaks nothing that long, in any encoding."""
    rng = random.Random(SEED)
    for token in generated_tokens(kind, 60):
        length = rng.randint(SECRET_WINDOW, len(token))
        start = rng.randint(0, len(token) - length)
        fragment = token[start:start + length]
        for name in ("raw", "json-php", "json-unicode-upper", "quote", "quote-lower-hex", "html-references"):
            shown = redact("seen: " + ECHOES[name](fragment) + " .", [token])
            assert leaks(shown, token) == [] and REDACTED in shown, (name, fragment, shown)


def test_ordinary_text_and_short_fragments_are_kept() -> None:
    token = generated_tokens("base64", 1)[0]
    text = "HTTP 500 Internal Server Error: database unavailable, try again (%s)" % token[:SECRET_WINDOW - 1]
    assert redact(text, [token]) == text
    assert redact(text, []) == redact(text, [None, ""]) == text
    assert excerpt("  two\n lines  ", [token]) == "two lines"


def test_every_secret_is_removed_and_adjacent_echoes_become_one_marker() -> None:
    first, second = generated_tokens("hex", 2)
    assert redact("a %s%s b %s" % (first, quote(first), second), [first, second]) == "a %s b %s" % (REDACTED, REDACTED)


def test_redaction_of_a_large_escaped_body_stays_cheap() -> None:
    """The transport redacts every failed request's body: bounded to MAX_SCANNED_CHARS before the work starts."""
    token = generated_tokens("base64", 1)[0]
    shown = excerpt("%2F" * 30000 + ECHOES["json-php"]("Bearer " + token), [token])
    assert shown.startswith("%2F%2F") and len(shown) == BODY_EXCERPT_CHARS + 3


@pytest.mark.parametrize("url, shown", [
    ("https://user:pw@h:1/p", "https://h:1/p"),
    ("http://h/p", "http://h/p"),
    ("http://h/prefix/", "http://h/prefix/"),
    ("http://h/p?token=s3cret#frag", "http://h/p"),
    ("http://h/p#token=s3cret", "http://h/p"),
    ("http://h/p%3Ftoken=s3cret", "http://h/p"),
    ("http://h/p%3ftoken=s3cret", "http://h/p"),
    ("http://h/p%23token=s3cret", "http://h/p"),
    ("node1.example.com?token=s3cret", "node1.example.com"),
    ("http://[::1", "<URL not shown: it cannot be parsed>"),
])
def test_url_for_display_drops_userinfo_query_and_fragment(url: str, shown: str) -> None:
    assert url_for_display(url) == shown


def test_shown_fields_drop_secrets_and_show_urls_without_credentials() -> None:
    result = {"api_token": "t", "invocation": {}, "token": "t", "msg": "m", "api_url": "http://u:p@h/?t=1", "node_url": "http://h#x"}
    assert shown_fields(result) == {"msg": "m", "api_url": "http://h/", "node_url": "http://h"}
