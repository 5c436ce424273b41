"""The edges of a run (issue 13): the partial-cluster opt-in, the run lock, a damaged record, a subset status.

Real ansible-playbook over real HTTP; node state and requests read from the simulator. The refusals of bad input
(--limit, empty cluster, stray -e words, shared URLs) are in the catalogue, tests/integration/test_bad_input.py.
"""
from __future__ import annotations

import json
import os
import time
import typing as t

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._cluster_transaction import finish_cluster_transaction
from ansible_collections.clusterops.groups.plugins.module_utils._errors import RunRecordError
from ansible_collections.clusterops.groups.plugins.module_utils._run_lock import acquire, lock_path
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import RunRecord
from playbook_runner import run_playbook, start_playbook
from simulator import Fault, FaultKind

pytestmark = pytest.mark.playbook

PATHS = [pytest.param({}, id="per-host"), pytest.param({"group_transaction_fast_path": True}, id="fast-path")]
WAIT_LIMIT_SECONDS = 90.0

CALLER_ON_TWO_NODES = """
- name: The caller's own play, on part of the cluster
  hosts: node1,node2
  gather_facts: false
  connection: local
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  roles:
    - role: clusterops.groups.group_transaction
      vars:
        group_transaction_group: ops-team
"""


def lock_files(record_dir: str) -> list[str]:
    return sorted(name for name in os.listdir(record_dir) if name.endswith(".json")) if os.path.isdir(record_dir) else []


@pytest.mark.parametrize("path_vars", PATHS)
@pytest.mark.parametrize("limit", ["node1", "cluster:!node2:!node3"])
def test_the_opt_in_runs_on_the_hosts_left_and_only_there(playbook_cluster: t.Any, path_vars: dict[str, t.Any], limit: str) -> None:
    run = playbook_cluster.run("create_group.yml", extra_vars=dict(path_vars, allow_partial_cluster="true"),
                               extra_args=["--limit", limit])
    assert run.rc == 0, run.describe()
    assert playbook_cluster.holders() == {"node1"}
    assert not playbook_cluster.simulator.nodes["node2"].log and not playbook_cluster.simulator.nodes["node3"].log


@pytest.mark.parametrize("path_vars", PATHS)
def test_a_caller_play_narrower_than_the_cluster_is_refused(playbook_cluster: t.Any, tmp_path: t.Any,
                                                            path_vars: dict[str, t.Any]) -> None:
    caller = tmp_path / "caller.yml"
    caller.write_text(CALLER_ON_TWO_NODES, encoding="utf-8")
    run = playbook_cluster.run(str(caller), extra_vars=path_vars)
    assert run.rc != 0 and "covers 2 of the 3 hosts of cluster 'cluster' (the play's hosts pattern leaves out node3" in run.stdout, \
        run.describe()
    assert playbook_cluster.requests() == 0 and playbook_cluster.holders() == set()


@pytest.mark.parametrize("limit", ["node1", "cluster:!node2:!node3"])
def test_group_status_reads_a_subset_and_says_so_in_its_headline(playbook_cluster: t.Any, limit: str) -> None:
    playbook_cluster.simulator.nodes["node1"].groups.add(playbook_cluster.group)
    run = playbook_cluster.run("group_status.yml", extra_args=["--limit", limit])
    assert run.rc == 0, run.describe()
    assert "status of group 'ops-team' on 1 of 3 cluster nodes only (not read: node2, node3): present" in run.stdout
    assert run.result["partial"] == {"read": 1, "cluster": 3, "not_read": ["node2", "node3"]}
    assert playbook_cluster.simulator.requests_per_node() == {"node1": 1, "node2": 0, "node3": 0}


# ---- the run lock: one run per group and record directory ----

