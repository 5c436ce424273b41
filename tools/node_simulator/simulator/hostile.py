"""A small hostile HTTP server for the bad-input catalogue: it never behaves like a node.

    with HostileServer("html_200") as server:
        server.url          # http://127.0.0.1:PORT
        server.log          # [(method, path), ...] of every request received
        server.writes()     # the POST/DELETE requests among them

Modes: html_200 (200 with an HTML page), redirect_loop (307 to itself, forever), redirect_elsewhere (307 to
another origin), redirect_other_group / redirect_other_prefix / redirect_up (308 to another path on the same
origin: another group's item, the same id under /v2/, the collection; that path answers 200 with a group body),
other_group_200 (200 with a JSON body naming another group), huge_body (500 with a 32 MiB body), slow_drip (500 whose body drips one byte every 20 ms,
bounded to DRIP_BYTES), endless_drip (the same drip with no end: it stops when the client hangs up, and
server.dripped_bytes() says how much the client waited for), close (closes the connection without answering),
garbage (not HTTP at all).
Total-time modes (every socket wait is short or there is nothing to read, so only a bound on the whole request stops a
client): drip_status (the status line, then a header that never ends, one byte every 20 ms), silent (accepts the
request, never answers); both stop when the client hangs up.
"""
from __future__ import annotations

import itertools
import json
import select
import threading
import time
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("html_200", "redirect_loop", "redirect_elsewhere", "redirect_other_group", "redirect_other_prefix",
         "redirect_up", "other_group_200", "huge_body", "slow_drip", "endless_drip", "close", "garbage")
TOTAL_TIME_MODES = ("drip_status", "silent")
MODES += TOTAL_TIME_MODES
OTHER_GROUP = "someone-elses-group"
# same origin, another path: the 200 there is another resource's (redirect_up: the collection itself)
OTHER_PATH_REDIRECTS = {"redirect_other_group": "/v1/group/%s/" % OTHER_GROUP, "redirect_other_prefix": "/v2/group/%s/",
                        "redirect_up": "/v1/group/"}
HUGE_BODY_BYTES = 32 * 1024 * 1024
CHUNK = b"x" * 65536
DRIP_BYTES = 60
DRIP_INTERVAL_SECONDS = 0.02
HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>Welcome</title></head>\n<body><h1>It works!</h1></body></html>\n"


class _HostileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    server: _Server

    def log_message(self, format: str, *args: t.Any) -> None:  # pylint: disable=redefined-builtin
        """Quiet: server.log is the record."""

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        with self.server.lock:
            self.server.log.append((self.command, self.path))
        getattr(self, "_" + self.server.mode)()

    do_POST = do_PUT = do_DELETE = do_GET

    def _head(self, status: int, length: int, content_type: str = "text/plain", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _html_200(self) -> None:
        self._head(200, len(HTML_PAGE), "text/html; charset=utf-8")
        self.wfile.write(HTML_PAGE)

    def _redirect_loop(self) -> None:
        self._head(307, 0, Location=self.path)

    def _redirect_elsewhere(self) -> None:
        self._head(307, 0, Location="http://127.0.0.2:9" + self.path)

    def _redirect_other_group(self) -> None:
        self._redirect_to_other_path(OTHER_PATH_REDIRECTS[self.server.mode])

    _redirect_other_prefix = _redirect_up = _redirect_other_group

    def _redirect_to_other_path(self, template: str) -> None:
        item = self.path.rstrip("/").rsplit("/", 1)[-1]
        target = template % item if "%s" in template else template
        if self.command == "GET" and self.path == target:
            self._group_200(OTHER_GROUP)
        else:
            self._head(308, 0, Location=target)

    def _other_group_200(self) -> None:
        self._group_200(OTHER_GROUP)

    def _group_200(self, group_id: str) -> None:
        body = json.dumps({"groupId": group_id}).encode()
        self._head(200, len(body), "application/json")
        self.wfile.write(body)

    def _huge_body(self) -> None:
        self._head(500, HUGE_BODY_BYTES, Connection="close")
        try:
            for _chunk in range(HUGE_BODY_BYTES // len(CHUNK)):
                self.wfile.write(CHUNK)
        except OSError:
            self.close_connection = True  # the client stopped reading: expected

    def _slow_drip(self) -> None:
        self._drip(DRIP_BYTES)

    def _endless_drip(self) -> None:
        self._drip(None)

    def _drip(self, total: int | None) -> None:
        # Connection: close, or a client may reuse the socket for its retry in the instant before we close it
        self._head(500, total if total is not None else HUGE_BODY_BYTES, Connection="close")
        self._drip_bytes(itertools.repeat(ord("x"), total) if total is not None else itertools.repeat(ord("x")))

    def _drip_bytes(self, data: t.Iterable[int]) -> None:
        try:
            for byte in data:
                if self.server.stopping.wait(DRIP_INTERVAL_SECONDS):
                    break
                self.wfile.write(bytes((byte,)))
                self.wfile.flush()
                with self.server.lock:
                    self.server.dripped += 1
        except OSError:
            pass  # the client hung up: what we want to see
        self.close_connection = True

    def _drip_status(self) -> None:
        # a header line may be 64 KiB long: at a byte per 20 ms this response would take 22 minutes to start. A 200:
        # a client that believed the status of a response cut short would read "the group exists"
        self._drip_bytes(itertools.chain(b"HTTP/1.1 200 OK\r\nX-Drip: ", itertools.repeat(ord("x"))))

    def _silent(self) -> None:
        while not self.server.stopping.wait(DRIP_INTERVAL_SECONDS):
            readable = select.select([self.connection], [], [], 0)[0]
            if readable and not self.connection.recv(1, 0):
                break  # the client hung up
        self.close_connection = True

    def _close(self) -> None:
        self.close_connection = True

    def _garbage(self) -> None:
        self.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _HostileHandler)
        self.mode = mode
        self.log: list[tuple[str, str]] = []
        self.dripped = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()


class HostileServer:
    """Serves ``mode`` on 127.0.0.1 (a port the kernel picks) from construction until stop()."""

    def __init__(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError("mode must be one of %s, not %r" % (MODES, mode))
        self._server = _Server(mode)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self._server.server_address[1]

    def dripped_bytes(self) -> int:
        with self._server.lock:
            return self._server.dripped

    @property
    def log(self) -> list[tuple[str, str]]:
        with self._server.lock:
            return list(self._server.log)

    def writes(self) -> list[tuple[str, str]]:
        return [entry for entry in self.log if entry[0] in ("POST", "DELETE", "PUT", "PATCH")]

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def wait_for(condition: t.Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.01)
    return condition()
