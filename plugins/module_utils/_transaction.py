# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""The all-or-nothing policy: which nodes to put back, to what state, and the per-node account.

Pure functions over per-node results as ``clusterops.groups.group`` returns them (or ``None`` for a
node that produced no result: unreachable, killed, crashed) and over the durable run record as
``_run_record.RunRecord.load()`` returns it. The role reaches them through the filter plugin
``plugins/filter/transaction.py``; the fast path and the trial runner call them directly.
"""
from __future__ import annotations

import typing as t

from ansible_collections.clusterops.groups.plugins.module_utils._node_identity import normalise_node_url

Result = t.Optional[t.Mapping[str, t.Any]]

OPERATION_FINISH = "finish_rollback"
OPERATION_STATUS = "status"

OUTCOME_SUCCESS = "success"
OUTCOME_ROLLED_BACK = "rolled_back"
OUTCOME_ROLLBACK_INCOMPLETE = "rollback_incomplete"
OUTCOME_FAILED = "failed"
OUTCOME_FINISHED = "finished"
# A run with one of these outcomes left nothing to finish: finish_rollback never touches its nodes.
SETTLED_OUTCOMES = (OUTCOME_SUCCESS, OUTCOME_FINISHED)

# What the artifact keeps of each node's record: enough for finish_rollback, small enough for AWX.
RECORD_NODE_FIELDS = ("node", "api_url", "group", "operation", "existed_before", "write_may_have_landed", "phase")

STATE_UNKNOWN = "unknown"
ROLLBACK_NOT_NEEDED = "not_needed"
ROLLBACK_RESTORED = "restored"
ROLLBACK_FAILED = "failed"

FINISH_PLAYBOOK = "playbooks/finish_rollback.yml"
FINISH_PLAYBOOK_FQCN = "clusterops.groups.finish_rollback"


def state_name(exists: object) -> str:
    """``present``/``absent`` for a known state, ``unknown`` otherwise."""
    if exists is True:
        return "present"
    if exists is False:
        return "absent"
    return STATE_UNKNOWN


def is_module_result(result: Result) -> bool:
    """True when the module itself answered (success or its own failure), so its fields can be trusted."""
    return isinstance(result, t.Mapping) and "write_attempted" in result and not result.get("unreachable")


def node_failed(result: Result) -> bool:
    """A node without a module answer counts as failed: we cannot prove it reached the wanted state."""
    return not is_module_result(result) or bool(result.get("failed"))


def run_failed(results: t.Mapping[str, Result]) -> bool:
    return any(node_failed(result) for result in results.values())


def needs_compensation(result: t.Mapping[str, t.Any]) -> bool:
    """The node may differ from its prior state because of a write of ours.

    A node whose first read failed was never written (the module reads before it writes), and a
    node whose final state equals its prior state has nothing to undo.
    """
    existed_before = result.get("existed_before")
    if existed_before is None or not result.get("write_attempted"):
        return False
    if result.get("write_may_have_landed") is False:
        return False  # every write was refused: the node holds nothing of ours (absent field: be conservative)
    return result.get("exists") is not existed_before


def record_nodes(record: t.Optional[t.Mapping[str, t.Any]]) -> t.Mapping[str, t.Mapping[str, t.Any]]:
    return (record or {}).get("nodes") or {}


def portable_record_nodes(record: t.Optional[t.Mapping[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    """The record's node entries cut down to RECORD_NODE_FIELDS (no request history in the artifact)."""
    return {node: {key: entry[key] for key in RECORD_NODE_FIELDS if key in entry}
            for node, entry in record_nodes(record).items()}


def prior_state_from_record(record: t.Optional[t.Mapping[str, t.Any]], node: str) -> t.Optional[str]:
    """The node's prior state as recorded before our first write to it, or None (never written)."""
    entry = record_nodes(record).get(node) or {}
    if entry.get("write_may_have_landed") is False:
        return None  # the run's writes to it were all refused: nothing of ours to undo
    existed_before = entry.get("existed_before")
    return None if existed_before is None else state_name(existed_before)


def put_back_targets(results: t.Mapping[str, Result], record: t.Optional[t.Mapping[str, t.Any]] = None,
                     check_mode: bool = False) -> dict[str, str]:
    """``{node: state to restore}`` for every node this run may have changed, when the run failed.

    A node without a module answer is compensated from the record (written before any write), so a
    node that was never written is never touched. Check mode wrote nothing: nothing to undo.
    """
    if check_mode or not run_failed(results):
        return {}
    put_back: dict[str, str] = {}
    for node, result in results.items():
        if is_module_result(result):
            if needs_compensation(result):
                put_back[node] = state_name(result["existed_before"])
            continue
        prior_state = prior_state_from_record(record, node)
        if prior_state is not None:
            put_back[node] = prior_state
    return put_back