@pytest.mark.parametrize("path_vars", PATHS)
def test_a_run_refuses_while_a_live_run_holds_the_lock(playbook_cluster: t.Any, path_vars: dict[str, t.Any]) -> None:
    held = acquire(playbook_cluster.record_dir, playbook_cluster.group, "the-other-run")  # this live process holds it
    run = playbook_cluster.run("create_group.yml", extra_vars=dict(path_vars, group_transaction_lock_wait=0))
    assert run.rc != 0 and "another run holds the lock of group 'ops-team'" in run.stdout and "the-other-run" in run.stdout, \
        run.describe()
    assert playbook_cluster.requests() == 0 and playbook_cluster.holders() == set()
    assert json.loads(open(held["path"], encoding="utf-8").read())["run_id"] == "the-other-run", "never taken from a live holder"


@pytest.mark.parametrize("path_vars", PATHS)
def test_the_module_takes_the_lock_when_called_without_the_role(playbook_cluster: t.Any, path_vars: dict[str, t.Any]) -> None:
    from module_runner import run_module
    acquire(playbook_cluster.record_dir, playbook_cluster.group, "the-other-run")
    nodes = [{"name": name, "api_url": url} for name, url in playbook_cluster.simulator.urls().items()]
    failed, result = run_module("cluster_group", dict(name=playbook_cluster.group, nodes=nodes, record_dir=playbook_cluster.record_dir,
                                                      run_id="r2", timeout=2.0, retries=0))
    assert failed and result["error_kind"] == "run_lock_busy", result
    assert playbook_cluster.requests() == 0


@pytest.mark.parametrize("path_vars", PATHS)
@pytest.mark.parametrize("exit_path", ["success", "rolled-back", "check-mode", "stale-lock-taken-over"])
def test_the_lock_is_released_on_every_exit(playbook_cluster: t.Any, path_vars: dict[str, t.Any], exit_path: str) -> None:
    if exit_path == "rolled-back":
        playbook_cluster.simulator.nodes["node3"].add_fault(Fault(FaultKind.OUTAGE, method=None))
    if exit_path == "stale-lock-taken-over":
        import subprocess
        import sys
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        acquire(playbook_cluster.record_dir, playbook_cluster.group, "crashed-run", holder_pid=gone.pid)
    run = playbook_cluster.run("create_group.yml", extra_vars=path_vars, check=exit_path == "check-mode")
    expected_holders = {"success": {"node1", "node2", "node3"}, "stale-lock-taken-over": {"node1", "node2", "node3"}}
    assert (run.rc == 0) is (exit_path != "rolled-back"), run.describe()
    assert playbook_cluster.holders() == expected_holders.get(exit_path, set())
    assert not os.path.exists(lock_path(playbook_cluster.record_dir, playbook_cluster.group))
    if exit_path == "check-mode":
        assert not os.path.exists(playbook_cluster.record_dir), "check mode takes no lock and writes no record"


def wait_for(condition: t.Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.1)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("path_vars", PATHS)
def test_concurrent_runs_of_one_group_wait_or_refuse(playbook_cluster: t.Any, path_vars: dict[str, t.Any]) -> None:
    """The first run holds the lock while node1 answers its POST slowly; a second run with no wait is refused, a
    third waits, then finds the group everywhere and changes nothing. Request count: the refused run sent none."""
    simulator = playbook_cluster.simulator
    simulator.nodes["node1"].add_fault(Fault(FaultKind.LATENCY, method="POST", count=1, delay=5.0))
    # a timeout above the latency: the slow answer arrives, so the first run sends exactly one GET and POST per node
    first = start_playbook("create_group.yml", playbook_cluster.inventory, playbook_cluster.record_dir,
                           extra_vars=dict(path_vars, group=playbook_cluster.group, cluster_timeout=30.0))
    try:
        wait_for(lambda: os.path.exists(lock_path(playbook_cluster.record_dir, playbook_cluster.group)), "the first run's lock")
        refused = playbook_cluster.run("create_group.yml", extra_vars=dict(path_vars, group_transaction_lock_wait=0))
        assert refused.rc != 0 and "another run holds the lock" in refused.stdout, refused.describe()
        waited = playbook_cluster.run("create_group.yml", extra_vars=dict(path_vars, group_transaction_lock_wait=120))
        assert waited.rc == 0 and waited.result["outcome"] == "success", waited.describe()
        assert {entry["result"] for entry in waited.result["nodes"].values()} == {"ok"}
    finally:
        assert first.wait(timeout=WAIT_LIMIT_SECONDS) == 0
    assert playbook_cluster.holders() == {"node1", "node2", "node3"}
    assert playbook_cluster.requests() == 3 * 2 + 3, simulator.requests_per_node()  # first: GET+POST each; third: GETs
    assert not os.path.exists(lock_path(playbook_cluster.record_dir, playbook_cluster.group))


