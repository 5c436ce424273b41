"""A scripted stand-in for requests.Session, for unit tests of the transport and group semantics."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import requests

API_URL = "http://node1.example.com:8000"


class FakeRaw:
    def __init__(self, body: bytes) -> None:
        self._stream = io.BytesIO(body)
        self.read_sizes: list[int] = []

    def read(self, amount: int, decode_content: bool = True) -> bytes:
        self.read_sizes.append(amount)
        return self._stream.read(amount)


class FakeResponse:
    def __init__(self, status_code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.status_code = status_code
        self.headers = headers or {}
        self.raw = FakeRaw(body)
        self.closed = False

    def close(self) -> None:
        self.closed = True


@dataclass
class SentRequest:
    method: str
    url: str
    json: Any
    headers: dict[str, str]
    timeout: Any
    allow_redirects: bool
    verify: Any
    # the Authorization header the request's own auth callable set (NodeClient sends the token with each request)
    authorization: str | None = None


Step = Any  # an int status, (status, headers), (status, headers, body), an exception instance, or a FakeResponse


@dataclass
class FakeSession:
    """Answers requests from a script, in order; records what was sent. Past the script: IndexError."""

    script: list[Step]
    sent: list[SentRequest] = field(default_factory=list)
    auth: Any = None

    def request(self, method: str, url: str, json: Any = None, headers: dict[str, str] | None = None, timeout: Any = None,
                allow_redirects: bool = True, stream: bool = False, verify: Any = True, auth: Any = None) -> FakeResponse:
        self.sent.append(SentRequest(method, url, json, dict(headers or {}), timeout, allow_redirects, verify,
                                     _authorization(auth or self.auth)))
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, FakeResponse):
            return step
        if isinstance(step, int):
            return FakeResponse(step)
        return FakeResponse(step[0], step[2] if len(step) > 2 else b"", step[1])

    def calls(self) -> list[tuple[str, str]]:
        """(method, path) of every request sent."""
        return [(request.method, requests.utils.urlparse(request.url).path) for request in self.sent]


def _authorization(auth: Any) -> str | None:
    """The Authorization header an auth callable sets on a request (None without one)."""
    if auth is None:
        return None
    prepared = requests.Request("GET", "http://127.0.0.1/").prepare()
    return auth(prepared).headers.get("Authorization")


@dataclass
class SleepRecorder:
    delays: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def connection_error(text: str = "Connection reset by peer") -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(text)


def read_timeout() -> requests.exceptions.ReadTimeout:
    return requests.exceptions.ReadTimeout("Read timed out. (read timeout=10.0)")