def compensation_verified(target_state: str, result: Result) -> bool:
    """The compensating module call's own final read shows the node in its prior state."""
    return is_module_result(result) and state_name(result.get("exists")) == target_state


def _apply_label(result: Result, check_mode: bool) -> str:
    if not is_module_result(result):
        return "no_result"
    if result.get("failed"):
        return "failed"
    if result.get("changed"):
        return "would_change" if check_mode else "changed"
    return "ok"


def _rollback_label(node: str, put_back: t.Mapping[str, str], compensation_results: t.Mapping[str, Result]) -> str:
    if node not in put_back:
        return ROLLBACK_NOT_NEEDED
    if compensation_verified(put_back[node], compensation_results.get(node)):
        return ROLLBACK_RESTORED
    return ROLLBACK_FAILED


def _error_of(*results: Result) -> t.Optional[str]:
    for result in results:
        if isinstance(result, t.Mapping) and (result.get("failed") or result.get("unreachable")) and result.get("msg"):
            return str(result["msg"])
    return None


def node_account(node: str, apply_result: Result, record: t.Optional[t.Mapping[str, t.Any]],
                 put_back: t.Mapping[str, str], compensation_results: t.Mapping[str, Result],
                 check_mode: bool = False) -> dict[str, t.Any]:
    """One node's line of the account: ``{before, action, result, rollback, after}`` (+ ``error``)."""
    rollback = _rollback_label(node, put_back, compensation_results)
    compensation = compensation_results.get(node) if node in put_back else None
    if is_module_result(apply_result):
        before = state_name(apply_result.get("existed_before"))
        action = str(apply_result.get("action") or "none")
        after = state_name(apply_result.get("exists"))
    else:
        prior_state = prior_state_from_record(record, node)
        before = prior_state or STATE_UNKNOWN
        # a record entry means a write was about to be sent; none means no write ever was
        action = STATE_UNKNOWN if prior_state else "none"
        after = STATE_UNKNOWN
    if is_module_result(compensation):
        after = state_name(compensation.get("exists"))
    elif node in put_back:
        after = STATE_UNKNOWN  # the compensating call left no module answer: it may have written, never claim the old state
    account: dict[str, t.Any] = {
        "before": before,
        "action": action,
        "result": _apply_label(apply_result, check_mode),
        "rollback": rollback,
        "after": after,
    }
    if node in put_back:
        account["restore_to"] = put_back[node]
    error = _error_of(apply_result) or (_error_of(compensation) if rollback == ROLLBACK_FAILED else None)
    if rollback == ROLLBACK_FAILED and error is None and isinstance(compensation, t.Mapping):
        error = compensation.get("msg")
    if error:
        account["error"] = error
    return account


def run_outcome(results: t.Mapping[str, Result], nodes: t.Mapping[str, t.Mapping[str, t.Any]],
                put_back: t.Mapping[str, str]) -> str:
    if not run_failed(results):
        return OUTCOME_SUCCESS
    if any(entry["rollback"] == ROLLBACK_FAILED for entry in nodes.values()):
        return OUTCOME_ROLLBACK_INCOMPLETE
    return OUTCOME_ROLLED_BACK if put_back else OUTCOME_FAILED


def build_account(operation: str, group: str, run_id: str, apply_results: t.Mapping[str, Result],
                  put_back: t.Mapping[str, str], compensation_results: t.Mapping[str, Result],
                  record: t.Optional[t.Mapping[str, t.Any]] = None, check_mode: bool = False) -> dict[str, t.Any]:
    """The ``clusterops_groups_result`` artifact of an apply run.

    ``record`` comes back with ``run`` set to the run outcome (what ``run.json`` holds), so the
    artifact alone is enough for finish_rollback (AWX) and a settled run is never "finished" again.
    """
    nodes = {
        node: node_account(node, apply_results[node], record, put_back, compensation_results, check_mode)
        for node in apply_results
    }
    outcome = run_outcome(apply_results, nodes, put_back)
    run = {"run_id": run_id, "operation": operation, "group": group, "outcome": outcome, "check_mode": check_mode,
           "nodes": nodes}
    return {
        "operation": operation,
        "group": group,
        "run_id": run_id,
        "outcome": outcome,
        "check_mode": check_mode,
        "record": {"run_id": run_id, "run": run, "nodes": portable_record_nodes(record)},
        "nodes": nodes,
    }


