"""The request handler: routes a request to the control API or to a node, and applies the node's faults."""
from __future__ import annotations

import os
import select
import socket
import ssl
import struct
from http.server import BaseHTTPRequestHandler

from . import control_api
from .faults import Fault, FaultKind
from .node import LogEntry, Node
from .node_api import ApiRequest, ApiResponse, apply_second_writer, echo_authorization, error_response, serve, serve_stale_read

MAX_BODY_BYTES = 1 << 20
CONTROL_PREFIX = "/_sim"


class SimulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "clusterops-node-simulator/1.0"
    # Idle keep-alive connections end on their own even if a stop ever missed them.
    timeout = 60

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def log_message(self, format, *args) -> None:  # pylint: disable=redefined-builtin
        """Quiet: the per-node log is the record."""

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            return
        if self.path == CONTROL_PREFIX or self.path.startswith(CONTROL_PREFIX + "/"):
            self._send(control_api.handle(self.server.cluster, self.command, self.path[len(CONTROL_PREFIX):], body))
            return
        resolved = self.server.resolve_node(self.path)
        if resolved is None:
            self._send(ApiResponse(404, b'{"error": "no such node"}', "application/json"))
            return
        node, prefix, relative_path = resolved
        request = ApiRequest(self.command, relative_path, self.headers, body, prefix)
        fault = node.begin_request(self.command)
        self._serve_node(node, request, fault)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._send(ApiResponse(411))
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send(ApiResponse(400 if length < 0 else 413))
            return None
        return self.rfile.read(length) if length else b""

    def _serve_node(self, node: Node, request: ApiRequest, fault: Fault | None) -> None:
        response = None
        try:
            response = self._answer_under_fault(node, request, fault)
        finally:
            status = response.status if response is not None else None
            # Logged before answering: a client that has its answer always finds it in the log.
            node.record(LogEntry(request.method, request.path, status, fault.kind if fault is not None else None,
                                 request.headers.get("Authorization")))
        if response is None:
            self._close_without_response(reset=fault is not None and fault.kind is not FaultKind.CLOSE)
        else:
            self._send(response)

    def _answer_under_fault(self, node: Node, request: ApiRequest, fault: Fault | None) -> ApiResponse | None:
        """The response to send, or None for "no response" (reset, close, stopped, client gone)."""
        response = self._fault_response(node, request, fault)
        if response is not None and fault is not None and fault.retry_after is not None and response.status >= 400:
            response.headers["Retry-After"] = fault.retry_after
        return response

    def _fault_response(self, node: Node, request: ApiRequest, fault: Fault | None) -> ApiResponse | None:
        kind = fault.kind if fault is not None else None
        if kind is None:
            return serve(node, request)
        if kind in (FaultKind.RESET, FaultKind.CLOSE):
            return None
        if kind is FaultKind.OUTAGE:
            return error_response(node.profile, fault.status) if fault.status is not None else None
        if kind is FaultKind.ERROR_500_BEFORE_WRITE:
            return error_response(node.profile, fault.status or 500)
        if kind is FaultKind.ECHO_AUTHORIZATION:
            return echo_authorization(request, fault.status or 500)
        if kind is FaultKind.ERROR_500_AFTER_WRITE:
            serve(node, request)
            return error_response(node.profile, fault.status or 500)
        if kind is FaultKind.TIMEOUT_AFTER_WRITE:
            response = serve(node, request)
            return None if self._wait_and_lose_client(fault.delay) else response
        if kind is FaultKind.STALE_READ:
            stale = serve_stale_read(node, request)
            if stale is None:
                node.put_back_fault(fault)
                return serve(node, request)
            return stale
        if kind is FaultKind.SECOND_WRITER:
            apply_second_writer(node, request)
            return serve(node, request)
        if kind is FaultKind.TIMEOUT_BEFORE_WRITE:
            # A client that gave up before the server got to the write sees it never applied.
            return None if self._wait_and_lose_client(fault.delay) else serve(node, request)
        # LATENCY: slow but served, unless the simulator stops meanwhile.
        return None if self.server.stop_event.wait(fault.delay) else serve(node, request)

    def _wait_and_lose_client(self, delay: float) -> bool:
        """Sleep (ending early on stop); True when the server stopped or the client went away."""
        if self.server.stop_event.wait(delay):
            return True
        return self._client_gone()

    def _client_gone(self) -> bool:
        sock = self.connection
        try:
            readable = select.select([sock], [], [], 0)[0]
            if not readable:
                return False
            # Peek at the raw socket (below TLS too): an orderly close reads as b"".
            return socket.socket.recv(sock, 1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _close_without_response(self, reset: bool) -> None:
        self.close_connection = True
        if not reset:
            return  # the server's shutdown_request sends FIN and closes
        sock = self.connection
        try:
            # SO_LINGER 0 makes close() send RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            os.close(sock.detach())
        except OSError:
            pass

    def _send(self, response: ApiResponse) -> None:
        try:
            self.send_response(response.status, response.reason)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.content_type:
                self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if response.body and self.command != "HEAD":
                self.wfile.write(response.body)
        except OSError:
            self.close_connection = True
