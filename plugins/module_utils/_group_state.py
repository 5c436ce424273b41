# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""Group semantics on one node, internal to this collection: the group API over the transport (paths, body, the
read and write loops), deciding what to write, and resolving an ambiguous write with a GET.

Request bound for ``ensure_group`` with R = client.retries (each GET may add up to MAX_REDIRECTS hops on a
server that redirects; the client learns the slash convention after the first one):
  first read: at most R + 1 GETs; then at most R + 1 writes, each followed (when not conclusive) by a
  resolving read of at most R + 1 GETs.  Total <= (R + 1) * (R + 3), e.g. 24 for the default R = 3.
  A resolving read that fails all its attempts ends the run (StateUnknown): writing again blind adds risk.
  Happy path: 2 requests (GET, then POST/DELETE whose 2xx is conclusive) or 1 when nothing is to do.
"""
from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass, field
from urllib.parse import quote

from ansible_collections.clusterops.groups.plugins.module_utils._errors import (
    ClusterOpsError, InvalidInput, NodeRequestFailed, NodeUnavailable, StateUnknown,
)
from ansible_collections.clusterops.groups.plugins.module_utils._transport import AMBIGUOUS, DECIDE, HARD, OK, NodeClient, Reply

GROUP_COLLECTION_PATH = "/v1/group/"
# the one map of a requested state to the operation of the run (and the action a node needs when it differs)
OPERATION_BY_STATE = {"present": "create", "absent": "delete"}
METHOD_BY_ACTION = {"create": "POST", "delete": "DELETE"}


def validate_state(state: object) -> str:
    """The requested state, present or absent; anything else is refused before any request."""
    if state not in OPERATION_BY_STATE:
        raise InvalidInput("state must be one of %s, got %r" % (", ".join(OPERATION_BY_STATE), state), option="state")
    return t.cast(str, state)


@dataclass
class EnsureResult:
    """What one run did to one node; ``to_result()`` gives the module's result fields."""

    changed: bool = False
    existed_before: bool | None = None
    exists: bool | None = None
    action: str = "none"
    write_attempted: bool = False
    # a write of ours got a 2xx or an ambiguous answer: only then can the node hold a change of this run
    write_may_have_landed: bool = False
    # the node turned out as asked although every write of ours was refused (stale read or another writer)
    found_as_asked: bool = False
    requests: int = 0
    history: list[dict[str, t.Any]] = field(default_factory=list)

    @property
    def state_known(self) -> bool:
        return self.exists is not None

    def to_result(self) -> dict[str, t.Any]:
        return {
            "changed": self.changed,
            "existed_before": self.existed_before,
            "exists": self.exists,
            "state_known": self.state_known,
            "action": self.action,
            "write_attempted": self.write_attempted,
            "write_may_have_landed": self.write_may_have_landed,
            "requests": self.requests,
            "history": list(self.history),
            "diff": {"before": {"exists": self.existed_before}, "after": {"exists": self.exists}},
        }


def read_group(client: NodeClient, name: str) -> bool:
    """True when the group exists on the node, False when it does not (GET with retries); raises otherwise."""
    return read_group_reply(client, name).status != 404


def group_path(name: str) -> str:
    # quote everything: the name rule keeps ids safe already, this is defence in depth
    return GROUP_COLLECTION_PATH + quote(name, safe="") + "/"


def send_group_write(client: NodeClient, method: str, name: str) -> Reply:
    """One POST or DELETE of ``{"groupId": name}``, never retried here: the write loop resolves what it did."""
    return client.send(method, GROUP_COLLECTION_PATH, {"groupId": name})


def read_group_reply(client: NodeClient, name: str) -> Reply:
    """The conclusive GET reply for ``name`` (200 or 404), with retries; a 200 whose JSON body names another group
    is a hard failure. Raises NodeRequestFailed (no retry can help) or NodeUnavailable (every attempt ambiguous)."""
    reply = client.send("GET", group_path(name))
    for attempt in range(1, client.max_attempts):
        if reply.outcome in (OK, HARD):
            break
        client.pause(attempt - 1, reply)
        reply = client.send("GET", group_path(name))
    if reply.outcome == HARD:
        raise NodeRequestFailed(client.node_url, "GET", reply.path, reply.status, reply.reason(), group=name)
    if reply.outcome != OK:
        raise NodeUnavailable(client.node_url, "GET", reply.path, client.max_attempts, reply.reason(), group=name)
    answered_for = _group_id_in_body(reply.body) if reply.status == 200 else None
    if answered_for is not None and answered_for != name:
        raise NodeRequestFailed(client.node_url, "GET", reply.path, reply.status,
                                "the node answered for group %r, not %r: it is not the node API we expect, or it "
                                "routes requests wrongly" % (client.excerpt(answered_for, 80), name), group=name)
    return reply


