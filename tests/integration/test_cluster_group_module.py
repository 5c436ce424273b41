"""The clusterops.groups.cluster_group module, run in-process as Ansible would, against simulated nodes over HTTP."""
from __future__ import annotations

import json
from typing import Any

from module_runner import run_module
from simulator import Fault, FaultKind, SimulatedCluster

FAST_OPTIONS = {"timeout": 2.0, "retries": 2, "backoff_base": 0.0, "backoff_max": 0.0}


def module_args(cluster: SimulatedCluster, **overrides: Any) -> dict[str, Any]:
    nodes = [{"name": name, "api_url": url} for name, url in cluster.urls().items()]
    return dict(FAST_OPTIONS, nodes=nodes, name="ops") | overrides


def test_success_returns_the_account_and_the_diff(simulated_cluster, tmp_path) -> None:
    cluster = simulated_cluster(node_count=3)
    failed, result = run_module("cluster_group", module_args(cluster, record_dir=str(tmp_path), run_id="m1"), diff=True)
    assert not failed and result["changed"] is True
    assert result["result"]["outcome"] == "success" and result["result"]["run_id"] == "m1"
    assert result["diff"] == {"before": dict.fromkeys(cluster.names, "absent"), "after": dict.fromkeys(cluster.names, "present"),
                              "before_header": "group 'ops' on each node", "after_header": "group 'ops' on each node"}
    assert cluster.snapshot() == {name: ["ops"] for name in cluster.names}
    assert json.loads((tmp_path / "m1" / "run.json").read_text())["outcome"] == "success"
    failed, again = run_module("cluster_group", module_args(cluster, group="ops"))
    assert not failed and again["changed"] is False


def test_failure_fails_the_module_with_the_account_and_rolls_back(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=3)
    cluster.nodes["node1"].groups = {"ops"}
    cluster.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method="POST"))
    failed, result = run_module("cluster_group", module_args(cluster))
    assert failed and result["result"]["outcome"] == "rolled_back"
    assert result["msg"].startswith("create of group 'ops'") and "node2" in result["msg"]
    assert cluster.snapshot() == {"node1": ["ops"], "node2": [], "node3": []}


def test_check_mode_sends_only_gets(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=3)
    failed, result = run_module("cluster_group", module_args(cluster), check_mode=True)
    assert not failed and result["changed"] is True and result["result"]["check_mode"] is True
    assert {entry.method for log in cluster.logs().values() for entry in log} == {"GET"}
    assert cluster.snapshot() == {name: [] for name in cluster.names}


def test_token_from_the_environment_is_sent_and_never_returned(simulated_cluster, monkeypatch) -> None:
    cluster = simulated_cluster(node_count=2, token="s3cret-token")
    monkeypatch.setenv("CLUSTEROPS_API_TOKEN", "s3cret-token")
    failed, result = run_module("cluster_group", module_args(cluster))
    assert not failed and cluster.snapshot() == {"node1": ["ops"], "node2": ["ops"]}
    assert "s3cret-token" not in json.dumps({key: value for key, value in result.items() if key != "invocation"})


def test_api_url_from_module_defaults_is_accepted_and_ignored(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=2)
    failed, result = run_module("cluster_group", module_args(cluster, api_url="http://127.0.0.1:9"))
    assert not failed and result["result"]["outcome"] == "success"
