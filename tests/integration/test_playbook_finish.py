"""finish_rollback.yml: a blocked rollback and a killed run both converge, from the record; repeats are safe."""
from __future__ import annotations

import os
import time
import typing as t

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._run_record import RunRecord, list_runs
from playbook_runner import kill_playbook, run_playbook, start_playbook, write_inventory
from simulator import Fault, FaultKind

pytestmark = pytest.mark.playbook

GROUP = "ops-team"
WAIT_LIMIT_SECONDS = 90.0


def holders(simulator: t.Any) -> set[str]:
    return {name for name, node in simulator.nodes.items() if GROUP in node.groups}


@pytest.mark.matrix
@pytest.mark.parametrize("path", ["per_host", "cluster_wide"])
def test_blocked_rollback_is_reported_and_finished_later(simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any,
                                                         path: str) -> None:
    fast_path = {"group_transaction_fast_path": path == "cluster_wide"}
    simulator = simulated_cluster(node_count=3)
    record_dir = str(tmp_path / "records")
    inventory = write_inventory(tmp_path, simulator.urls())
    simulator.nodes["node1"].add_fault(Fault(FaultKind.OUTAGE, method="DELETE"))  # create works, rollback cannot
    simulator.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method=None))

    run = run_playbook("create_group.yml", inventory, record_dir, extra_vars=dict(fast_path, group=GROUP))

    assert run.rc != 0
    assert holders(simulator) == {"node1"}
    account = run.result
    run_id = account["run_id"]
    assert account["outcome"] == "rollback_incomplete"
    assert account["nodes"]["node1"]["rollback"] == "failed" and account["nodes"]["node1"]["after"] == "present"
    assert account["nodes"]["node3"]["rollback"] == "restored"
    assert "Not restored: node1 (now present, must be absent)" in run.stdout
    assert "ansible-playbook playbooks/finish_rollback.yml -e run_id=%s -e group=%s -e group_transaction_record_dir=%s" % (
        run_id, GROUP, record_dir) in run.stdout
    record = RunRecord(record_dir, run_id).load()
    assert record["run"]["outcome"] == "rollback_incomplete"
    assert set(record["nodes"]) == {"node1", "node3"}
    assert account["record"]["nodes"]["node1"]["existed_before"] is False

    simulator.clear_faults()
    for attempt in range(2):
        simulator.clear_logs()
        finish = run_playbook("finish_rollback.yml", inventory, record_dir, extra_vars=dict(fast_path, run_id=run_id, group=GROUP))
        assert finish.rc == 0, finish.describe()
        assert holders(simulator) == set()
        if path == "cluster_wide":  # one controller task: no node runs a task of its own
            assert all(not finish.recap.get(node, {}).get("ok") for node in simulator.names), finish.describe()
        assert finish.result["outcome"] == "finished"
        assert not simulator.nodes["node2"].log, "finish must never touch a node the run did not write"
        if attempt == 1:
            assert finish.changed == 0 and not finish.result["nodes"]
    assert RunRecord(record_dir, run_id).load()["run"]["outcome"] == "finished"


def test_finish_from_the_artifact_record_without_a_record_dir(
        simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any) -> None:
    """AWX: the controller's files are gone; the set_stats artifact's record is enough."""
    simulator = simulated_cluster(node_count=3)
    inventory = write_inventory(tmp_path, simulator.urls())
    simulator.nodes["node1"].add_fault(Fault(FaultKind.OUTAGE, method="DELETE"))
    simulator.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method=None))
    run = run_playbook("create_group.yml", inventory, tmp_path / "job1", extra_vars={"group": GROUP})
    assert run.result["outcome"] == "rollback_incomplete"
    simulator.clear_faults()

    finish = run_playbook("clusterops.groups.finish_rollback", None, tmp_path / "job2",
                          extra_vars={"clusterops_groups_record": run.result["record"], "group": GROUP})
    assert finish.rc == 0, finish.describe()
    assert holders(simulator) == set()


def wait_for_first_write(node: t.Any, process: t.Any) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while not any(entry.method == "POST" for entry in node.log):
        assert process.poll() is None, "the playbook ended before its first write"
        assert time.monotonic() < deadline, "no write within %s s" % WAIT_LIMIT_SECONDS
        time.sleep(0.05)


def test_killed_run_is_finished_from_its_record(simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any) -> None:
    simulator = simulated_cluster(node_count=3)
    record_dir = str(tmp_path / "records")
    inventory = write_inventory(tmp_path, simulator.urls())
    simulator.nodes["node2"].groups.add(GROUP)
    # node2 and node3 answer no GET within the client timeout: the run is still going (and has written
    # nothing there) when node1 has been written. A write still in flight at the kill could land after
    # the finish; the test keeps that race out, docs/transaction.md tells operators what to do about it.
    for name in ("node2", "node3"):
        simulator.nodes[name].add_fault(Fault(FaultKind.LATENCY, method="GET", delay=5.0))

    process = start_playbook("create_group.yml", inventory, record_dir, extra_vars={"group": GROUP})
    try:
        wait_for_first_write(simulator.nodes["node1"], process)
    finally:
        kill_playbook(process)

    assert GROUP in simulator.nodes["node1"].groups
    (run_id,) = list_runs(record_dir)
    assert "node1" in RunRecord(record_dir, run_id).load()["nodes"]
    simulator.clear_faults()
    simulator.clear_logs()

    finish = run_playbook("finish_rollback.yml", inventory, record_dir, extra_vars={"run_id": run_id, "group": GROUP})

    assert finish.rc == 0, finish.describe()
    assert holders(simulator) == {"node2"}, "node1 back to absent; node2 had the group before and keeps it"
    assert finish.result["outcome"] == "finished"
    assert os.path.exists(os.path.join(record_dir, run_id, "run.json"))


def test_finish_without_a_run_id_says_what_it_needs(tmp_path: t.Any) -> None:
    finish = run_playbook("finish_rollback.yml", None, tmp_path / "records", extra_vars={"group": GROUP})
    assert finish.rc != 0
    assert "finish_rollback needs -e run_id=<id>" in finish.stdout + finish.stderr


def test_finish_without_a_group_says_what_it_needs(tmp_path: t.Any) -> None:
    finish = run_playbook("finish_rollback.yml", None, tmp_path / "records", extra_vars={"run_id": "r1"})
    assert finish.rc != 0
    assert "finish_rollback needs the group of the run: -e run_id=<id> -e group=<name>" in finish.stdout + finish.stderr
