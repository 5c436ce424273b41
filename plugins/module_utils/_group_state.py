# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Group semantics on one node: read, decide, write, and resolve an ambiguous write with a GET.

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

from ansible_collections.clusterops.groups.plugins.module_utils._connection_options import build_client, insecure_tls_warning
from ansible_collections.clusterops.groups.plugins.module_utils._errors import (
    ClusterOpsError, InvalidInput, NodeRequestFailed, NodeUnavailable, StateUnknown, one_line,
)
from ansible_collections.clusterops.groups.plugins.module_utils._group_name import validate_group_name
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import RunRecord, validate_node_name
from ansible_collections.clusterops.groups.plugins.module_utils._transport import AMBIGUOUS, DECIDE, HARD, OK, NodeClient, Reply

ACTION_BY_STATE = {"present": "create", "absent": "delete"}
METHOD_BY_ACTION = {"create": "POST", "delete": "DELETE"}


@dataclass
class GroupOutcome:
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


def read_group_reply(client: NodeClient, name: str) -> Reply:
    """The conclusive GET reply for ``name``; a 200 whose JSON body names another group is a hard failure."""
    reply = client.read_group_status(name, group=name)
    answered_for = _group_id_in_body(reply.body) if reply.status == 200 else None
    if answered_for is not None and answered_for != name:
        raise NodeRequestFailed(client.node_url, "GET", reply.path, reply.status,
                                "the node answered for group %r, not %r: it is not the node API we expect, or it "
                                "routes requests wrongly" % (one_line(answered_for, 80), name), group=name)
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
                 before_write: t.Callable[[bool], None] | None = None) -> GroupOutcome:
    """Make the node's group state ``state`` (present/absent), at most once; see the module docstring for bounds.

    ``before_write(existed_before)`` is called once, before the first write (the durable record goes there).
    Raises ClusterOpsError with the outcome so far attached as facts (``to_result()``).
    """
    outcome = GroupOutcome()
    try:
        _ensure(client, name, state, check_mode, before_write, outcome)
    except ClusterOpsError as error:
        _snapshot(client, outcome)
        raise error.add_facts(**outcome.to_result())
    _snapshot(client, outcome)
    return outcome


def _ensure(client: NodeClient, name: str, state: str, check_mode: bool,
            before_write: t.Callable[[bool], None] | None, outcome: GroupOutcome) -> None:
    desired = state == "present"
    outcome.existed_before = read_group(client, name)
    outcome.exists = outcome.existed_before
    if outcome.existed_before == desired:
        return
    outcome.action = ACTION_BY_STATE[state]
    outcome.changed = True
    if check_mode:
        outcome.exists = desired  # what the write would do; nothing was sent
        return
    outcome.changed = False
    if before_write is not None:
        before_write(outcome.existed_before)
    _write_until_settled(client, name, desired, outcome)


def _write_until_settled(client: NodeClient, name: str, desired: bool, outcome: GroupOutcome) -> None:
    method = METHOD_BY_ACTION[outcome.action]
    reply = None
    for attempt in range(client.max_attempts):
        if attempt:
            client.pause(attempt - 1)
        outcome.write_attempted = True
        reply = client.send_write(method, name)
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


def _found_as_asked(outcome: GroupOutcome, desired: bool) -> None:
    """Every write of ours was refused ("already exists", "not found") and yet the node is as asked: the first read
    was stale or another writer got there first. That state is the node's own, not this run's change, so no
    rollback may undo it (docs/transaction.md, "Other writers")."""
    outcome.existed_before = desired
    outcome.exists = desired
    outcome.action = "none"
    outcome.changed = False
    outcome.found_as_asked = True


def _settle(outcome: GroupOutcome, desired: bool) -> None:
    outcome.exists = desired
    outcome.changed = True


def _resolve(client: NodeClient, name: str) -> bool | None:
    """The group's state after a write that was not conclusive, or None when no read succeeded."""
    try:
        return read_group(client, name)
    except ClusterOpsError:
        return None


def _raise_if_final(client: NodeClient, name: str, method: str, reply: Reply, outcome: GroupOutcome) -> None:
    """Raise when another write attempt cannot help; return to let the loop retry."""
    refused_body = reply.outcome == DECIDE and method == "POST" and outcome.exists is False
    if reply.outcome == HARD or refused_body:
        reason = reply.reason()
        if refused_body:
            reason = "the node refused the create (HTTP %s) and the group does not exist: %s" % (reply.status, reason)
        raise NodeRequestFailed(client.node_url, method, reply.path, reply.status, reason, group=name)
    if outcome.exists is None:
        raise StateUnknown(client.node_url, name, outcome.action, _write_count(client), reply.reason())


def _raise_exhausted(client: NodeClient, name: str, method: str, reply: Reply | None, outcome: GroupOutcome) -> None:
    last_error = reply.reason() if reply is not None else "no attempt"
    path = reply.path if reply is not None else ""
    raise NodeUnavailable(client.node_url, method, path, _write_count(client), last_error, group=name)


