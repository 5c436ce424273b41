# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""The cluster-wide path's nodes: names, URLs and each node's own connection settings (token, TLS, timeouts, retries).

Why: one node's credential must never reach another node. A ``nodes`` entry may carry its own connection options
(the action plugin fills them from each inventory host's variables); the task's options are the defaults for what an
entry leaves unset. Nodes are grouped by their settings, so each distinct set of settings is validated once (10,000
nodes with one token cost one validation) and every bad node is named before any request. Sessions are keyed by TLS
settings only and the token goes with each request, so no Session or connection pool carries a token to another node.
"""
from __future__ import annotations

import threading
import typing as t
from dataclasses import dataclass

from ansible_collections.clusterops.groups.plugins.module_utils._connection_options import (
    CONNECTION_OPTION_NAMES, connection_argument_spec, validate_api_url, validate_connection_options,
)
from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput
from ansible_collections.clusterops.groups.plugins.module_utils._node_identity import duplicate_nodes_message, normalise_node_url
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import validate_node_name
from ansible_collections.clusterops.groups.plugins.module_utils._request_deadline import DeadlineAdapter
from ansible_collections.clusterops.groups.plugins.module_utils._transport import _new_session

# the options a node may set for itself: all but its URL, which every node has anyway
NODE_CONNECTION_OPTIONS = tuple(name for name in CONNECTION_OPTION_NAMES if name != "api_url")
NODE_ENTRY_KEYS = frozenset(("name", "api_url") + NODE_CONNECTION_OPTIONS)
# Host pools kept per Session: the ports layout gives one origin per node, the prefix layout one in all.
MAX_POOLED_ORIGINS = 1024
# a valid stand-in URL for checking settings apart from any node's URL (.invalid never resolves: RFC 2606)
SETTINGS_CHECK_URL = "http://settings-check.invalid"
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


@dataclass
class NodeTarget:
    """One node of a run: its name, its URL and its own validated connection settings."""

    name: str
    api_url: str
    # this node's validated connection options (no api_url); nodes with the same settings share one dict
    connection: t.Mapping[str, t.Any]


def validate_nodes(nodes: object, options: t.Mapping[str, t.Any]) -> list[NodeTarget]:
    """``[{name, api_url, own connection options}, ...]`` checked: a non-empty list, unique valid names, valid URLs
    naming distinct nodes, every node's connection settings (its own over ``options``), every bad node named."""
    if not isinstance(nodes, list) or not nodes:
        raise InvalidInput("nodes must be a non-empty list of {name, api_url}", option="nodes")
    entries: list[NodeEntry] = []
    seen: set[str] = set()
    for index, node in enumerate(nodes):
        if not isinstance(node, t.Mapping) or set(node) - NODE_ENTRY_KEYS:
            # names the keys, never the values: an entry may hold a token
            shown = sorted(map(str, node)) if isinstance(node, t.Mapping) else type(node).__name__
            raise InvalidInput("nodes[%d] must be a dict of name, api_url and optionally %s, got %s"
                               % (index, ", ".join(NODE_CONNECTION_OPTIONS), shown), option="nodes")
        name = validate_node_name(node.get("name"))
        if name in seen:
            raise InvalidInput("nodes[%d]: node %r is listed twice" % (index, name), option="nodes")
        seen.add(name)
        entries.append((name, validate_api_url(node.get("api_url")), own_options(node)))
    duplicates = duplicate_nodes_message({name: api_url for name, api_url, _own in entries})
    if duplicates:
        raise InvalidInput(duplicates, option="nodes")
    return targets_with_connections(entries, options)


def targets_with_connections(entries: t.Sequence[NodeEntry], options: t.Mapping[str, t.Any]) -> list[NodeTarget]:
    """Every node with its validated connection settings; InvalidInput naming every node refused, before any request."""
    connections = node_connections(entries, options)
    return [NodeTarget(name, api_url, connections[name]) for name, api_url, _own in entries]


def finish_entries(targets_by_node: t.Mapping[str, t.Mapping[str, t.Any]],
                   nodes: t.Sequence[t.Mapping[str, t.Any]]) -> list[NodeEntry]:
    """Each node to finish with its recorded URL and its own options; InvalidInput naming every node whose URL in
    ``nodes`` is not the record's (its token must never go to a URL its inventory does not give)."""
    given = {str(node.get("name")): node for node in nodes}
    entries: list[NodeEntry] = []
    moved: list[str] = []
    for name, target in targets_by_node.items():
        api_url = validate_api_url(target["api_url"])
        node = given.get(name) or {}
        if node and normalise_node_url(validate_api_url(node.get("api_url"))) != normalise_node_url(api_url):
            moved.append(name)
        entries.append((name, api_url, own_options(node)))
    if moved:
        raise InvalidInput("the record gives %s another URL than nodes (the inventory) does, nothing was sent"
                           % named_hosts(moved), option="nodes")
    return entries


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
    groups: dict[SettingsKey, list[str]] = {}
    settings_by_key: dict[SettingsKey, t.Mapping[str, t.Any]] = {}
    for name, _api_url, own in nodes:
        settings = dict(task_options, **own) if own else task_options
        key = settings_key(settings)
        groups.setdefault(key, []).append(name)
        settings_by_key.setdefault(key, settings)
    validated: dict[str, dict[str, t.Any]] = {}
    refusals: list[Refusal] = []
    for key, members in groups.items():
        try:
            # the settings without the URL: each node's URL is checked on its own (validate_nodes), one bad URL must
            # not be reported against every node that shares its settings
            connection = validate_connection_options(dict(settings_by_key[key], api_url=SETTINGS_CHECK_URL))
        except InvalidInput as error:
            refusals.append((members, str(error)))
            continue
        del connection["api_url"]
        validated.update((name, connection) for name in members)
    return validated, refusals


def refusal(refusals: t.Sequence[Refusal]) -> InvalidInput:
    """One error naming every refused node (the first MAX_NAMED_HOSTS per reason) and why; never a token."""
    count = sum(len(names) for names, _why in refusals)
    return InvalidInput("connection settings refused for %d node%s, nothing was sent: %s"
                        % (count, "" if count == 1 else "s", "; ".join("%s: %s" % (named_hosts(names), why) for names, why in refusals)),
                        option="nodes")


def settings_key(settings: t.Mapping[str, t.Any]) -> SettingsKey:
    """What makes two nodes' settings the same: values and their types (True == 1 in Python, but retries=True is
    refused and retries=1 is not); a value that cannot be hashed (refused later) keys by its repr."""
    values = tuple((type(settings.get(name)), settings.get(name)) for name in NODE_CONNECTION_OPTIONS)
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
            # a DeadlineAdapter: its connections publish their sockets, so a request is bounded in total time
            adapter = DeadlineAdapter(pool_connections=min(self.node_count, MAX_POOLED_ORIGINS), pool_maxsize=2)
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
