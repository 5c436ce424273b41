"""HTTP servers on 127.0.0.1 and the one accept loop that serves all of them."""
from __future__ import annotations

import selectors
import socket
import socketserver
import ssl
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any

from .handler import SimulatorHandler
from .node import Node

QUIET_ERRORS = (OSError, ssl.SSLError, ConnectionError, ValueError)


class SimulatorServer(ThreadingHTTPServer):
    """Serves one node (ports layout) or every node under /nodeN (prefix layout) on one port."""

    daemon_threads = True
    # Many parallel clients connect to the one port of the prefix layout at once.
    request_queue_size = 1024

    def __init__(self, cluster: Any, stop_event: threading.Event, ssl_context: ssl.SSLContext | None) -> None:
        self.cluster = cluster
        self.stop_event = stop_event
        self.ssl_context = ssl_context
        self.single_node: Node | None = None
        self._tracked_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        super().__init__(("127.0.0.1", 0), SimulatorHandler)
        self.socket.setblocking(False)

    def server_bind(self) -> None:
        # Skip HTTPServer's getfqdn(): a reverse lookup per port is slow and useless here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def base_url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.server_port}"

    def resolve_node(self, raw_path: str) -> tuple[Node, str, str] | None:
        """(node, prefix, node-relative path) for a request path, or None when it names no node."""
        if self.single_node is not None:
            return self.single_node, "", raw_path
        path, question_mark, query = raw_path.partition("?")
        name, _slash, rest = path.lstrip("/").partition("/")
        node = self.cluster.nodes.get(name)
        if node is None:
            return None
        return node, f"/{name}", f"/{rest}{question_mark}{query}"

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        sock.setblocking(True)
        if self.ssl_context is not None:
            # The handshake happens in the handler's thread, so a slow client never blocks accepting.
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self._tracked_lock:
            self._connections.add(sock)
        return sock, address

    def accept_one(self) -> None:
        try:
            request, address = self.get_request()
        except OSError:
            return
        try:
            self.process_request(request, address)
        except Exception:  # pylint: disable=broad-exception-caught
            self.shutdown_request(request)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        current = threading.current_thread()
        with self._tracked_lock:
            self._handler_threads.add(current)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._tracked_lock:
                self._handler_threads.discard(current)

    def shutdown_request(self, request: Any) -> None:
        with self._tracked_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if self.stop_event.is_set() or isinstance(error, QUIET_ERRORS):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Wake every handler blocked on its socket; the handlers then end on their own."""
        with self._tracked_lock:
            connections = list(self._connections)
        for sock in connections:
            try:
                # The plain socket's shutdown, so a TLS socket's state is left to its own thread.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def join_handlers(self, deadline: float) -> None:
        with self._tracked_lock:
            threads = list(self._handler_threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class AcceptLoop:
    """One thread accepting on every listening socket, so 200 ports do not need 200 polling threads
    and stopping does not wait for each server's poll interval."""

    def __init__(self, servers: list[SimulatorServer]) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._selector.register(self._wake_reader, selectors.EVENT_READ, None)
        for server in servers:
            self._selector.register(server.socket, selectors.EVENT_READ, server)
        self._thread = threading.Thread(target=self._run, name="simulator-accept", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            for key, _events in self._selector.select():
                if key.data is None:
                    return
                key.data.accept_one()

    def stop(self) -> None:
        try:
            self._wake_writer.send(b"x")
        except OSError:
            pass
        self._thread.join(5.0)
        self._selector.close()
        self._wake_reader.close()
        self._wake_writer.close()
