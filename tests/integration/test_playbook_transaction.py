"""create_group.yml / delete_group.yml: all or nothing, over real HTTP; node state read from the simulator."""
from __future__ import annotations

import json
import os
import re
import typing as t

import pytest

from playbook_runner import PlaybookRun, run_playbook, write_inventory
from simulator import Fault, FaultKind

pytestmark = pytest.mark.playbook

GROUP = "ops-team"


class Cluster(t.NamedTuple):
    simulator: t.Any
    inventory: str
    record_dir: str

    def run(self, playbook: str, **kwargs: t.Any) -> PlaybookRun:
        extra_vars = kwargs.pop("extra_vars", {"group": GROUP})
        return run_playbook(playbook, self.inventory, self.record_dir, extra_vars=extra_vars, **kwargs)

    def holders(self) -> set[str]:
        """Names of the nodes that hold GROUP, read from the simulator."""
        return {name for name, node in self.simulator.nodes.items() if GROUP in node.groups}


@pytest.fixture
def cluster(simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any) -> Cluster:
    simulator = simulated_cluster(node_count=3)
    return Cluster(simulator, write_inventory(tmp_path, simulator.urls()), str(tmp_path / "records"))


def run_json(record_dir: str, run_id: str) -> dict[str, t.Any]:
    with open(os.path.join(record_dir, run_id, "run.json"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.mark.matrix
def test_create_on_three_nodes_then_rerun_changes_nothing(cluster: Cluster) -> None:
    first = cluster.run("create_group.yml")
    assert first.rc == 0, first.describe()
    assert cluster.holders() == {"node1", "node2", "node3"}
    assert first.result["outcome"] == "success"
    assert {node["result"] for node in first.result["nodes"].values()} == {"changed"}
    assert run_json(cluster.record_dir, first.result["run_id"])["outcome"] == "success"

    second = cluster.run("create_group.yml")
    assert second.rc == 0, second.describe()
    assert second.changed == 0, second.describe()
    assert {node["action"] for node in second.result["nodes"].values()} == {"none"}
    assert cluster.holders() == {"node1", "node2", "node3"}


def test_create_on_25_nodes(simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any) -> None:
    simulator = simulated_cluster(node_count=25)
    run = run_playbook("create_group.yml", write_inventory(tmp_path, simulator.urls()), tmp_path / "records",
                       extra_vars={"group": GROUP})
    assert run.rc == 0, run.describe()
    assert all(GROUP in node.groups for node in simulator.nodes.values())
    assert len(run.result["nodes"]) == 25 and run.result["outcome"] == "success"


@pytest.mark.matrix
def test_delete_then_rerun_changes_nothing(cluster: Cluster) -> None:
    for node in cluster.simulator.nodes.values():
        node.groups.add(GROUP)
    first = cluster.run("delete_group.yml")
    assert first.rc == 0, first.describe()
    assert cluster.holders() == set()
    assert {node["action"] for node in first.result["nodes"].values()} == {"delete"}

    second = cluster.run("delete_group.yml")
    assert second.rc == 0 and second.changed == 0, second.describe()
    assert cluster.holders() == set()


def test_failed_delete_recreates_the_group_where_it_was_deleted(cluster: Cluster) -> None:
    for node in cluster.simulator.nodes.values():
        node.groups.add(GROUP)
    cluster.simulator.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method=None))
    run = cluster.run("delete_group.yml")
    assert run.rc != 0
    assert cluster.holders() == {"node1", "node2", "node3"}
    assert run.result["outcome"] == "rolled_back"
    assert run.result["nodes"]["node1"]["rollback"] == "restored"


def test_sticky_500_on_one_node_puts_every_other_node_back(cluster: Cluster) -> None:
    cluster.simulator.nodes["node2"].add_fault(Fault(FaultKind.ERROR_500_BEFORE_WRITE, method="POST", count=None))
    run = cluster.run("create_group.yml")
    assert run.rc != 0
    assert cluster.holders() == set()
    nodes = run.result["nodes"]
    assert run.result["outcome"] == "rolled_back"
    assert nodes["node2"]["result"] == "failed" and nodes["node2"]["after"] == "absent"
    for name in ("node1", "node3"):
        assert nodes[name] == {"before": "absent", "action": "create", "result": "changed",
                               "rollback": "restored", "after": "absent", "restore_to": "absent"}
    assert re.search(r"node2 +absent +create +failed", run.stdout), run.describe()  # its row in the summary table
    assert run_json(cluster.record_dir, run.result["run_id"])["outcome"] == "rolled_back"


