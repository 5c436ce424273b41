"""The fast path engine (run/finish_cluster_transaction) over real HTTP against simulated nodes.

Node state is always read from the simulator; the account is checked against it.
"""
from __future__ import annotations

import json
import os
from typing import Any

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._cluster_transaction import (
    finish_cluster_transaction, run_cluster_transaction,
)
from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import RunRecord
from simulator import PROFILES, Fault, FaultKind, SimulatedCluster

FAST_OPTIONS = {"timeout": 2.0, "retries": 2, "backoff_base": 0.0, "backoff_max": 0.0}
SIMULATED_DELAY = 60.0  # a slow node's delay, far above the deadline (a sleeping handler ends when the cluster stops)
DEADLINE = 2.0  # long enough for a healthy node on a loaded machine


def node_list(cluster: SimulatedCluster) -> list[dict[str, str]]:
    return [{"name": name, "api_url": url} for name, url in cluster.urls().items()]


def run(cluster: SimulatedCluster, group: str = "ops", state: str = "present", **kwargs: Any) -> dict[str, Any]:
    options = dict(FAST_OPTIONS, **kwargs.pop("options", {}))
    return run_cluster_transaction(node_list(cluster), group, state, options, **kwargs)


def methods(cluster: SimulatedCluster, name: str) -> list[str]:
    return [entry.method for entry in cluster.nodes[name].log]


@pytest.mark.parametrize("profile", ["default", "lenient_delete", "no_trailing_slash", "html_errors", "strict_422"])
def test_create_then_delete_on_every_node_and_rerun_changes_nothing(simulated_cluster, profile: str) -> None:
    cluster = simulated_cluster(node_count=4, profiles=PROFILES[profile])
    created = run(cluster)
    assert (created["outcome"], created["changed"], created["failed"]) == ("success", True, False)
    assert cluster.snapshot() == {name: ["ops"] for name in cluster.names}
    assert set(created["nodes"]) == set(cluster.names)
    assert all(entry["result"] == "changed" and entry["after"] == "present" for entry in created["nodes"].values())
    assert (run(cluster)["changed"], run(cluster, state="absent")["changed"]) == (False, True)
    assert cluster.snapshot() == {name: [] for name in cluster.names}
    assert run(cluster, state="absent")["changed"] is False


def test_failure_on_one_node_rolls_back_exactly_what_this_run_changed(simulated_cluster, tmp_path) -> None:
    cluster = simulated_cluster(node_count=4)
    cluster.nodes["node2"].groups = {"ops"}  # pre-existing: never deleted by the rollback
    cluster.nodes["node3"].add_fault(Fault(FaultKind.OUTAGE, method="POST"))
    account = run(cluster, record_dir=str(tmp_path), run_id="r1")
    assert (account["outcome"], account["failed"]) == ("rolled_back", True)
    assert cluster.snapshot() == {"node1": [], "node2": ["ops"], "node3": [], "node4": []}
    assert methods(cluster, "node2") == ["GET"]
    assert account["nodes"]["node2"]["rollback"] == "not_needed"
    assert account["nodes"]["node3"]["result"] == "failed" and "unavailable" in account["nodes"]["node3"]["error"]
    assert {account["nodes"][name]["rollback"] for name in ("node1", "node4")} == {"restored"}
    assert "node3" in account["msg"] and "put back" in account["msg"]
    saved = RunRecord(str(tmp_path), "r1").load()
    assert saved["run"]["outcome"] == "rolled_back" and set(saved["nodes"]) == {"node1", "node3", "node4"}


def test_write_applied_before_a_500_counts_as_ours(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=3)
    cluster.nodes["node1"].add_fault(Fault(FaultKind.ERROR_500_AFTER_WRITE, method="POST"))
    account = run(cluster)
    assert account["outcome"] == "success"
    assert methods(cluster, "node1") == ["GET", "POST", "GET"]
    cluster.clear_logs()
    cluster.nodes["node1"].add_fault(Fault(FaultKind.ERROR_500_AFTER_WRITE, method="DELETE"))
    cluster.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method="DELETE"))
    account = run(cluster, state="absent")
    assert account["outcome"] == "rolled_back"
    assert account["nodes"]["node1"]["rollback"] == "restored"
    assert cluster.snapshot() == {name: ["ops"] for name in cluster.names}


