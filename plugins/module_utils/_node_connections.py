# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""Per-node connection settings of the cluster-wide path: each node its own token, TLS, timeouts and retries.

Why: one node's credential must never reach another node. A ``nodes`` entry may carry its own connection options
(the action plugin fills them from each inventory host's variables); the task's options are the defaults for what an
entry leaves unset. Nodes are grouped by their settings, so each distinct set of settings is validated once (10,000
nodes with one token cost one validation) and every bad node is named before any request. Sessions are keyed by TLS
settings only and the token goes with each request, so no Session or connection pool carries a token to another node.
"""
from __future__ import annotations

import threading
import typing as t

from ansible_collections.clusterops.groups.plugins.module_utils._connection_options import (
    CONNECTION_OPTION_NAMES, connection_argument_spec, validate_connection_options,
)
from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput
from ansible_collections.clusterops.groups.plugins.module_utils._transport import _new_session

try:
    from requests.adapters import HTTPAdapter
except ImportError:  # reported by the module through _transport.HAS_REQUESTS
    HTTPAdapter = None

# the options a node may set for itself: all but its URL, which every node has anyway
NODE_CONNECTION_OPTIONS = tuple(name for name in CONNECTION_OPTION_NAMES if name != "api_url")
NODE_ENTRY_KEYS = frozenset(("name", "api_url") + NODE_CONNECTION_OPTIONS)
# Host pools kept per Session: the ports layout gives one origin per node, the prefix layout one in all.
MAX_POOLED_ORIGINS = 1024
# how many hosts a refusal names per bad setting before "and N more" (every bad setting is still named)
MAX_NAMED_HOSTS = 20

SettingsKey = t.Tuple[t.Any, ...]
# (name, api_url, the node's own connection options)
NodeEntry = t.Tuple[str, str, t.Mapping[str, t.Any]]
# (the nodes refused for one reason, the reason)
Refusal = t.Tuple[t.List[str], str]


def node_connection_spec() -> dict[str, dict[str, t.Any]]:
    """The argspec of a node's own connection options: the shared types, no defaults (unset = the task's value)."""
    shared = connection_argument_spec()
    return {name: {key: value for key, value in shared[name].items() if key in ("type", "no_log")}
            for name in NODE_CONNECTION_OPTIONS}


def nodes_argument_spec() -> dict[str, t.Any]:
    """The ``nodes`` option of the cluster-wide modules (documented in doc_fragments/cluster_nodes.py)."""
    options = {"name": {"type": "str", "required": True}, "api_url": {"type": "str", "required": True}}
    options.update(node_connection_spec())
    return {"type": "list", "elements": "dict", "options": options}


def own_options(node: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The connection options a node entry sets itself (None means unset, as in the argspec)."""
    return {name: node[name] for name in NODE_CONNECTION_OPTIONS if node.get(name) is not None}


def node_connections(nodes: t.Sequence[NodeEntry], task_options: t.Mapping[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    """``{node: validated connection options (no api_url)}`` for ``(name, api_url, own options)`` triples.

    A node's own option beats the task's. Nodes with the same settings share one validated dict (validated once).
    Raises InvalidInput before any request naming every node whose settings are refused, never showing a token.
    """
    validated, refusals = check_node_connections(nodes, task_options)
    if refusals:
        raise refusal(refusals)
    return validated


def check_node_connections(nodes: t.Sequence[NodeEntry],
                           task_options: t.Mapping[str, t.Any]) -> tuple[dict[str, dict[str, t.Any]], list[Refusal]]:
    """The validated settings of every node that passes, and ``(nodes, why)`` for each distinct refused setting."""
    groups: dict[SettingsKey, list[tuple[str, str]]] = {}
    settings_by_key: dict[SettingsKey, t.Mapping[str, t.Any]] = {}
    for name, api_url, own in nodes:
        settings = dict(task_options, **own) if own else task_options
        key = settings_key(settings)
        groups.setdefault(key, []).append((name, api_url))
        settings_by_key.setdefault(key, settings)
    validated: dict[str, dict[str, t.Any]] = {}
    refusals: list[Refusal] = []
    for key, members in groups.items():
        try:
            connection = validate_connection_options(dict(settings_by_key[key], api_url=members[0][1]))
        except InvalidInput as error:
            refusals.append(([name for name, _url in members], str(error)))
            continue
        del connection["api_url"]
        validated.update((name, connection) for name, _url in members)
    return validated, refusals


def refusal(refusals: t.Sequence[Refusal]) -> InvalidInput:
    """One error naming every refused node (the first MAX_NAMED_HOSTS per reason) and why; never a token."""
    count = sum(len(names) for names, _why in refusals)
    return InvalidInput("connection settings refused for %d node%s, nothing was sent: %s"
                        % (count, "" if count == 1 else "s", "; ".join("%s: %s" % (named_hosts(names), why) for names, why in refusals)),
                        option="nodes")


def settings_key(settings: t.Mapping[str, t.Any]) -> SettingsKey:
    """What makes two nodes' settings the same; a value that cannot be hashed (refused later) keys by its repr."""
    values = tuple(settings.get(name) for name in NODE_CONNECTION_OPTIONS)
    try:
        hash(values)
    except TypeError:
        return tuple(repr(value) for value in values)
    return values


def named_hosts(names: t.Sequence[str], limit: int = MAX_NAMED_HOSTS) -> str:
    shown = ", ".join(names[:limit]) + (" and %d more" % (len(names) - limit) if len(names) > limit else "")
    return "%s %s" % ("node" if len(names) == 1 else "nodes", shown)


def insecure_node_urls(nodes: t.Sequence[t.Mapping[str, t.Any]], task_validate_certs: object) -> list[str]:
    """The URLs of the nodes whose certificate is not verified (their own validate_certs, else the task's)."""
    return [str(node.get("api_url")) for node in nodes
            if (node.get("validate_certs") if node.get("validate_certs") is not None else task_validate_certs) is False]


class SessionPool:
    """requests Sessions per worker thread (a Session is not safe to share), all closed at the end.

    Keyed by TLS verification (a connection pool must not serve a node with another node's TLS settings); no Session
    carries a token: each request sends its own node's (NodeClient), so a pooled connection never carries one node's
    credential to another. Identical settings on every node: one Session per thread, as many as workers.
    """

    def __init__(self, workers: int, node_count: int) -> None:
        self.workers, self.node_count = workers, node_count
        self.local = threading.local()
        self.sessions: list[t.Any] = []
        self.lock = threading.Lock()

    def session(self, verify: bool | str) -> t.Any:
        by_verify = getattr(self.local, "by_verify", None)
        if by_verify is None:
            by_verify = self.local.by_verify = {}
        session = by_verify.get(verify)
        if session is None:
            session = by_verify[verify] = _new_session(None, verify)
            # each Session serves one thread: one connection per origin is enough, but keep every origin's pool
            adapter = HTTPAdapter(pool_connections=min(self.node_count, MAX_POOLED_ORIGINS), pool_maxsize=2)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            with self.lock:
                self.sessions.append(session)
        return session

    def close(self) -> None:
        with self.lock:
            for session in self.sessions:
                session.close()
            self.sessions = []


def verify_setting(connection: t.Mapping[str, t.Any]) -> bool | str:
    """What requests' ``verify`` is for these settings (as NodeClient computes it)."""
    return (connection.get("ca_path") or True) if connection.get("validate_certs") else False
