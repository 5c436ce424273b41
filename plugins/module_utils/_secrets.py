# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""Secrets never shown: the one place that decides what of a node's text, or of a URL, may be shown or recorded.

A node (hostile, compromised, or just verbose) may echo the request's ``Authorization`` header in an error body:
raw, JSON-escaped (PHP's ``json_encode`` writes ``\\/`` for ``/``, others ``\\u002f``), percent-encoded, as HTML
character references, in base64, or cut anywhere. ``redact`` removes every fragment of a secret of
``SECRET_WINDOW`` characters or more in each of these forms (nested up to ``DECODE_PASSES`` deep); ``excerpt``
redacts and only then cuts, so that a cut never leaves a prefix of the token behind. ``url_for_display`` is the
one way a URL is shown or recorded. Callers never search for a token themselves.
"""
from __future__ import annotations

import base64
import bisect
import functools
import re
import string
import typing as t
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.clusterops.groups.plugins.module_utils._errors import BODY_EXCERPT_CHARS, one_line

REDACTED = "<redacted>"
# A fragment this long is worth hiding: shorter ones (a cut at the end of a scanned text) cannot be guessed back
# into a token, and hiding them would mangle ordinary words.
SECRET_WINDOW = 12
# Only the start of a body is ever shown: scanning 64 KiB for every fragment of a token on every failed request
# would cost more than the request. Whatever lies beyond is never shown.
MAX_SCANNED_CHARS = 16 * 1024
# JSON inside a percent-encoded query inside HTML: each pass undoes one layer of escaping.
DECODE_PASSES = 3
# Answers about credentials echo them more than any other: their bodies are never shown.
CREDENTIAL_STATUSES = frozenset((401, 403, 407))
# Fields of a result that are never recorded; fields that hold a URL, recorded as url_for_display shows it.
SECRET_FIELDS = frozenset(("api_token", "invocation", "token"))
URL_FIELDS = frozenset(("api_url", "node_url"))
UNPARSABLE_URL = "<URL not shown: it cannot be parsed>"

# one escaped character: \u002f, \/ \" \\, %2F (any case), &#x2f; &#47;, &amp; &quot; &lt; &gt; &apos;
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\([\"\\/])|%([0-9a-fA-F]{2})|&#[xX]([0-9a-fA-F]{1,6});|&#([0-9]{1,7});"
                     r"|&(amp|quot|lt|gt|apos);")
_NAMED_REFERENCES = {"amp": "&", "quot": '"', "lt": "<", "gt": ">", "apos": "'"}
# a query or fragment hidden in a path as %3F / %23: what follows it is as secret as a real query
ENCODED_QUERY_OR_FRAGMENT = re.compile(r"%(?:3f|23)", re.IGNORECASE)
# Echoes may change case (a hex token upper-cased): compare ASCII case-insensitively, length-preserving.
_FOLD_CASE = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def url_for_display(url: object) -> str:
    """The URL as it may be shown or recorded: no userinfo, query or fragment (a credential may ride in any of
    them), nor what follows a percent-encoded ``?`` or ``#`` in the path."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return UNPARSABLE_URL
    path = ENCODED_QUERY_OR_FRAGMENT.split(parts.path, maxsplit=1)[0]
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], path, "", ""))


def redact(text: str, secrets: t.Iterable[str | None]) -> str:
    """``text`` with every fragment of ``SECRET_WINDOW`` characters or more of each secret replaced by REDACTED, in
    every encoding listed in this file's docstring (in base64, the whole ``Bearer <secret>`` header goes)."""
    fragments = _fragments(tuple(sorted({secret for secret in secrets if secret})))
    if not fragments or not text:
        return text
    layers = _decoding_layers(text)
    spans: list[tuple[int, int]] = []
    for depth in range(len(layers) + 1):
        searched = layers[depth - 1].text if depth else text
        for start, end in _occurrences(searched.translate(_FOLD_CASE), fragments):
            for layer in reversed(layers[:depth]):
                start, end = layer.original(start), layer.original(end)
            spans.append((start, end))
    return _masked(text, spans)


