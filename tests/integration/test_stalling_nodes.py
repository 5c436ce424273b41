"""Nodes that stall (issue 30): one that drips its status line or never answers, where each request attempt ends at
its timeout, in total, so the module, the cluster-wide engine and a playbook on both paths end, rolled back, with
nothing left running; and one that asks for patience with Retry-After, which is given.

Against these nodes every socket wait is short (a byte every 20 ms) or simply never answered, so without a total
bound a run hangs for good; the bound asserted on time is a generous ENDS_WITHIN, the rest is outcome and node state.
"""
from __future__ import annotations

import threading
import time
import typing as t

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._cluster_transaction import run_cluster_transaction
from module_runner import run_module
from playbook_runner import run_playbook, write_inventory
from simulator import Fault, FaultKind, SimulatedCluster
from simulator.hostile import TOTAL_TIME_MODES, HostileServer

GROUP = "deadline"
FAST = {"timeout": 0.5, "retries": 1, "backoff_base": 0.0, "backoff_max": 0.0}
TIMED_OUT = "timed out after 0.5s (total)"
# (retries + 1) x timeout is 1 s here, a playbook adds its own seconds; a hang never ends
ENDS_WITHIN = 60.0
FAST_PATH = {"group_transaction_fast_path": True}
# (extra vars, connection vars): each path with short timeouts; the cluster-wide path whose phase deadline cuts an
# attempt that its timeout would let run for minutes (the engine returned there, and the playbook hung on its next task)
PLAYBOOK_BOUNDS = [
    pytest.param({}, FAST, id="per-host"),
    pytest.param(FAST_PATH, FAST, id="fast-path"),
    pytest.param(dict(FAST_PATH, group_transaction_fast_path_deadline=3), dict(FAST, timeout=600.0, retries=3),
                 id="fast-path-deadline"),
]


@pytest.fixture(params=TOTAL_TIME_MODES)
def stalling(request: pytest.FixtureRequest) -> t.Iterator[HostileServer]:
    with HostileServer(request.param) as server:
        yield server


def our_threads() -> list[threading.Thread]:
    """Threads of the engine (workers) and of the request watchdog that are still alive."""
    return [thread for thread in threading.enumerate() if thread.name.startswith("clusterops-")]


def nodes_with(cluster: SimulatedCluster, stalling: HostileServer) -> list[dict[str, str]]:
    return [{"name": name, "api_url": url} for name, url in cluster.urls().items()] + [{"name": "stalling", "api_url": stalling.url}]


@pytest.mark.timeout(120)
def test_the_module_fails_the_node_after_its_attempts_without_a_write(stalling: HostileServer) -> None:
    failed, result = run_module("group", dict(FAST, name=GROUP, state="present", api_url=stalling.url))
    assert failed and TIMED_OUT in result["msg"], result
    assert result["write_attempted"] is False and result["existed_before"] is None
    assert stalling.writes() == [] and len(stalling.log) == FAST["retries"] + 1
    assert our_threads() == []


# (id, options, phase deadline): the request timeout ends each attempt, or the phase deadline cuts a longer one
BOUNDS = [
    pytest.param(FAST, None, id="timeout"),
    pytest.param(FAST, 30.0, id="timeout-within-deadline"),
    pytest.param(dict(FAST, timeout=600.0, retries=3), 1.0, id="deadline-cuts-the-attempt"),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("options, deadline", BOUNDS)
def test_the_engine_rolls_back_and_leaves_no_thread(simulated_cluster: t.Any, stalling: HostileServer, tmp_path: t.Any,
                                                    options: dict[str, t.Any], deadline: float | None) -> None:
    cluster = simulated_cluster(node_count=2)
    started = time.monotonic()
    account = run_cluster_transaction(nodes_with(cluster, stalling), GROUP, "present", options, deadline_seconds=deadline,
                                      record_dir=str(tmp_path), run_id="r1")
    assert time.monotonic() - started < ENDS_WITHIN
    assert our_threads() == []  # no worker left in a request: it would keep the playbook's process alive
    assert (account["outcome"], account["failed"]) == ("rolled_back", True), account["msg"]
    assert cluster.snapshot() == {"node1": [], "node2": []} and stalling.writes() == []
    assert account["nodes"]["stalling"]["result"] == "failed"
    if deadline is None:
        assert TIMED_OUT in account["nodes"]["stalling"]["error"]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path_vars, options", PLAYBOOK_BOUNDS)
def test_a_playbook_with_a_stalling_node_ends_rolled_back(simulated_cluster: t.Any, stalling: HostileServer, tmp_path: t.Any,
                                                          path_vars: dict[str, t.Any], options: dict[str, t.Any]) -> None:
    cluster = simulated_cluster(node_count=2)
    inventory = write_inventory(tmp_path, dict(cluster.urls(), node3=stalling.url),
                                group_vars={"cluster_" + name: value for name, value in options.items()})
    # run_playbook fails the test (TimeoutExpired, the process killed) if the playbook hangs
    run = run_playbook("create_group.yml", inventory, tmp_path / "records", extra_vars=dict(path_vars, group=GROUP),
                       timeout=ENDS_WITHIN * 2)
    assert run.rc != 0, run.describe()
    assert run.result is not None and run.result["outcome"] == "rolled_back", run.describe()
    assert cluster.snapshot() == {"node1": [], "node2": []} and stalling.writes() == []
    assert run.result["nodes"]["node3"]["result"] == "failed", run.describe()


@pytest.mark.parametrize("status", [503, 429])
def test_retry_after_from_a_node_is_waited_out(simulated_cluster: t.Any, status: int) -> None:
    """The issue's case over real HTTP: four answers asking for one second each, then the node is back. The backoff
    alone (1 ms here) would have failed it; the sleeps are recorded, not slept."""
    cluster = simulated_cluster(node_count=2)
    cluster.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method="GET", count=4, status=status, retry_after="1"))
    sleeps: list[float] = []
    account = run_cluster_transaction([{"name": name, "api_url": url} for name, url in cluster.urls().items()], GROUP,
                                      "present", dict(FAST, retries=4, backoff_base=0.001, backoff_max=5.0),
                                      sleep=sleeps.append)
    assert (account["outcome"], account["failed"]) == ("success", False), account["msg"]
    assert cluster.snapshot() == {"node1": [GROUP], "node2": [GROUP]} and sleeps == [1.0] * 4