def _write_count(client: NodeClient) -> int:
    return sum(1 for entry in client.history if entry["method"] != "GET")


def _snapshot(client: NodeClient, outcome: GroupOutcome) -> None:
    outcome.requests = client.request_count
    outcome.history = list(client.history)


# ---- what the modules run: validate every input first, then talk to the node ----

MESSAGES = {
    ("none", "present"): "group '%s' already present on %s",
    ("none", "absent"): "group '%s' already absent on %s",
    ("create", False): "group '%s' created on %s",
    ("delete", False): "group '%s' deleted on %s",
    ("create", True): "group '%s' would be created on %s (check mode)",
    ("found", "present"): "group '%s' already present on %s (our create was refused: it was created by another writer "
                          "or the first read was stale; not this run's change)",
    ("found", "absent"): "group '%s' already absent on %s (our delete was refused: it was deleted by another writer "
                         "or the first read was stale; not this run's change)",
    ("delete", True): "group '%s' would be deleted on %s (check mode)",
}


def run_group_task(params: dict[str, t.Any], check_mode: bool, sleep: t.Callable[[float], None] | None = None) -> dict[str, t.Any]:
    """The clusterops.groups.group module: result dict, or ClusterOpsError carrying the same fields."""
    base = dict(GroupOutcome().to_result(), group=params.get("name"), state=params.get("state"))
    try:
        name = validate_group_name(params.get("name"))
        client = build_client(params, sleep=sleep)
        record = RunRecord(params["record_dir"], params["run_id"]) if params.get("record_dir") else None
        node = validate_node_name(params.get("node") or client.node_url.split("://", 1)[1])
        state = _validate_state(params.get("state", "present"))
    except ClusterOpsError as error:
        raise error.add_facts(**base)
    recorder = _NodeRecorder(record, node, client.node_url, name, state)
    try:
        outcome = ensure_group(client, name, state, check_mode=check_mode, before_write=recorder.intent)
    except ClusterOpsError as error:
        error.add_facts(warnings=_tls_warnings(client), **base)
        recorder.outcome_after_failure(error)
        raise
    key = (outcome.action, state) if outcome.action == "none" else (outcome.action, check_mode)
    if outcome.found_as_asked:
        key = ("found", state)
    result = dict(outcome.to_result(), group=name, state=state, msg=MESSAGES[key] % (name, client.node_url),
                  warnings=_tls_warnings(client))
    try:
        recorder.outcome(result)
    except ClusterOpsError as error:
        raise error.add_facts(**result)
    return result


def _tls_warnings(client: NodeClient) -> list[str]:
    return [] if client.validate_certs else [insecure_tls_warning([client.node_url])]


def _validate_state(state: object) -> str:
    if state not in ACTION_BY_STATE:
        raise InvalidInput("state must be one of %s, got %r" % (", ".join(ACTION_BY_STATE), state), option="state")
    return t.cast(str, state)


class _NodeRecorder:
    """Writes the node's record before the first write and its outcome after, only when a write was due."""

    def __init__(self, record: RunRecord | None, node: str, node_url: str, group: str, state: str) -> None:
        self.record, self.node, self.node_url, self.group, self.state = record, node, node_url, group, state
        self.intent_written = False

    def intent(self, existed_before: bool) -> None:
        if self.record is not None:
            # operation in the transaction's words (create/delete), as plugins/module_utils/_transaction.py reads it
            self.record.record_node_intent(self.node, self.node_url, self.group, ACTION_BY_STATE[self.state], existed_before)
            self.intent_written = True

    def outcome(self, result: dict[str, t.Any]) -> None:
        if self.record is not None and self.intent_written:
            self.record.record_node_outcome(self.node, result)

    def outcome_after_failure(self, error: ClusterOpsError) -> None:
        """Record the failure; if even that fails, say so in the failure instead of hiding the first error."""
        try:
            self.outcome(dict(error.to_result(), failed=True))
        except ClusterOpsError as record_error:
            error.add_facts(record_error=record_error.msg)


def run_group_info_task(params: dict[str, t.Any], sleep: t.Callable[[float], None] | None = None) -> dict[str, t.Any]:
    """The clusterops.groups.group_info module: one conclusive GET (with retries), never a write."""
    base = {"changed": False, "group": params.get("name"), "exists": None, "status": None, "requests": 0, "history": []}
    try:
        name = validate_group_name(params.get("name"))
        client = build_client(params, sleep=sleep)
    except ClusterOpsError as error:
        raise error.add_facts(**base)
    try:
        reply = read_group_reply(client, name)
    except ClusterOpsError as error:
        base.update(requests=client.request_count, history=list(client.history), warnings=_tls_warnings(client))
        raise error.add_facts(**base)
    exists = reply.status != 404
    base.update(exists=exists, status=reply.status, requests=client.request_count, history=list(client.history),
                msg="group '%s' %s on %s" % (name, "exists" if exists else "does not exist", client.node_url),
                warnings=_tls_warnings(client))
    return base
