"""What a person reads: headline with counts, aligned table, each error once, capped on large clusters."""
from __future__ import annotations

import random
import typing as t

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils import _summary as summary

OK = {"before": "present", "action": "none", "result": "ok", "rollback": "not_needed", "after": "present"}
CHANGED = {"before": "absent", "action": "create", "result": "changed", "rollback": "not_needed", "after": "present"}
FAILED = {"before": "unknown", "action": "none", "result": "failed", "rollback": "not_needed", "after": "unknown",
          "error": "node unavailable: GET failed 3 time(s)"}
NOT_RESTORED = {"before": "absent", "action": "create", "result": "changed", "rollback": "failed", "after": "present",
                "restore_to": "absent", "error": "DELETE failed 3 time(s)"}


def account(nodes: dict[str, dict[str, t.Any]], outcome: str = "success", **extra: t.Any) -> dict[str, t.Any]:
    return dict({"operation": "create", "group": "ops", "run_id": "r1", "outcome": outcome, "nodes": nodes}, **extra)


def test_headline_counts_every_outcome() -> None:
    assert summary.headline(account({"node1": CHANGED, "node2": CHANGED, "node3": OK})) == (
        "create of group 'ops': success (3 nodes: 2 changed, 1 ok)")


def test_table_has_aligned_columns_and_each_error_once() -> None:
    lines = summary.summary_lines(account({"node1": CHANGED, "node22": FAILED}, "rolled_back"))
    assert lines[1].split() == ["node", "before", "action", "result", "rollback", "after"]
    assert lines[2].split() == ["node1", "absent", "create", "changed", "not", "needed", "present"]
    assert lines[1].index("before") == lines[2].index("absent") == lines[3].index("unknown")
    assert sum(FAILED["error"] in line for line in lines) == 1


def test_check_mode_is_marked_and_says_what_would_happen() -> None:
    would = dict(CHANGED, result="would_change", after="absent")
    lines = summary.summary_lines(account({"node1": would, "node2": OK}, check_mode=True))
    assert lines[0].startswith("CHECK MODE, nothing was changed: create of group 'ops'")
    assert "1 would change" in lines[0]
    assert "would create" in lines[2]


@pytest.mark.parametrize("seed", range(20))
def test_large_clusters_list_only_the_nodes_that_need_attention(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.randint(summary.SUMMARY_NODE_LIMIT + 1, 3000)
    nodes = {"node%d" % index: rng.choice([OK, CHANGED, CHANGED, CHANGED, FAILED, NOT_RESTORED] if rng.random() < 0.05
                                          else [OK, CHANGED]) for index in range(size)}
    lines = summary.summary_lines(account(nodes, "rollback_incomplete"))
    attention = [node for node, entry in nodes.items() if summary.needs_attention(entry)]
    listed = [line.split()[0] for line in lines[2:] if line.split()[0] in nodes and ":" not in line.split()[0]]
    assert listed == attention[:summary.SUMMARY_NODE_LIMIT]
    assert len(lines) <= 2 * summary.SUMMARY_NODE_LIMIT + 3
    assert lines[-1].startswith("%d node" % (size - len(listed)))
    if attention:  # says whether every node that needs attention made it into the table
        assert ("every node that needs attention is listed" in lines[-1]) == (len(attention) <= summary.SUMMARY_NODE_LIMIT)
    message = summary.failure_message(account(nodes, "rollback_incomplete"))
    assert len(message.splitlines()) <= summary.SUMMARY_NODE_LIMIT + 4


def test_success_on_a_large_cluster_prints_a_few_lines() -> None:
    nodes = {"node%d" % index: CHANGED for index in range(10000)}
    lines = summary.summary_lines(account(nodes))
    assert lines == ["create of group 'ops': success (10000 nodes: 10000 changed)",
                     "10000 nodes not listed (none needs attention): every node is in the clusterops_groups_result artifact"]


def test_status_table_and_missing_colon() -> None:
    status = {"operation": "status", "group": "ops", "outcome": "divergent",
              "nodes": {"node1": {"state": "present"}, "node2": {"state": "absent"}}}
    assert summary.summary_lines(status)[1].split() == ["node", "state"]
    assert summary.failure_message(status).startswith("status of group 'ops': the cluster is divergent")