def _group_id_in_body(body: bytes) -> str | None:
    """The ``groupId`` a JSON object body names, or None (an empty or non-JSON 200 still means "exists": real
    servers answer so)."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(payload, dict) or "groupId" not in payload:
        return None
    return str(payload["groupId"])


def ensure_group(client: NodeClient, name: str, state: str, check_mode: bool = False,
                 before_write: t.Callable[[bool], None] | None = None, existed_before: bool | None = None) -> EnsureResult:
    """Make the node's group state ``state`` (present/absent), at most once; see the module docstring for bounds.

    ``before_write(existed_before)`` is called once, before the first write (the durable record goes there).
    ``existed_before``: the run's first read, when the caller made it already (a saved plan's apply compares every
    node's read before any write); then no first GET is sent.
    Raises ClusterOpsError with the outcome so far attached as facts (``to_result()``).
    """
    outcome = EnsureResult()
    try:
        _ensure(client, name, state, check_mode, before_write, outcome, existed_before)
    except ClusterOpsError as error:
        _snapshot(client, outcome)
        raise error.add_facts(**outcome.to_result())
    _snapshot(client, outcome)
    return outcome


def _ensure(client: NodeClient, name: str, state: str, check_mode: bool,
            before_write: t.Callable[[bool], None] | None, outcome: EnsureResult, existed_before: bool | None) -> None:
    desired = state == "present"
    outcome.existed_before = read_group(client, name) if existed_before is None else existed_before
    outcome.exists = outcome.existed_before
    if outcome.existed_before == desired:
        return
    outcome.action = OPERATION_BY_STATE[state]
    outcome.changed = True
    if check_mode:
        outcome.exists = desired  # what the write would do; nothing was sent
        return
    outcome.changed = False
    if before_write is not None:
        before_write(outcome.existed_before)
    _write_until_settled(client, name, desired, outcome)


def _write_until_settled(client: NodeClient, name: str, desired: bool, outcome: EnsureResult) -> None:
    method = METHOD_BY_ACTION[outcome.action]
    reply = None
    for attempt in range(client.max_attempts):
        if attempt:
            client.pause(attempt - 1, reply)  # the previous write's reply: its Retry-After, not the resolving read's
        outcome.write_attempted = True
        reply = send_group_write(client, method, name)
        if reply.outcome == OK:
            outcome.write_may_have_landed = True
            _settle(outcome, desired)  # 201/200 is conclusive: no verifying GET
            return
        # timeout, reset, 5xx: the write may have been applied; a refusal (400/409, 404, hard 4xx) was not
        outcome.write_may_have_landed = outcome.write_may_have_landed or reply.outcome == AMBIGUOUS
        outcome.exists = _resolve(client, name)
        if outcome.exists == desired:
            if outcome.write_may_have_landed:
                _settle(outcome, desired)  # our write landed although its answer said otherwise
            else:
                _found_as_asked(outcome, desired)
            return
        _raise_if_final(client, name, method, reply, outcome)
    _raise_exhausted(client, name, method, reply, outcome)


def _found_as_asked(outcome: EnsureResult, desired: bool) -> None:
    """Every write of ours was refused ("already exists", "not found") and yet the node is as asked: the first read
    was stale or another writer got there first. That state is the node's own, not this run's change, so no
    rollback may undo it (docs/transaction.md, "Other writers")."""
    outcome.existed_before = desired
    outcome.exists = desired
    outcome.action = "none"
    outcome.changed = False
    outcome.found_as_asked = True


def _settle(outcome: EnsureResult, desired: bool) -> None:
    outcome.exists = desired
    outcome.changed = True


def _resolve(client: NodeClient, name: str) -> bool | None:
    """The group's state after a write that was not conclusive, or None when no read succeeded."""
    try:
        return read_group(client, name)
    except ClusterOpsError:
        return None


def _raise_if_final(client: NodeClient, name: str, method: str, reply: Reply, outcome: EnsureResult) -> None:
    """Raise when another write attempt cannot help; return to let the loop retry."""
    refused_body = reply.outcome == DECIDE and method == "POST" and outcome.exists is False
    if reply.outcome == HARD or refused_body:
        reason = reply.reason()
        if refused_body:
            reason = "the node refused the create (HTTP %s) and the group does not exist: %s" % (reply.status, reason)
        raise NodeRequestFailed(client.node_url, method, reply.path, reply.status, reason, group=name)
    if outcome.exists is None:
        raise StateUnknown(client.node_url, name, outcome.action, _write_count(client), reply.reason())


def _raise_exhausted(client: NodeClient, name: str, method: str, reply: Reply | None, outcome: EnsureResult) -> None:
    last_error = reply.reason() if reply is not None else "no attempt"
    path = reply.path if reply is not None else ""
    raise NodeUnavailable(client.node_url, method, path, _write_count(client), last_error, group=name)


def _write_count(client: NodeClient) -> int:
    return sum(1 for entry in client.history if entry["method"] != "GET")


def _snapshot(client: NodeClient, outcome: EnsureResult) -> None:
    outcome.requests = client.request_count
    outcome.history = list(client.history)