def test_blocked_rollback_is_reported_recorded_and_finished_later(simulated_cluster, tmp_path) -> None:
    cluster = simulated_cluster(node_count=3)
    cluster.nodes["node1"].add_fault(Fault(FaultKind.OUTAGE, method="POST"))
    cluster.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method="DELETE"))
    account = run(cluster, record_dir=str(tmp_path), run_id="blocked")
    assert account["outcome"] == "rollback_incomplete" and account["failed"]
    assert account["nodes"]["node2"] == dict(account["nodes"]["node2"], rollback="failed", after="present", restore_to="absent")
    assert "finish_rollback" in account["msg"] and "node2 (now present, must be absent)" in account["msg"]
    assert cluster.snapshot()["node2"] == ["ops"]
    assert account["record"]["nodes"]["node2"]["existed_before"] is False
    cluster.clear_faults()
    record = RunRecord(str(tmp_path), "blocked").load()
    finished = finish_cluster_transaction(record, dict(FAST_OPTIONS), record_dir=str(tmp_path))
    assert (finished["outcome"], finished["failed"], finished["operation"]) == ("finished", False, "finish_rollback")
    assert cluster.snapshot() == {name: [] for name in cluster.names}
    again = finish_cluster_transaction(RunRecord(str(tmp_path), "blocked").load(), dict(FAST_OPTIONS), record_dir=str(tmp_path))
    assert (again["outcome"], again["changed"], again["nodes"]) == ("finished", False, {})


def test_finish_from_the_artifact_record_alone(simulated_cluster, tmp_path) -> None:
    cluster = simulated_cluster(node_count=2)
    cluster.nodes["node1"].add_fault(Fault(FaultKind.OUTAGE, method="POST"))
    cluster.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method="DELETE"))
    account = run(cluster, record_dir=str(tmp_path), run_id="awx")
    cluster.clear_faults()
    artifact_record = json.loads(json.dumps(account["record"]))
    finished = finish_cluster_transaction(artifact_record, dict(FAST_OPTIONS))
    assert finished["outcome"] == "finished" and cluster.snapshot() == {"node1": [], "node2": []}


def test_slow_node_cannot_stall_the_run_past_the_deadline(simulated_cluster, tmp_path) -> None:
    cluster = simulated_cluster(node_count=3)
    cluster.nodes["node3"].add_fault(Fault(FaultKind.LATENCY, method="GET", delay=SIMULATED_DELAY))
    account = run(cluster, deadline_seconds=DEADLINE, record_dir=str(tmp_path), run_id="slow",
                  options={"timeout": 30.0})
    node3 = account["nodes"]["node3"]
    assert account["outcome"] in ("rolled_back", "failed") and account["failed"]
    assert (node3["result"], node3["after"], node3["rollback"]) == ("failed", "unknown", "not_needed")
    assert "deadline" in node3["error"]
    assert cluster.snapshot() == {"node1": [], "node2": [], "node3": []}


def test_write_cut_by_the_deadline_is_unknown_and_compensated_from_its_prior_state(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=2)
    cluster.nodes["node2"].add_fault(Fault(FaultKind.TIMEOUT_AFTER_WRITE, method="POST", delay=SIMULATED_DELAY))
    account = run(cluster, deadline_seconds=DEADLINE, options={"timeout": 30.0})
    assert account["outcome"] == "rolled_back"
    assert account["nodes"]["node2"]["rollback"] == "restored" and account["nodes"]["node2"]["restore_to"] == "absent"
    assert cluster.snapshot() == {"node1": [], "node2": []}


