"""SimulatedCluster: N nodes on 127.0.0.1, one port each ("ports") or one port for all ("prefix")."""
from __future__ import annotations

import shutil
import ssl
import tempfile
import threading
import time
from typing import Any, Iterable, Mapping

from .node import LogEntry, Node
from .profiles import NodeProfile
from .server import AcceptLoop, SimulatorServer

LAYOUTS = ("ports", "prefix")
# One listening socket per node plus its connections: beyond this the prefix layout is the one to use.
MAX_PORTS_NODES = 500
STOP_JOIN_SECONDS = 3.0

ProfilesArg = None | NodeProfile | str | Mapping[str, Any] | Iterable[Any]


class SimulatedCluster:
    """Starts serving on construction; stop() (or leaving the with block) ends it."""

    def __init__(self, node_count: int = 3, layout: str = "ports", tls: bool = False, token: str | None = None,
                 seed: Any = 0, profiles: ProfilesArg = None, ca: Any = None, ca_file: str | None = None) -> None:
        _check_arguments(node_count, layout)
        self.layout = layout
        self.tls = tls
        self.seed = seed
        self.names = [f"node{index}" for index in range(1, node_count + 1)]
        self.nodes: dict[str, Node] = {}
        self.ca_path: str | None = None
        self._temp_dir = tempfile.mkdtemp(prefix="clusterops-sim-")
        self._stop_event = threading.Event()
        self._stopped = False
        ssl_context = self._tls_context(ca, ca_file) if tls else None
        self._servers = self._start_servers(ssl_context)
        self._bind_nodes(profiles, token)
        self._accept_loop = AcceptLoop(self._servers)

    def _tls_context(self, ca: Any, ca_file: str | None) -> ssl.SSLContext:
        import trustme  # pylint: disable=import-outside-toplevel  # only TLS runs need it

        authority = ca if ca is not None else trustme.CA()
        certificate = authority.issue_cert("127.0.0.1", "localhost")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        certificate.configure_cert(context)
        self.ca_path = ca_file or f"{self._temp_dir}/ca.pem"
        authority.cert_pem.write_to_path(self.ca_path)
        return context

    def _start_servers(self, ssl_context: ssl.SSLContext | None) -> list[SimulatorServer]:
        count = len(self.names) if self.layout == "ports" else 1
        servers: list[SimulatorServer] = []
        try:
            for _server_number in range(count):
                servers.append(SimulatorServer(self, self._stop_event, ssl_context))
        except OSError:
            for server in servers:
                server.server_close()
            raise
        return servers

    def _bind_nodes(self, profiles: ProfilesArg, token: str | None) -> None:
        node_profiles = _profiles_per_node(profiles, self.names)
        for index, name in enumerate(self.names):
            server = self._servers[index] if self.layout == "ports" else self._servers[0]
            url = server.base_url if self.layout == "ports" else f"{server.base_url}/{name}"
            node = Node(name, url, node_profiles[name], token, random_seed=self.seed)
            self.nodes[name] = node
            if self.layout == "ports":
                server.single_node = node

    def __enter__(self) -> SimulatedCluster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SimulatedCluster({len(self.names)} nodes, layout={self.layout!r}, tls={self.tls})"

    @property
    def control_url(self) -> str:
        return f"{self._servers[0].base_url}/_sim"

    def url(self, name: str) -> str:
        return self.nodes[name].url

    def urls(self) -> dict[str, str]:
        return {name: node.url for name, node in self.nodes.items()}

    def snapshot(self) -> dict[str, list[str]]:
        return {name: node.sorted_groups() for name, node in self.nodes.items()}

    def describe(self) -> dict:
        return {"layout": self.layout, "tls": self.tls, "control_url": self.control_url,
                "nodes": {name: node.describe() for name, node in self.nodes.items()}}

    def logs(self) -> dict[str, list[LogEntry]]:
        return {name: list(node.log) for name, node in self.nodes.items()}

    def requests_per_node(self) -> dict[str, int]:
        return {name: len(node.log) for name, node in self.nodes.items()}

    def clear_logs(self) -> None:
        for node in self.nodes.values():
            node.clear_log()

    def clear_faults(self) -> None:
        for node in self.nodes.values():
            node.clear_faults()

    def set_random_faults(self, probability: float, kinds: list, methods: list | None = None, **kwargs: Any) -> None:
        """The same random fault spec on every node, each node with its own stream."""
        for node in self.nodes.values():
            node.set_random_faults(probability, kinds, methods, **kwargs)

    def stop(self) -> None:
        """Stop accepting, wake sleeping handlers, close every connection, wait briefly for handlers."""
        if self._stopped:
            return
        self._stopped = True
        self._stop_event.set()
        self._accept_loop.stop()
        for server in self._servers:
            server.server_close()
            server.close_connections()
        deadline = time.monotonic() + STOP_JOIN_SECONDS
        for server in self._servers:
            server.join_handlers(deadline)
        shutil.rmtree(self._temp_dir, ignore_errors=True)


def _check_arguments(node_count: int, layout: str) -> None:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    if node_count < 1:
        raise ValueError("node_count must be >= 1")
    if layout == "ports" and node_count > MAX_PORTS_NODES:
        raise ValueError(f"{node_count} nodes need layout='prefix' (one port per node stops at {MAX_PORTS_NODES})")


def _profiles_per_node(profiles: ProfilesArg, names: list[str]) -> dict[str, Any]:
    """None, one profile for all, a dict name -> profile (others default), or a list in node order."""
    if profiles is None or isinstance(profiles, (NodeProfile, str)):
        return {name: profiles for name in names}
    if isinstance(profiles, Mapping):
        unknown = set(profiles) - set(names)
        if unknown:
            raise ValueError(f"profiles for unknown nodes: {sorted(unknown)}")
        return {name: profiles.get(name) for name in names}
    listed = list(profiles)
    if len(listed) > len(names):
        raise ValueError("more profiles than nodes")
    return {name: listed[index] if index < len(listed) else None for index, name in enumerate(names)}
