"""clusterops.groups.group_info against simulated nodes: reads, retries, never writes."""
from __future__ import annotations

import pytest

from module_runner import run_module
from simulator import PROFILES, Fault, FaultKind

GROUP = "analytics"


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("existed", [True, False])
def test_reports_existence_with_status(simulated_cluster, profile: str, existed: bool) -> None:
    node = simulated_cluster(node_count=1, profiles=profile).nodes["node1"]
    node.groups = {GROUP} if existed else set()
    failed, result = run_module("group_info", {"name": GROUP, "api_url": node.url})
    assert not failed, result["msg"]
    assert result["exists"] is existed and result["status"] == (200 if existed else 404)
    assert result["changed"] is False
    assert {entry.method for entry in node.log} == {"GET"}
    assert node.groups == ({GROUP} if existed else set())


@pytest.mark.parametrize("kind", [FaultKind.ERROR_500_BEFORE_WRITE, FaultKind.RESET, FaultKind.CLOSE, FaultKind.OUTAGE])
def test_transient_faults_are_retried(simulated_cluster, kind: FaultKind) -> None:
    node = simulated_cluster(node_count=1).nodes["node1"]
    node.groups = {GROUP}
    node.add_fault(Fault(kind, method="GET", count=2))
    failed, result = run_module("group_info", {"name": GROUP, "api_url": node.url, "retries": 2}, check_mode=True)
    assert not failed and result["exists"] is True and result["requests"] == 3


def test_sticky_outage_fails_with_history(simulated_cluster) -> None:
    node = simulated_cluster(node_count=1).nodes["node1"]
    node.add_fault(Fault(FaultKind.OUTAGE))
    failed, result = run_module("group_info", {"name": GROUP, "api_url": node.url, "retries": 1})
    assert failed and result["exists"] is None and result["requests"] == 2 and len(result["history"]) == 2
    assert "unavailable" in result["msg"]


def test_bad_name_is_refused_before_any_request(simulated_cluster) -> None:
    node = simulated_cluster(node_count=1).nodes["node1"]
    failed, result = run_module("group_info", {"name": 12, "api_url": node.url})
    assert failed and "must be a string" in result["msg"] and node.log == []
