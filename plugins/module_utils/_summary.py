# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""What a person reads about a run: one headline with counts, a per-node table, each error once, the failure.

Pure functions over an account (``_transaction.build_account``, ``finish_account``, ``status_account``). Both paths
print the same text: the role through the ``transaction_report`` filter, the cluster-wide modules in their ``msg``.
Beyond ``SUMMARY_NODE_LIMIT`` nodes only the nodes that need attention are listed; every node stays in the account.
"""
from __future__ import annotations

import collections
import typing as t

from ansible_collections.clusterops.groups.plugins.module_utils._transaction import (
    FINISH_PLAYBOOK, FINISH_PLAYBOOK_FQCN, OUTCOME_FAILED, OUTCOME_ROLLBACK_INCOMPLETE, OUTCOME_ROLLED_BACK,
    ROLLBACK_FAILED, SETTLED_OUTCOMES, STATE_UNKNOWN)
from ansible_collections.clusterops.groups.plugins.module_utils._saved_plan import (
    CHANGES_PLANNED, NOT_APPLICABLE, NOTHING_TO_DO, SAVED_PLAN_KIND)

# Up to this many nodes the summary lists every node; beyond it only those that need attention (at most as many).
SUMMARY_NODE_LIMIT = 50
APPLY_COLUMNS = ("node", "before", "action", "result", "rollback", "after")
STATUS_COLUMNS = ("node", "state")
PLAN_COLUMNS = ("node", "state", "planned")
CHECK_MODE_NOTE = "CHECK MODE, nothing was changed"
FAILED_RESULTS = ("failed", "no_result")
WOULD_CHANGE = "would_change"
FAILURE_HEADLINES = {
    OUTCOME_ROLLED_BACK: "failed; every node this run changed was put back to its prior state",
    OUTCOME_FAILED: "failed; no node was changed",
    OUTCOME_ROLLBACK_INCOMPLETE: "failed and the rollback is INCOMPLETE: the cluster is divergent",
    "divergent": "the cluster is divergent: the group exists on some nodes only",
    STATE_UNKNOWN: "the state of some nodes could not be read",
    NOT_APPLICABLE: "no plan that can be applied: some nodes could not be read",
}


def needs_attention(entry: t.Mapping[str, t.Any]) -> bool:
    """The node failed, was not put back, or its state is unknown: what a person must look at."""
    if "state" in entry:
        return entry["state"] == STATE_UNKNOWN
    return (entry.get("result") in FAILED_RESULTS or entry.get("rollback") == ROLLBACK_FAILED
            or entry.get("after") == STATE_UNKNOWN)


def headline(account: t.Mapping[str, t.Any]) -> str:
    """``create of group 'ops': success (3 nodes: 2 changed, 1 ok)``; in check mode marked as such."""
    nodes = account.get("nodes") or {}
    partial = account.get("partial")
    scope = (" on %d of %d cluster nodes only (not read: %s)" % (partial["read"], partial["cluster"], ", ".join(partial["not_read"]))
             if partial else "")
    counts = collections.Counter(entry.get("planned") or entry.get("state") or entry.get("result") for entry in nodes.values())
    counted = ", ".join("%d %s" % (count, str(name).replace("_", " ")) for name, count in sorted(counts.items()))
    subject, outcome = account.get("operation"), account.get("outcome")
    if account.get("kind") == SAVED_PLAN_KIND:  # "saved plan: create of group 'ops': changes planned (...)"
        subject, outcome = "saved plan: %s" % subject, str(outcome).replace("_", " ")
    line = "%s of group %r%s: %s (%s%s)" % (subject, account.get("group"), scope, outcome, _nodes(len(nodes)),
                                            ": " + counted if counted else "")
    return "%s: %s" % (CHECK_MODE_NOTE, line) if account.get("check_mode") else line


def summary_lines(account: t.Mapping[str, t.Any], limit: int = SUMMARY_NODE_LIMIT) -> list[str]:
    """The headline, the per-node table (aligned columns), then each listed node's error once."""
    nodes = account.get("nodes") or {}
    attention = _attention(nodes)
    listed = list(nodes) if len(nodes) <= limit else attention[:limit]
    lines = [headline(account)]
    if listed:
        columns = (PLAN_COLUMNS if "planned" in nodes[listed[0]] else STATUS_COLUMNS if "state" in nodes[listed[0]]
                   else APPLY_COLUMNS)
        rows = [list(columns)] + [[node] + [_cell(account, nodes[node], column) for column in columns[1:]] for node in listed]
        widths = [max(len(row[index]) for row in rows) for index in range(len(columns))]
        lines.extend("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)
        lines.extend("%s: %s" % (node, nodes[node]["error"]) for node in listed if nodes[node].get("error"))
    if len(listed) < len(nodes):
        why = ("none needs attention" if not attention else "every node that needs attention is listed"
               if len(attention) <= limit else "only the first %d of the %d that need attention are listed" % (limit, len(attention)))
        lines.append("%s not listed (%s): every node is in the clusterops_groups_result artifact"
                     % (_nodes(len(nodes) - len(listed)), why))
    return lines


def failure_message(account: t.Mapping[str, t.Any], record_dir: t.Optional[str] = None, with_nodes: bool = True,
                    limit: int = SUMMARY_NODE_LIMIT) -> str:
    """Empty when the run succeeded; else a headline, the nodes that need attention (``with_nodes``, at most
    ``limit``) and, when the rollback is incomplete, the nodes not restored and the finish command."""
    outcome = account.get("outcome")
    if outcome in SETTLED_OUTCOMES or outcome in ("present", "absent", CHANGES_PLANNED, NOTHING_TO_DO):
        return ""
    run = " (run %s)" % account["run_id"] if account.get("run_id") else ""
    lines = ["%s of group %r%s: %s" % (account.get("operation"), account.get("group"), run,
                                       FAILURE_HEADLINES.get(str(outcome), str(outcome)))]
    nodes = account.get("nodes") or {}
    if with_nodes:
        attention = _attention(nodes)
        lines.extend(_node_line(node, nodes[node]) for node in attention[:limit])
        if len(attention) > limit:
            lines.append("and %s more that need attention (every node is in the account)" % _nodes(len(attention) - limit))
    if outcome == OUTCOME_ROLLBACK_INCOMPLETE:
        unresolved = ["%s (now %s, must be %s)" % (node, entry["after"], entry["restore_to"])
                      for node, entry in nodes.items() if entry.get("rollback") == ROLLBACK_FAILED]
        lines.append("Not restored: %s" % ", ".join(unresolved))
        lines.append("Finish the rollback once the nodes answer: %s"
                     % finish_command(str(account["run_id"]), str(account.get("group")), record_dir))
    return "\n".join(lines)


def node_failures(account: t.Mapping[str, t.Any], failure: str) -> dict[str, str]:
    """``{node: message}`` for each node that needs attention in a failed run (``failure`` not empty): what a
    playbook's last play fails that node with, so PLAY RECAP names it. The node's error is in the summary."""
    if not failure:
        return {}
    nodes = account.get("nodes") or {}
    return {node: "%s\n%s%s" % (failure, _node_line(node, {**nodes[node], "error": None}),
                                "; its error is in the summary above" if nodes[node].get("error") else "")
            for node in _attention(nodes)}


def finish_command(run_id: str, group: str, record_dir: t.Optional[str] = None) -> str:
    """The one command that finishes an incomplete rollback (from a checkout; FQCN when installed).

    It names the group: the finish refuses a record of another group, so the operator, not a file, says which.
    """
    extra = " -e group=%s%s" % (group, " -e group_transaction_record_dir=%s" % record_dir if record_dir else "")
    return "ansible-playbook %s -e run_id=%s%s (installed collection: ansible-playbook %s -e run_id=%s%s)" % (
        FINISH_PLAYBOOK, run_id, extra, FINISH_PLAYBOOK_FQCN, run_id, extra)


def _attention(nodes: t.Mapping[str, t.Mapping[str, t.Any]]) -> list[str]:
    return [node for node, entry in nodes.items() if needs_attention(entry)]


def _cell(account: t.Mapping[str, t.Any], entry: t.Mapping[str, t.Any], column: str) -> str:
    value = str(entry.get(column, "-"))
    if column == "action" and account.get("check_mode") and entry.get("result") == WOULD_CHANGE:
        return "would " + value
    return value.replace("_", " ") if column in ("result", "rollback") else value


def _node_line(node: str, entry: t.Mapping[str, t.Any]) -> str:
    if "state" in entry:
        line = "%s: %s" % (node, entry["state"])
    else:
        line = "%s: before=%s action=%s result=%s rollback=%s after=%s" % (
            node, entry["before"], entry["action"], entry["result"], entry["rollback"], entry["after"])
    return line + (" (%s)" % entry["error"] if entry.get("error") else "")


def _nodes(count: int) -> str:
    return "%d node%s" % (count, "" if count == 1 else "s")
