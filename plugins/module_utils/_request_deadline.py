# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""A total time bound per HTTP request attempt (connect, status line, headers, body), internal to this collection.

``requests``' ``timeout=(connect, read)`` bounds each socket wait, not the response: a node that sends its status
line one byte at a time keeps every wait short and a request running forever. Here one watchdog thread (shared by
the process, started while an attempt is armed, gone when none is) shuts down the socket of an attempt whose time
is up; ``shutdown(SHUT_RDWR)`` wakes a thread blocked in ``recv`` (plain or TLS), so the request fails at once.

    with bounded_attempt(seconds) as attempt:
        session.request(...)          # a Session with ``DeadlineAdapter`` mounted (``mount_deadline_adapter``)
    attempt.expired                   # True when the watchdog cut it

The socket reaches the attempt through the connection class of the adapter's pools: it publishes its socket (a
duplicate of the descriptor, so the TLS wrap that detaches the raw socket cannot hide it, and a descriptor reused
after requests closes its own is never touched) to the attempt armed in the same thread (a Session serves one
thread: the module's, or one worker's in the cluster-wide engine).
"""
from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
import typing as t

try:
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
except ImportError:  # reported by the modules through _transport.HAS_REQUESTS
    HTTPAdapter = HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = object

# A retiring watchdog exits as soon as it is woken; this only guards against a wedged interpreter.
WATCHDOG_JOIN_SECONDS = 1.0


class Attempt:
    """One request attempt's time bound and the sockets it used; only the watchdog sets ``expired``."""

    def __init__(self, seconds: float) -> None:
        self.expires_at = time.monotonic() + max(0.0, seconds)
        self.expired = False
        self.sockets: list[socket.socket] = []

    def cut(self) -> None:
        """Called with the watchdog's lock held: wake whatever waits on this attempt's sockets."""
        self.expired = True
        for sock in self.sockets:
            _shutdown(sock)


class _Watchdog:
    """One thread for every armed attempt of the process: it sleeps until the earliest expiry (no thread per
    request, which at thousands of requests costs more than the requests on a local network)."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.armed: set[Attempt] = set()
        self.thread: threading.Thread | None = None
        self.wake_at = math.inf

    def arm(self, attempt: Attempt) -> None:
        with self.lock:
            self.armed.add(attempt)
            if self.thread is None:
                self.thread = threading.Thread(target=self._watch, name="clusterops-request-deadline", daemon=True)
                self.thread.start()
            elif attempt.expires_at < self.wake_at:
                self.lock.notify()

    def disarm(self, attempt: Attempt) -> None:
        """Forget ``attempt``; the last one out retires the thread and joins it, so none outlives its attempts."""
        with self.lock:
            self.armed.discard(attempt)
            retiring = self.thread if not self.armed else None
            if retiring is not None:
                self.thread = None  # the next arm starts a new thread: this one only has to exit
                self.lock.notify()
        if retiring is not None and retiring is not threading.current_thread():
            retiring.join(WATCHDOG_JOIN_SECONDS)

    def attach(self, attempt: Attempt, sock: socket.socket) -> None:
        with self.lock:
            attempt.sockets.append(sock)
            if attempt.expired:  # connected after its time was up: no request may start on it
                _shutdown(sock)

    def _watch(self) -> None:
        me = threading.current_thread()
        with self.lock:
            while self.thread is me:
                now = time.monotonic()
                for attempt in [attempt for attempt in self.armed if attempt.expires_at <= now]:
                    self.armed.discard(attempt)
                    attempt.cut()
                # a scan, not a heap: at most one attempt per worker thread is armed
                self.wake_at = min((attempt.expires_at for attempt in self.armed), default=math.inf)
                self.lock.wait(None if self.wake_at == math.inf else self.wake_at - now)


WATCHDOG = _Watchdog()
_CURRENT = threading.local()


def _reset_after_fork() -> None:
    # a forked child (Ansible forks its workers) has none of the parent's threads, and maybe a lock held by one of them
    global WATCHDOG  # pylint: disable=global-statement
    WATCHDOG = _Watchdog()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


@contextlib.contextmanager
def bounded_attempt(seconds: float) -> t.Iterator[Attempt]:
    """Bound everything the block sends through a deadline-adapted Session in this thread to ``seconds`` in all."""
    attempt = Attempt(seconds)
    WATCHDOG.arm(attempt)
    _CURRENT.attempt = attempt
    try:
        yield attempt
    finally:
        _CURRENT.attempt = None
        WATCHDOG.disarm(attempt)
        for sock in attempt.sockets:
            sock.close()


def _publish(sock: socket.socket | None) -> None:
    attempt = getattr(_CURRENT, "attempt", None)
    if attempt is None or sock is None:
        return
    try:
        duplicate = socket.fromfd(sock.fileno(), sock.family, sock.type)
    except OSError:
        return  # already closed: nothing left to wait on
    WATCHDOG.attach(attempt, duplicate)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the peer or requests closed it first


class _PublishingConnectionMixin:
    """Publishes the socket to the thread's attempt: a new one right after TCP connect (so a TLS handshake is bounded
    too), a kept-alive one when the next request starts on it."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        _publish(sock)
        return sock

    def putrequest(self, *args: t.Any, **kwargs: t.Any) -> None:
        _publish(getattr(self, "sock", None))
        super().putrequest(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_PublishingConnectionMixin, HTTPConnection):  # type: ignore[misc,valid-type]
    pass


class _HTTPSConnection(_PublishingConnectionMixin, HTTPSConnection):  # type: ignore[misc,valid-type]
    pass


class _HTTPConnectionPool(HTTPConnectionPool):  # type: ignore[misc,valid-type]
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):  # type: ignore[misc,valid-type]
    ConnectionCls = _HTTPSConnection


class DeadlineAdapter(HTTPAdapter):  # type: ignore[misc,valid-type]
    """requests' HTTPAdapter whose pools publish their sockets to ``bounded_attempt`` (proxies included, SOCKS
    excepted: its pools are its own)."""

    def init_poolmanager(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _use_publishing_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: t.Any) -> t.Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            _use_publishing_pools(manager)
        return manager


def _use_publishing_pools(manager: t.Any) -> None:
    manager.pool_classes_by_scheme = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}


def mount_deadline_adapter(session: t.Any, **adapter_kwargs: t.Any) -> t.Any:
    """Mount a DeadlineAdapter (``HTTPAdapter`` keyword arguments) for http and https on ``session``; returns it."""
    adapter = DeadlineAdapter(**adapter_kwargs)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