def excerpt(text: str, secrets: t.Iterable[str | None], limit: int = BODY_EXCERPT_CHARS) -> str:
    """``text`` as one short line without any secret: redacted first, cut after (a cut first leaves a prefix)."""
    return one_line(redact(text[:MAX_SCANNED_CHARS], secrets), limit)


def shown_fields(data: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """A result as it may be recorded: secret fields dropped, URL fields as ``url_for_display`` shows them."""
    return {key: url_for_display(value) if key in URL_FIELDS and isinstance(value, str) else value
            for key, value in data.items() if key not in SECRET_FIELDS}


class _Layer:
    """One decoding pass over a text: the decoded text, and where each decoded escape came from (to map back)."""

    def __init__(self, text: str) -> None:
        pieces: list[str] = []
        self.escapes: list[tuple[int, int, int]] = []  # (index in the decoded text, start and end in the input)
        position = decoded_length = 0
        for match in _ESCAPE.finditer(text):
            character = _decoded(match)
            if character is None:
                continue
            pieces.append(text[position:match.start()])
            decoded_length += match.start() - position
            self.escapes.append((decoded_length, match.start(), match.end()))
            pieces.append(character)
            decoded_length += 1
            position = match.end()
        pieces.append(text[position:])
        self.text = "".join(pieces)
        self._decoded_indexes = [escape[0] for escape in self.escapes]

    def original(self, index: int) -> int:
        """Where the decoded character at ``index`` (or the end, ``len(text)``) starts in this layer's input."""
        found = bisect.bisect_right(self._decoded_indexes, index) - 1
        if found < 0:
            return index
        decoded_index, start, end = self.escapes[found]
        return start if decoded_index == index else end + index - decoded_index - 1


def _decoded(match: t.Match[str]) -> str | None:
    unicode_escape, json_escape, percent, hex_reference, decimal_reference, named = match.groups()
    if json_escape or named:
        return json_escape or _NAMED_REFERENCES[named]
    code = int(unicode_escape or percent or hex_reference or "0", 16) if decimal_reference is None else int(decimal_reference)
    return chr(code) if code < 0x110000 else None


def _decoding_layers(text: str) -> list[_Layer]:
    layers: list[_Layer] = []
    for _pass in range(DECODE_PASSES):
        layer = _Layer(layers[-1].text if layers else text)
        if not layer.escapes:
            break
        layers.append(layer)
    return layers


@functools.lru_cache(maxsize=32)
def _fragments(secrets: tuple[str, ...]) -> frozenset[str]:
    """Every ``SECRET_WINDOW``-character window (case-folded) of each secret and of its base64 forms."""
    fragments: set[str] = set()
    for secret in secrets:
        # the base64 of the whole header too: it then disappears entirely, not only the token's part of it
        for form in (secret, *_base64_forms(secret), *_base64_forms("Bearer " + secret)):
            width = min(SECRET_WINDOW, len(form))
            fragments.update(form[start:start + width].translate(_FOLD_CASE) for start in range(len(form) - width + 1))
    return frozenset(fragment for fragment in fragments if fragment)


def _base64_forms(secret: str) -> list[str]:
    """The characters of base64 that only the secret decides, at each of the 3 byte alignments it may have inside
    a longer encoded text (``Bearer `` puts it at offset 7), in the standard and the URL-safe alphabet."""
    raw = secret.encode("utf-8")
    forms = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        # leading characters mix in bits of what precedes the secret, a trailing one bits of what follows it
        first, last = (shift * 8 + 5) // 6, (shift + len(raw)) * 8 // 6
        forms.append(encoded[first:last])
    return forms + [form.translate(str.maketrans("+/", "-_")) for form in forms]


def _occurrences(text: str, fragments: frozenset[str]) -> t.Iterator[tuple[int, int]]:
    for fragment in fragments:
        start = text.find(fragment)
        while start >= 0:
            yield start, start + len(fragment)
            start = text.find(fragment, start + 1)


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each run of overlapping or touching spans replaced by one REDACTED."""
    pieces, position = [], 0
    for start, end in sorted(spans):
        if start > position or not pieces:
            pieces.extend([text[position:start], REDACTED])
        position = max(position, end)
    return "".join(pieces) + text[position:] if spans else text
