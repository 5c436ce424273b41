"""The /_sim/ control API: read and set every node's state from another process (demo, playbook tests)."""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from .faults import Fault
from .node import Node
from .node_api import ApiResponse, json_response
from .profiles import NodeProfile, resolve_profile

NODE_ROUTE = re.compile(r"^/nodes/(?P<name>[^/]+)/(?P<item>faults|random_faults|groups|token|profile)$")


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def handle(cluster: Any, method: str, path: str, body: bytes) -> ApiResponse:
    """cluster is the SimulatedCluster (duck-typed: nodes, describe(), clear_faults(), clear_logs())."""
    path = path.split("?", 1)[0].rstrip("/") or "/"
    try:
        return _route(cluster, method, path, body)
    except ControlError as error:
        return json_response(error.status, {"error": str(error)})
    except (ValueError, TypeError, AttributeError) as error:
        return json_response(400, {"error": str(error)})


def _route(cluster: Any, method: str, path: str, body: bytes) -> ApiResponse:
    cluster_routes: dict[tuple[str, str], Callable[[], Any]] = {
        ("GET", "/state"): cluster.describe,
        ("GET", "/snapshot"): cluster.snapshot,
        ("GET", "/log"): lambda: {"nodes": {name: [entry.to_dict() for entry in node.log]
                                            for name, node in cluster.nodes.items()}},
        ("DELETE", "/log"): lambda: cluster.clear_logs() or {"cleared": "log"},
        ("DELETE", "/faults"): lambda: cluster.clear_faults() or {"cleared": "faults"},
    }
    if (method, path) in cluster_routes:
        return json_response(200, cluster_routes[(method, path)]())
    match = NODE_ROUTE.match(path)
    if match is None:
        raise ControlError(404, f"no control route {method} {path}")
    node = cluster.nodes.get(match["name"])
    if node is None:
        raise ControlError(404, f"no node {match['name']!r}")
    return _node_route(node, method, match["item"], body)


def _node_route(node: Node, method: str, item: str, body: bytes) -> ApiResponse:
    if (method, item) == ("DELETE", "faults"):
        node.clear_faults()
        return json_response(200, node.describe())
    payload = _json_body(body)
    if (method, item) == ("POST", "faults"):
        node.add_fault(Fault.from_dict(payload))
        return json_response(201, node.describe())
    if method != "PUT":
        raise ControlError(405, f"{method} not allowed on {item}")
    if item == "groups":
        groups = payload.get("groups") if isinstance(payload, dict) else payload
        if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
            raise ControlError(400, "groups must be a list of strings")
        node.groups = groups
    elif item == "random_faults":
        node.set_random_faults(**payload)
    elif item == "token":
        node.token = payload.get("token")
    elif item == "profile":
        node.profile = _profile_from(payload.get("profile"))
    else:
        raise ControlError(405, f"{method} not allowed on {item}")
    return json_response(200, node.describe())


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError) as error:
        raise ControlError(400, f"body is not JSON: {error}") from None


def _profile_from(value: Any) -> NodeProfile:
    if isinstance(value, dict):
        return NodeProfile(**value)
    return resolve_profile(value)
