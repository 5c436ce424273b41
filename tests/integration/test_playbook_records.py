"""Run record retention through the playbooks: the newest settled runs stay, an unfinished rollback always does.

On both paths: a record directory with a retention of 2 goes through settled runs of another group and an incomplete
rollback; the incomplete run's record survives every later run, finish_rollback.yml still finishes it from there,
and afterwards only the newest two settled runs are left.
"""
from __future__ import annotations

import typing as t

import pytest

from playbook_runner import run_playbook, write_inventory
from simulator import Fault, FaultKind

pytestmark = pytest.mark.playbook

KEPT = 2


@pytest.mark.parametrize("fast_path", [False, True], ids=["per-host", "cluster-wide"])
def test_retention_never_removes_an_unfinished_rollback(simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any,
                                                        fast_path: bool) -> None:
    simulator = simulated_cluster(node_count=3)
    inventory = write_inventory(tmp_path, simulator.urls())
    records = tmp_path / "records"
    options = {"group_transaction_records_kept": KEPT, "group_transaction_fast_path": fast_path}

    def run(playbook: str, **extra_vars: t.Any) -> t.Any:
        return run_playbook(playbook, inventory, records, extra_vars=dict(options, **extra_vars))

    def runs_left() -> set[str]:
        return {path.name for path in records.iterdir() if path.is_dir()}

    simulator.nodes["node3"].add_fault(Fault(FaultKind.ERROR_500_BEFORE_WRITE, method="POST", count=None))
    simulator.nodes["node1"].add_fault(Fault(FaultKind.ERROR_500_BEFORE_WRITE, method="DELETE", count=None))
    blocked = run("create_group.yml", group="blocked")
    assert blocked.rc == 2 and blocked.result["outcome"] == "rollback_incomplete", blocked.describe()
    for node in simulator.nodes.values():
        node.clear_faults()

    settled = []
    for playbook in ("create_group.yml", "delete_group.yml", "create_group.yml", "delete_group.yml"):
        done = run(playbook, group="other")
        assert done.rc == 0, done.describe()
        settled.append(done.result["run_id"])
        assert blocked.result["run_id"] in runs_left()
        assert runs_left() == {blocked.result["run_id"], *settled[-KEPT:]}

    finish = run("finish_rollback.yml", run_id=blocked.result["run_id"], group="blocked")
    assert finish.rc == 0 and finish.result["outcome"] == "finished", finish.describe()
    assert not any("blocked" in node.groups for node in simulator.nodes.values())
    # the finished run is now settled and the newest: it and the newest other run are left
    assert runs_left() == {blocked.result["run_id"], settled[-1]}
