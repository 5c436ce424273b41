"""The total time bound of a request attempt (issue 30), over real sockets on 127.0.0.1: a listener that accepts
and never answers, and one that drips its status line. Outcomes are asserted, durations only as a generous bound."""
from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import typing as t

import pytest
import requests

from ansible_collections.clusterops.groups.plugins.module_utils import _request_deadline
from ansible_collections.clusterops.groups.plugins.module_utils._request_deadline import bounded_attempt, mount_deadline_adapter
from ansible_collections.clusterops.groups.plugins.module_utils._transport import AMBIGUOUS, NodeClient

SHORT = 0.3
# a hang would be minutes (every wait of the drip is short); anything under this bound is "ended"
ENDS_WITHIN = 10.0


class Server:
    """A TCP server on 127.0.0.1 whose answer is ``answer(connection)``; every connection closed at stop()."""

    def __init__(self, answer: t.Callable[[socket.socket, threading.Event], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.stopping = threading.Event()
        self.answer = answer
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.listener.getsockname()[1]

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            try:
                self.answer(connection, self.stopping)
            except OSError:
                pass  # the client hung up

    def stop(self) -> None:
        self.stopping.set()
        self.listener.close()


def silent(connection: socket.socket, stopping: threading.Event) -> None:
    stopping.wait(60)


def drip_status(connection: socket.socket, stopping: threading.Event) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nX-Drip: " + b"x" * 100000:
        if stopping.wait(0.02):
            return
        connection.sendall(bytes((byte,)))


def answer_200(connection: socket.socket, stopping: threading.Event) -> None:
    connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"groupId":"g"}')


def answer_200_then_silent(connection: socket.socket, stopping: threading.Event) -> None:
    answer_200(connection, stopping)
    connection.recv(65536)  # the next request on the kept-alive connection
    silent(connection, stopping)


@pytest.fixture(params=[silent, drip_status], ids=["silent", "drip-status"])
def hostile(request: pytest.FixtureRequest) -> t.Iterator[Server]:
    server = Server(request.param)
    yield server
    server.stop()


def watchdog_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "clusterops-request-deadline"]


def test_an_attempt_is_cut_at_its_time_and_no_watchdog_is_left(hostile: Server) -> None:
    session = mount_deadline_adapter(requests.Session())
    started = time.monotonic()
    with bounded_attempt(SHORT) as attempt:
        # each wait alone would take minutes to time out; a cut status line may even read as a whole one, which is
        # why the client asks attempt.expired before it trusts a status
        with contextlib.suppress(requests.RequestException):
            session.get(hostile.url, timeout=(30, 30))
    assert attempt.expired and time.monotonic() - started < ENDS_WITHIN
    assert watchdog_threads() == []


def test_the_client_reports_a_cut_attempt_as_an_ambiguous_timeout(hostile: Server) -> None:
    client = NodeClient(hostile.url, timeout=SHORT, retries=0)
    reply = client.send("GET", "/v1/group/g/")
    assert (reply.status, reply.outcome, reply.error) == (None, AMBIGUOUS, "timed out after %ss (total)" % SHORT)
    assert watchdog_threads() == []


def test_an_attempt_in_time_is_not_cut_and_its_connection_is_kept() -> None:
    server = Server(answer_200)
    try:
        session = mount_deadline_adapter(requests.Session())
        with bounded_attempt(5.0) as attempt:
            response = session.get(server.url + "/v1/group/g/", timeout=5)
        assert response.status_code == 200 and response.json() == {"groupId": "g"} and not attempt.expired
        assert watchdog_threads() == []
    finally:
        server.stop()


def test_concurrent_attempts_are_each_cut_by_one_shared_watchdog(hostile: Server) -> None:
    outcomes: list[bool] = []
    watchers: list[int] = []

    together = threading.Barrier(8)

    def one_request(seconds: float) -> None:
        session = mount_deadline_adapter(requests.Session())
        together.wait(ENDS_WITHIN)
        with bounded_attempt(seconds) as attempt:
            watchers.append(len(watchdog_threads()))
            with contextlib.suppress(requests.RequestException):
                session.get(hostile.url, timeout=30)
        outcomes.append(attempt.expired)

    threads = [threading.Thread(target=one_request, args=(SHORT * (1 + index % 3),)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(ENDS_WITHIN)
    # one thread for all (a thread per attempt would make 8); a second only if one retired while it was still exiting
    assert outcomes == [True] * 8 and max(watchers) <= 2
    assert watchdog_threads() == [] and not any(thread.is_alive() for thread in threads)


def test_a_socket_published_after_the_time_is_up_is_shut_at_once() -> None:
    left, right = socket.socketpair()
    with left, right:
        with bounded_attempt(0.0) as attempt:
            deadline = time.monotonic() + ENDS_WITHIN
            while not attempt.expired and time.monotonic() < deadline:
                time.sleep(0.01)
            _request_deadline._publish(left)
            left.settimeout(ENDS_WITHIN)
            assert left.recv(1) == b""  # shut down: end of stream at once, not a wait


def test_a_tls_handshake_that_never_ends_is_cut_too() -> None:
    """The TLS wrap detaches the socket published after connect: the watchdog holds a duplicate of its descriptor."""
    server = Server(silent)
    try:
        session = mount_deadline_adapter(requests.Session())
        started = time.monotonic()
        with bounded_attempt(SHORT) as attempt:
            with pytest.raises(requests.RequestException):
                session.get(server.url.replace("http://", "https://"), timeout=30)
        assert attempt.expired and time.monotonic() - started < ENDS_WITHIN
    finally:
        server.stop()


# Python 3.12+ warns about fork() in a process with threads: the very case this test makes on purpose
@pytest.mark.filterwarnings("ignore:.*fork:DeprecationWarning")
def test_a_process_forked_while_an_attempt_is_armed_bounds_its_own_requests() -> None:
    """Ansible forks its workers: the child has no watchdog thread and must not wait on the parent's."""
    server = Server(silent)
    try:
        parent = threading.Thread(target=NodeClient(server.url, timeout=1.0, retries=0).send, args=("GET", "/v1/group/g/"))
        parent.start()
        deadline = time.monotonic() + ENDS_WITHIN
        while not watchdog_threads() and time.monotonic() < deadline:
            time.sleep(0.01)
        child = os.fork()
        if child == 0:  # pragma: no cover - the child reports through its exit code only
            reply = NodeClient(server.url, timeout=SHORT, retries=0).send("GET", "/v1/group/g/")
            os._exit(0 if reply.error == "timed out after %ss (total)" % SHORT and not watchdog_threads() else 1)
        _pid, status = os.waitpid(child, 0)
        parent.join(ENDS_WITHIN)
        assert os.waitstatus_to_exitcode(status) == 0 and not parent.is_alive()
    finally:
        server.stop()


def test_a_kept_alive_connection_is_cut_when_its_next_request_stalls() -> None:
    """A connection from the pool was published when it was made, for another attempt: its next request publishes it
    again."""
    server = Server(answer_200_then_silent)
    try:
        session = mount_deadline_adapter(requests.Session())
        with bounded_attempt(5.0):
            assert session.get(server.url + "/v1/group/g/", timeout=5).json() == {"groupId": "g"}
        with bounded_attempt(SHORT) as attempt:
            with pytest.raises(requests.RequestException):
                session.get(server.url + "/v1/group/g/", timeout=30)
        assert attempt.expired and server.connections == 1
    finally:
        server.stop()
