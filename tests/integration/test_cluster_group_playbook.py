"""The playbooks with the fast path switch on (-e group_transaction_fast_path=true): real ansible-playbook, nodes over HTTP."""
from __future__ import annotations

import json
import typing as t

import pytest

from playbook_runner import run_playbook, write_inventory
from simulator import Fault, FaultKind

GROUP = "ops"
FAST_PATH = {"group": GROUP, "group_transaction_fast_path": True}


@pytest.mark.matrix
def test_create_on_every_node_in_one_task_then_rerun_changes_nothing(simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any) -> None:
    cluster = simulated_cluster(node_count=5, layout="prefix")
    inventory = write_inventory(tmp_path, cluster.urls())
    run = run_playbook("create_group.yml", inventory, tmp_path / "records", extra_vars=FAST_PATH)
    assert run.rc == 0, run.describe()
    assert cluster.snapshot() == {name: [GROUP] for name in cluster.names}
    assert set(cluster.requests_per_node().values()) == {2}
    assert run.result["outcome"] == "success" and set(run.result["nodes"]) == set(cluster.names)
    # O(1) tasks: no task runs per host, not even the role's argument validation; one host reports for the run
    assert set(run.recap) == {"node1"}, run.describe()
    saved = json.loads((tmp_path / "records" / run.result["run_id"] / "run.json").read_text())
    assert saved["outcome"] == "success"
    again = run_playbook("create_group.yml", inventory, tmp_path / "records", extra_vars=FAST_PATH)
    assert again.rc == 0 and again.changed == 0, again.describe()


@pytest.mark.matrix
def test_failure_rolls_back_and_publishes_the_same_artifact(simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any) -> None:
    cluster = simulated_cluster(node_count=3)
    cluster.nodes["node1"].groups = {GROUP}
    cluster.nodes["node3"].add_fault(Fault(FaultKind.OUTAGE, method="POST"))
    run = run_playbook("create_group.yml", write_inventory(tmp_path, cluster.urls()), tmp_path / "records", extra_vars=FAST_PATH)
    assert run.rc != 0, run.describe()
    assert cluster.snapshot() == {"node1": [GROUP], "node2": [], "node3": []}
    assert run.result["outcome"] == "rolled_back"
    assert run.result["nodes"]["node2"] == {"before": "absent", "action": "create", "result": "changed",
                                            "rollback": "restored", "after": "absent", "restore_to": "absent"}
    assert run.result["nodes"]["node1"]["rollback"] == "not_needed"
    assert "every node this run changed was put back" in run.stdout


def test_blocked_rollback_is_finished_by_the_finish_command(simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any) -> None:
    cluster = simulated_cluster(node_count=3)
    cluster.nodes["node1"].add_fault(Fault(FaultKind.OUTAGE, method="POST"))
    cluster.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method="DELETE"))
    inventory = write_inventory(tmp_path, cluster.urls())
    run = run_playbook("create_group.yml", inventory, tmp_path / "records", extra_vars=FAST_PATH)
    assert run.rc != 0 and run.result["outcome"] == "rollback_incomplete", run.describe()
    assert "finish_rollback.yml -e run_id=%s -e group=%s" % (run.result["run_id"], GROUP) in run.stdout
    assert cluster.snapshot()["node2"] == [GROUP]
    cluster.clear_faults()
    finish = run_playbook("finish_rollback.yml", inventory, tmp_path / "records",
                          extra_vars={"run_id": run.result["run_id"], "group": GROUP})
    assert finish.rc == 0 and finish.result["outcome"] == "finished", finish.describe()
    assert cluster.snapshot() == {name: [] for name in cluster.names}


def test_check_mode_sends_only_gets(simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any) -> None:
    cluster = simulated_cluster(node_count=3)
    run = run_playbook("create_group.yml", write_inventory(tmp_path, cluster.urls()), tmp_path / "records",
                       extra_vars=FAST_PATH, check=True)
    assert run.rc == 0 and run.result["check_mode"] is True, run.describe()
    assert {entry.method for log in cluster.logs().values() for entry in log} == {"GET"}
    assert cluster.snapshot() == {name: [] for name in cluster.names}