# ---- finish_rollback.yml on a damaged record ----

DAMAGES: dict[str, t.Callable[[dict[str, t.Any]], t.Any]] = {
    "no-existed-before": lambda entry: {key: value for key, value in entry.items() if key != "existed_before"},
    "no-group": lambda entry: {key: value for key, value in entry.items() if key != "group"},
    "existed-before-text": lambda entry: dict(entry, existed_before="no"),
    "bad-json": lambda entry: "{not json",
}


def damaged_record(playbook_cluster: t.Any, damage: str) -> RunRecord:
    """A run that created the group on node1 and node2 and was killed before its rollback; node1's file damaged."""
    record = RunRecord(playbook_cluster.record_dir, "killed-run")
    for name in ("node1", "node2"):
        record.record_node_intent(name, playbook_cluster.simulator.urls()[name], playbook_cluster.group, "create", False)
        playbook_cluster.simulator.nodes[name].groups.add(playbook_cluster.group)
    path = record.node_path("node1")
    damaged = DAMAGES[damage](json.loads(open(path, encoding="utf-8").read()))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(damaged if isinstance(damaged, str) else json.dumps(damaged))
    return record


# an artifact's record reaches AWX as parsed JSON: it cannot hold a file that is not JSON
FINISH_ENTRIES = [(entry, damage) for entry in ("playbook", "artifact-record", "engine") for damage in sorted(DAMAGES)
                  if not (entry == "artifact-record" and damage == "bad-json")]


@pytest.mark.parametrize("entry, damage", FINISH_ENTRIES)
def test_finish_refuses_a_damaged_record_naming_node_and_file(playbook_cluster: t.Any, damage: str, entry: str) -> None:
    record = damaged_record(playbook_cluster, damage)
    node_file = record.node_path("node1")
    if entry == "engine":
        with pytest.raises(RunRecordError) as refused:
            finish_cluster_transaction(record.load(keep_damaged=True), {"timeout": 2.0, "retries": 0},
                                       record_dir=playbook_cluster.record_dir)
        message = refused.value.msg
    elif entry == "artifact-record":
        run = run_playbook("finish_rollback.yml", playbook_cluster.inventory, playbook_cluster.record_dir,
                           extra_vars={"clusterops_groups_record": record.load(), "group": playbook_cluster.group})
        assert run.rc != 0, run.describe()
        message, node_file = run.stdout, ""
    else:
        run = run_playbook("finish_rollback.yml", playbook_cluster.inventory, playbook_cluster.record_dir,
                           extra_vars={"run_id": "killed-run", "group": playbook_cluster.group})
        assert run.rc != 0, run.describe()
        message = run.stdout
        assert run.result is None or run.result["outcome"] != "finished"
    assert "record of run killed-run is damaged" in message and "node node1" in message and node_file in message, message
    assert playbook_cluster.requests() == 0, "nothing sent, not even to the healthy node2"
    assert playbook_cluster.holders() == {"node1", "node2"}
    assert not os.path.exists(os.path.join(record.run_dir, "run.json")), "never marked finished"