def record_damage(record: t.Mapping[str, t.Any], node_file: t.Optional[t.Callable[[str], str]] = None) -> list[str]:
    """One line per node entry the finish cannot trust (unreadable, or no group, prior state or URL), naming its file.

    Such a node would otherwise be skipped (its prior state unknown) and the run reported ``finished``.
    ``node_file(node)`` gives the entry's file (a record read from disk); an artifact's record has none.
    """
    shape = [part for part in ("run", "nodes") if not isinstance(record.get(part) or {}, t.Mapping)]
    if shape:
        return ["its %s is not an object" % " and ".join(shape)]
    if (record.get("run") or {}).get("outcome") in SETTLED_OUTCOMES:
        return []
    problems = []
    for node, entry in record_nodes(record).items():
        where = " (%s)" % node_file(node) if node_file else ""
        if not isinstance(entry, t.Mapping) or entry.get("damaged"):
            reason = entry.get("damaged") if isinstance(entry, t.Mapping) else "not an object"
            problems.append("node %s%s: %s" % (node, where, reason))
            continue
        missing = [key for key, valid in (("group", isinstance(entry.get("group"), str) and entry.get("group")),
                                          ("existed_before", isinstance(entry.get("existed_before"), bool)),
                                          ("api_url", isinstance(entry.get("api_url"), str) and entry.get("api_url")))
                   if not valid]
        if missing:
            problems.append("node %s%s has no valid %s" % (node, where, ", ".join(repr(key) for key in missing)))
    return problems


def finish_targets(record: t.Mapping[str, t.Any],
                   inventory_nodes: t.Optional[t.Iterable[t.Mapping[str, t.Any]]] = None) -> dict[str, dict[str, str]]:
    """``{node: {api_url, state}}``: every recorded node of an unsettled run, back to its prior state.

    Nodes absent from the record were never written by the run and are never touched. A node listed in
    ``inventory_nodes`` (``[{name, api_url}]``) takes its URL from there: the inventory, not a file, says where the
    token goes (``finish_refusals`` refuses a record whose URL differs).
    """
    inventory_urls = _urls_by_node(inventory_nodes)
    run = record.get("run") or {}
    if run.get("outcome") in SETTLED_OUTCOMES:
        return {}
    put_back: dict[str, dict[str, str]] = {}
    for node, entry in record_nodes(record).items():
        prior_state = prior_state_from_record(record, node)
        if prior_state is not None and entry.get("api_url"):
            put_back[node] = {"api_url": inventory_urls.get(node, str(entry["api_url"])), "state": prior_state}
    return put_back


def _urls_by_node(nodes: t.Optional[t.Iterable[t.Mapping[str, t.Any]]]) -> dict[str, str]:
    return {str(node["name"]): str(node["api_url"]) for node in nodes or []}


def _same_node(url: str, other: str) -> bool:
    try:
        return normalise_node_url(url) == normalise_node_url(other)
    except ValueError:  # a URL that does not parse names no node we can trust
        return False


def finish_refusals(record: t.Mapping[str, t.Any], group: object,
                    inventory_nodes: t.Optional[t.Iterable[t.Mapping[str, t.Any]]] = None) -> list[str]:
    """Why a finish of ``record`` must send nothing: a record (run or node entry) of another group than the operator
    asked for, or a recorded node whose URL is not the one the inventory gives it (a record another hand edited)."""
    refusals = []
    groups = {str(entry["group"]) for entry in [record.get("run") or {}, *record_nodes(record).values()] if entry.get("group")}
    if groups - {str(group)}:
        refusals.append("the record of run %s is for group %s, not %r: check -e group= and -e run_id="
                        % (record.get("run_id"), ", ".join(repr(name) for name in sorted(groups)), group))
    inventory_urls = _urls_by_node(inventory_nodes)
    for node, entry in record_nodes(record).items():
        recorded = str(entry.get("api_url") or "")
        if node in inventory_urls and recorded and not _same_node(recorded, inventory_urls[node]):
            refusals.append("node %s: the record names %s, the inventory %s; a record must not redirect a finish (check "
                            "the record's origin, or fix the inventory)" % (node, recorded, inventory_urls[node]))
    return refusals


def record_group(record: t.Mapping[str, t.Any]) -> t.Optional[str]:
    run = record.get("run") or {}
    if run.get("group"):
        return str(run["group"])
    for entry in record_nodes(record).values():
        if entry.get("group"):
            return str(entry["group"])
    return None