@pytest.mark.matrix
def test_rollback_never_deletes_a_group_that_existed_before(cluster: Cluster) -> None:
    cluster.simulator.nodes["node1"].groups.add(GROUP)
    cluster.simulator.nodes["node3"].add_fault(Fault(FaultKind.OUTAGE, method=None))
    run = cluster.run("create_group.yml")
    assert run.rc != 0
    assert cluster.holders() == {"node1"}
    assert not [entry for entry in cluster.simulator.nodes["node1"].log if entry.method == "DELETE"]
    assert run.result["nodes"]["node1"]["rollback"] == "not_needed"
    assert run.result["nodes"]["node2"]["rollback"] == "restored"


@pytest.mark.parametrize("other_node_fails", [False, pytest.param(True, marks=pytest.mark.matrix)],
                         ids=["kept", "rolled-back"])
def test_500_after_write_counts_as_our_write(cluster: Cluster, other_node_fails: bool) -> None:
    cluster.simulator.nodes["node1"].add_fault(Fault(FaultKind.ERROR_500_AFTER_WRITE, method="POST", count=1))
    if other_node_fails:
        cluster.simulator.nodes["node3"].add_fault(Fault(FaultKind.OUTAGE, method=None))
    run = cluster.run("create_group.yml")
    node1 = run.result["nodes"]["node1"]
    assert node1["result"] == "changed" and node1["action"] == "create", run.describe()
    if other_node_fails:
        assert run.rc != 0 and node1["rollback"] == "restored"
        assert cluster.holders() == set()
    else:
        assert run.rc == 0, run.describe()
        assert cluster.holders() == {"node1", "node2", "node3"}


def test_token_from_inventory_is_sent_and_never_shown(simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any) -> None:
    token = "s3cret-token-value"
    simulator = simulated_cluster(node_count=2)
    for node in simulator.nodes.values():
        node.token = token
    inventory = write_inventory(tmp_path, simulator.urls(), group_vars={"cluster_api_token": token})
    record_dir = tmp_path / "records"
    run = run_playbook("create_group.yml", inventory, record_dir, extra_vars={"group": GROUP}, extra_args=["-v"])
    assert run.rc == 0, run.describe()
    assert all(GROUP in node.groups for node in simulator.nodes.values())
    assert token not in run.stdout + run.stderr
    for path in record_dir.rglob("*.json"):
        assert token not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fast_path", [False, True], ids=["per-host", "fast-path"])
def test_rollback_with_few_forks_accounts_every_node_by_its_own_result(
        simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any, fast_path: bool) -> None:
    """Regression: a templated run_once on the per-host tasks made Ansible copy each registered result to
    every host; with fewer forks than nodes, the failed node's (or a skipped node's) result arrived last and
    became every node's, so the account reported restored nodes as failed (rollback_incomplete)."""
    simulator = simulated_cluster(node_count=6)
    simulator.nodes["node3"].groups.add(GROUP)
    simulator.nodes["node6"].add_fault(Fault(FaultKind.OUTAGE, method=None))
    run = run_playbook("create_group.yml", write_inventory(tmp_path, simulator.urls()), tmp_path / "records",
                       extra_vars={"group": GROUP, "group_transaction_fast_path": fast_path},
                       extra_env={"ANSIBLE_FORKS": "2"})
    assert run.rc != 0, run.describe()
    assert run.result["outcome"] == "rolled_back", run.describe()
    assert {name for name, node in simulator.nodes.items() if GROUP in node.groups} == {"node3"}
    nodes = run.result["nodes"]
    assert nodes["node3"]["before"] == "present" and nodes["node3"]["rollback"] == "not_needed"
    assert nodes["node6"]["result"] == "failed"
    for name in ("node1", "node2", "node4", "node5"):
        assert nodes[name]["before"] == "absent" and nodes[name]["result"] == "changed", (name, nodes[name])
        assert nodes[name]["rollback"] == "restored" and nodes[name]["after"] == "absent", (name, nodes[name])