def test_check_mode_sends_only_gets_and_reports_what_would_change(simulated_cluster, tmp_path) -> None:
    cluster = simulated_cluster(node_count=3)
    cluster.nodes["node1"].groups = {"ops"}
    account = run(cluster, check_mode=True, record_dir=str(tmp_path), run_id="dry")
    assert (account["outcome"], account["changed"], account["check_mode"]) == ("success", True, True)
    assert account["nodes"]["node2"]["result"] == "would_change" and account["nodes"]["node1"]["result"] == "ok"
    assert {method for name in cluster.names for method in methods(cluster, name)} == {"GET"}
    assert cluster.snapshot() == {"node1": ["ops"], "node2": [], "node3": []}
    assert not os.path.exists(tmp_path / "dry")


def test_token_is_sent_and_never_returned(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=2, token="s3cret-token")
    refused = run(cluster)
    assert (refused["outcome"], refused["failed"]) == ("failed", True) and "401" in refused["msg"]
    account = run(cluster, options={"api_token": "s3cret-token"})
    assert account["outcome"] == "success" and cluster.snapshot() == {"node1": ["ops"], "node2": ["ops"]}
    assert "s3cret-token" not in json.dumps(account) + json.dumps(refused)


def test_two_hundred_nodes_on_one_port_two_requests_each(simulated_cluster, tmp_path) -> None:
    cluster = simulated_cluster(node_count=200, layout="prefix")
    account = run(cluster, workers=32, record_dir=str(tmp_path), run_id="big")
    assert account["outcome"] == "success" and len(account["nodes"]) == 200
    assert set(cluster.requests_per_node().values()) == {2}
    assert all(groups == ["ops"] for groups in cluster.snapshot().values())
    cluster.nodes["node200"].add_fault(Fault(FaultKind.OUTAGE, method="DELETE"))
    rolled_back = run(cluster, state="absent", workers=32)
    assert rolled_back["outcome"] == "rolled_back"
    assert all(groups == ["ops"] for groups in cluster.snapshot().values())


def test_each_node_gets_its_own_token_through_one_shared_session(simulated_cluster, tmp_path) -> None:
    # one origin (prefix layout) and one worker: every node's requests go through the same Session and connection pool
    cluster = simulated_cluster(node_count=6, layout="prefix")
    tokens = {name: "token-of-%s" % name for name in cluster.names}
    for name in cluster.names:
        cluster.nodes[name].token = tokens[name]
    cluster.nodes["node4"].add_fault(Fault(FaultKind.OUTAGE, method="POST"))
    cluster.nodes["node5"].add_fault(Fault(FaultKind.OUTAGE, method="DELETE"))
    nodes = [dict(node, api_token=tokens[node["name"]]) for node in node_list(cluster)]
    account = run_cluster_transaction(nodes, "ops", "present", dict(FAST_OPTIONS, api_token="task-token"), workers=1,
                                      record_dir=str(tmp_path), run_id="own-tokens")
    assert account["outcome"] == "rollback_incomplete", account["msg"]
    cluster.clear_faults()
    finished = finish_cluster_transaction(RunRecord(str(tmp_path), "own-tokens").load(), dict(FAST_OPTIONS, api_token="task-token"),
                                          workers=1, nodes=nodes)
    assert finished["outcome"] == "finished" and cluster.snapshot() == {name: [] for name in cluster.names}
    received = {name: {entry.authorization for entry in log} for name, log in cluster.logs().items()}
    assert received == {name: {"Bearer " + token} for name, token in tokens.items()}
    assert not any(token in json.dumps(account) + json.dumps(finished) for token in tokens.values())


def test_bad_settings_on_several_nodes_are_refused_before_any_request_naming_each(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=5)
    nodes = node_list(cluster)
    nodes[1]["timeout"], nodes[3]["retries"], nodes[4]["api_token"] = 0.0, -1, "has space"
    with pytest.raises(InvalidInput) as refused:
        run_cluster_transaction(nodes, "ops", "present", dict(FAST_OPTIONS))
    assert all("node node%d: " % index in str(refused.value) for index in (2, 4, 5)), refused.value
    assert "has space" not in str(refused.value)
    assert cluster.requests_per_node() == {name: 0 for name in cluster.names}