def record_operation(record: t.Mapping[str, t.Any]) -> t.Optional[str]:
    run = record.get("run") or {}
    if run.get("operation"):
        return str(run["operation"])
    for entry in record_nodes(record).values():
        if entry.get("operation"):
            return str(entry["operation"])
    return None


def _finish_node_account(target_state: str, result: Result) -> dict[str, t.Any]:
    restored = compensation_verified(target_state, result)
    answered = is_module_result(result)
    entry: dict[str, t.Any] = {
        "before": state_name(result.get("existed_before")) if answered else STATE_UNKNOWN,
        "action": str(result.get("action") or "none") if answered else STATE_UNKNOWN,
        "result": _apply_label(result, False) if restored else "failed",
        "rollback": ROLLBACK_RESTORED if restored else ROLLBACK_FAILED,
        "after": state_name(result.get("exists")) if answered else STATE_UNKNOWN,
        "restore_to": target_state,
    }
    if not restored and isinstance(result, t.Mapping) and result.get("msg"):
        entry["error"] = str(result["msg"])
    return entry


def _finish_outcome(nodes: t.Mapping[str, t.Mapping[str, t.Any]], previous_outcome: object) -> str:
    if not nodes:
        # nothing left to do: a settled run keeps its outcome, anything else is now finished
        return str(previous_outcome) if previous_outcome in SETTLED_OUTCOMES else OUTCOME_FINISHED
    if all(entry["rollback"] == ROLLBACK_RESTORED for entry in nodes.values()):
        return OUTCOME_FINISHED
    return OUTCOME_ROLLBACK_INCOMPLETE


def finish_account(record: t.Mapping[str, t.Any], results: t.Mapping[str, Result]) -> dict[str, t.Any]:
    """The artifact of finish_rollback: the same shape as an apply run's, ``operation: finish_rollback``."""
    nodes = {node: _finish_node_account(target["state"], results.get(node))
             for node, target in finish_targets(record).items()}
    run = dict(record.get("run") or {})
    outcome = _finish_outcome(nodes, run.get("outcome"))
    run.update({"run_id": record.get("run_id"), "operation": run.get("operation") or record_operation(record),
                "group": record_group(record), "outcome": outcome})
    if nodes:
        run["finish"] = nodes
    return {
        "operation": OPERATION_FINISH,
        "group": record_group(record),
        "run_id": record.get("run_id"),
        "outcome": outcome,
        "record": {"run_id": record.get("run_id"), "run": run, "nodes": portable_record_nodes(record)},
        "nodes": nodes,
    }


def status_account(group: str, results: t.Mapping[str, Result],
                   run_coverage: t.Optional[t.Mapping[str, t.Any]] = None) -> dict[str, t.Any]:
    """Per-node state of a group as ``group_info`` saw it; outcome present, absent, divergent or unknown.

    ``run_coverage`` (``_run_scope.coverage``) with hosts left out adds ``partial: {read, cluster, not_read}``:
    the outcome then speaks for the nodes read only, and the headline says so.
    """
    nodes: dict[str, dict[str, t.Any]] = {}
    for node, result in results.items():
        known = isinstance(result, t.Mapping) and isinstance(result.get("exists"), bool)
        entry: dict[str, t.Any] = {"state": state_name(result.get("exists")) if known else STATE_UNKNOWN}
        if not known and isinstance(result, t.Mapping) and result.get("msg"):
            entry["error"] = str(result["msg"])
        nodes[node] = entry
    states = {entry["state"] for entry in nodes.values()}
    if "present" in states and "absent" in states:
        outcome = "divergent"
    elif STATE_UNKNOWN in states or not states:
        outcome = STATE_UNKNOWN
    else:
        outcome = states.pop()
    return with_status_coverage({"operation": OPERATION_STATUS, "group": group, "outcome": outcome, "nodes": nodes},
                                run_coverage)


def with_status_coverage(account: t.Mapping[str, t.Any], run_coverage: t.Optional[t.Mapping[str, t.Any]]) -> dict[str, t.Any]:
    """The status account, with ``partial: {read, cluster, not_read}`` when the run left cluster hosts out."""
    missing = list((run_coverage or {}).get("missing") or [])
    if not missing:
        return dict(account)
    partial = {"read": len(account.get("nodes") or {}), "cluster": len((run_coverage or {}).get("members") or []),
               "not_read": missing}
    return dict(account, partial=partial)
