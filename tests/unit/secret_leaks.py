"""Secret leak oracle and generated tokens (issue 29), shared by unit and integration tests.

``leaks`` is written apart from the code under test (plugins/module_utils/_secrets.py): it decodes a text with the
standard library (percent, JSON, HTML, nested twice, then base64 at every offset) and looks for any
``WINDOW``-character fragment of the token, case-insensitively.
"""
from __future__ import annotations

import base64
import html
import os
import random
import re
import string
import typing as t
from urllib.parse import unquote

# the rule: no fragment of the token this long may appear in any form
WINDOW = 12
SEED = 29
BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{%d,}" % WINDOW)
TOKEN_ALPHABETS = {
    "base64": string.ascii_letters + string.digits + "+/",
    "urlsafe": string.ascii_letters + string.digits + "-_",
    "hex": "0123456789abcdef",
}


def generated_tokens(kind: str, count: int, seed: int = SEED) -> list[str]:
    """``count`` random tokens of ``kind``, 16 to 64 characters; a base64 token always holds ``/`` and ``+``
    (the characters JSON and percent encoders rewrite), and sometimes its ``=`` padding."""
    rng = random.Random("%s-%s" % (seed, kind))
    tokens = []
    for _index in range(count):
        length = rng.randint(16, 64)
        token = [rng.choice(TOKEN_ALPHABETS[kind]) for _position in range(length)]
        if kind == "base64":
            token[rng.randrange(length // 2)], token[length // 2 + rng.randrange(length // 2)] = "/", "+"
            token += ["="] * rng.randint(0, 2)
        tokens.append("".join(token))
    return tokens


def _json_unescaped(text: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda match: chr(int(match.group(1), 16)), text).replace("\\/", "/")


def _base64_decodings(text: str) -> list[str]:
    decoded = []
    for run in BASE64_RUN.findall(text):
        for start in range(4):
            chunk = run[start:].translate(str.maketrans("-_", "+/"))
            chunk = chunk[:len(chunk) // 4 * 4]
            decoded.append(base64.b64decode(chunk).decode("latin-1"))
    return decoded


def leaks(output: str, token: str) -> list[str]:
    """Every 12-character window of ``token`` found in ``output`` or in a decoding of it (case-insensitive)."""
    texts = {output}
    for _depth in range(2):
        texts |= {decode(text) for text in texts for decode in (unquote, html.unescape, _json_unescaped)}
    texts |= {decoded for text in list(texts) for decoded in _base64_decodings(text)}
    folded = [text.lower() for text in texts]
    windows = {token[start:start + WINDOW].lower() for start in range(len(token) - WINDOW + 1)}
    return sorted(window for window in windows if any(window in text for text in folded))


def files_leaking(token: str, *directories: t.Any) -> list[str]:
    """The files under ``directories`` whose text leaks ``token`` in any form."""
    found = []
    for directory in directories:
        for root, _dirs, files in os.walk(directory):
            for name in files:
                with open(os.path.join(root, name), "rb") as handle:
                    if leaks(handle.read().decode("utf-8", "replace"), token):
                        found.append(os.path.join(root, name))
    return found
