"""clusterops.groups.group against simulated nodes over real HTTP: node state is read from the simulator."""
from __future__ import annotations

import json
from typing import Any

import pytest

from module_runner import run_module
from simulator import PROFILES, Fault, FaultKind, Node, SimulatedCluster
from simulator.testing import wait_for_log

GROUP = "analytics"
SHORT_TIMEOUT = 0.3  # client timeout for timeout faults, well below the simulated delay
SIMULATED_DELAY = 1.5
DESIRED_BY_STATE = {"present": True, "absent": False}


@pytest.fixture
def one_node(simulated_cluster) -> tuple[SimulatedCluster, Node]:
    cluster = simulated_cluster(node_count=1)
    return cluster, cluster.nodes["node1"]


def module_args(target: Node, **overrides: Any) -> dict[str, Any]:
    args = {"name": GROUP, "state": "present", "api_url": target.url, "timeout": 5.0, "retries": 3}
    args.update(overrides)
    return args


def methods(node: Node) -> list[str]:
    return [entry.method for entry in node.log]


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("state, existed", [("present", False), ("present", True), ("absent", True), ("absent", False)])
def test_every_profile_reaches_the_state_idempotently(simulated_cluster, profile: str, state: str, existed: bool) -> None:
    node = simulated_cluster(node_count=1, profiles=profile).nodes["node1"]
    node.groups = {GROUP, "other"} if existed else {"other"}
    failed, result = run_module("group", module_args(node, state=state))
    assert not failed, result["msg"]
    assert (GROUP in node.groups) is DESIRED_BY_STATE[state]
    assert "other" in node.groups
    expected_change = existed != DESIRED_BY_STATE[state]
    assert result["changed"] is expected_change
    assert result["existed_before"] is existed and result["exists"] is DESIRED_BY_STATE[state]
    assert result["action"] == ({"present": "create", "absent": "delete"}[state] if expected_change else "none")
    assert result["requests"] == len(node.log) == len(result["history"])
    assert methods(node)[-1] == ("GET" if not expected_change else {"present": "POST", "absent": "DELETE"}[state])
    failed, again = run_module("group", module_args(node, state=state))
    assert not failed and again["changed"] is False and again["existed_before"] is DESIRED_BY_STATE[state]


WRITE_FAULTS = [
    Fault(FaultKind.ERROR_500_BEFORE_WRITE),
    Fault(FaultKind.ERROR_500_AFTER_WRITE),
    Fault(FaultKind.TIMEOUT_BEFORE_WRITE, delay=SIMULATED_DELAY),
    Fault(FaultKind.TIMEOUT_AFTER_WRITE, delay=SIMULATED_DELAY),
    Fault(FaultKind.RESET),
    Fault(FaultKind.CLOSE),
    Fault(FaultKind.OUTAGE, count=2),
    Fault(FaultKind.LATENCY, delay=0.05),
]


@pytest.mark.parametrize("state", ["present", "absent"])
@pytest.mark.parametrize("fault_method", ["write", "GET"])
@pytest.mark.parametrize("fault", WRITE_FAULTS, ids=lambda fault: "%s-x%s" % (fault.kind.value, fault.count))
def test_every_fault_kind_is_survived_and_counted_once(one_node, state: str, fault_method: str, fault: Fault) -> None:
    node = one_node[1]
    desired = DESIRED_BY_STATE[state]
    node.groups = set() if desired else {GROUP}
    method = {"present": "POST", "absent": "DELETE"}[state] if fault_method == "write" else "GET"
    node.add_fault(Fault(fault.kind, method=method, count=fault.count, delay=fault.delay))
    failed, result = run_module("group", module_args(node, state=state, timeout=SHORT_TIMEOUT))
    assert not failed, result["msg"]
    assert (GROUP in node.groups) is desired
    assert result["changed"] is True and result["existed_before"] is (not desired) and result["exists"] is desired
    assert result["state_known"] and result["write_attempted"]
    write_method = {"present": "POST", "absent": "DELETE"}[state]
    applied_writes = [entry for entry in node.log if entry.method == write_method and entry.status in (200, 201)]
    assert len(applied_writes) <= 1  # never a second successful write
    assert methods(node)[0] == "GET"


@pytest.mark.matrix
def test_500_after_write_on_post_is_ours_and_not_repeated(one_node) -> None:
    node = one_node[1]
    node.add_fault(Fault(FaultKind.ERROR_500_AFTER_WRITE, method="POST", count=1))
    failed, result = run_module("group", module_args(node))
    assert not failed
    assert result["changed"] is True and node.groups == {GROUP}
    assert methods(node) == ["GET", "POST", "GET"]
    assert [entry["outcome"] for entry in result["history"]] == ["ok", "ambiguous", "ok"]


@pytest.mark.parametrize("profile", ["default", "lenient_delete"])
def test_delete_of_absent_group_is_not_a_change(simulated_cluster, profile: str) -> None:
    node = simulated_cluster(node_count=1, profiles=profile).nodes["node1"]
    failed, result = run_module("group", module_args(node, state="absent"))
    assert not failed and result["changed"] is False and result["existed_before"] is False
    assert methods(node) == ["GET"]


@pytest.mark.parametrize("state, existed", [("present", False), ("absent", True)])
def test_check_mode_sends_only_gets_and_changes_nothing(one_node, state: str, existed: bool) -> None:
    node = one_node[1]
    node.groups = {GROUP} if existed else set()
    failed, result = run_module("group", module_args(node, state=state), check_mode=True, diff=True)
    assert not failed
    assert (GROUP in node.groups) is existed
    assert set(methods(node)) == {"GET"}
    assert result["changed"] is True and result["write_attempted"] is False
    header = "group '%s' on %s" % (GROUP, node.url.split("://", 1)[1])  # no node option: the URL's host:port
    assert result["diff"] == {"before": {"exists": existed}, "after": {"exists": not existed},
                              "before_header": header, "after_header": header}
    assert "would be" in result["msg"]


@pytest.mark.parametrize("status", [503, None], ids=["503", "reset"])
def test_sticky_outage_fails_after_the_configured_retries(one_node, status: int | None) -> None:
    node = one_node[1]
    node.add_fault(Fault(FaultKind.OUTAGE, status=status))
    failed, result = run_module("group", module_args(node, retries=2))
    assert failed
    assert methods(node) == ["GET", "GET", "GET"]
    assert node.groups == set()
    assert result["existed_before"] is None and result["write_attempted"] is False and result["state_known"] is False
    assert "unavailable" in result["msg"] and "3 time(s)" in result["msg"] and node.url in result["msg"]
    assert result["error_kind"] == "node_unavailable"


def test_outage_after_an_ambiguous_write_reports_unknown_state(one_node) -> None:
    node = one_node[1]
    node.add_fault(Fault(FaultKind.LATENCY, method="GET", count=1, delay=0))  # the first read is served
    node.add_fault(Fault(FaultKind.TIMEOUT_AFTER_WRITE, method="POST", delay=SIMULATED_DELAY))
    node.add_fault(Fault(FaultKind.OUTAGE, method="GET"))
    failed, result = run_module("group", module_args(node, retries=1, timeout=SHORT_TIMEOUT))
    assert failed and result["error_kind"] == "state_unknown"
    assert result["write_attempted"] is True and result["state_known"] is False and result["exists"] is None
    assert result["existed_before"] is False and result["changed"] is False
    assert "unknown" in result["msg"] and GROUP in result["msg"] and node.url in result["msg"]
    assert [entry["method"] for entry in result["history"]] == ["GET", "POST", "GET", "GET"]
    assert wait_for_log(node, 4)  # a timed-out request is logged when the server gives up on it
    assert sorted(methods(node)) == ["GET", "GET", "GET", "POST"]
    assert node.groups == {GROUP}  # the write did land: exactly why the playbook must treat the node conservatively


def test_timeout_case_uses_short_client_timeout(one_node) -> None:
    node = one_node[1]
    node.add_fault(Fault(FaultKind.LATENCY, method=None, count=None, delay=SIMULATED_DELAY))
    failed, result = run_module("group", module_args(node, retries=1, timeout=SHORT_TIMEOUT))
    assert failed and "timed out after 0.3s" in result["msg"]
    assert result["existed_before"] is None


def test_token_is_sent_and_never_returned(simulated_cluster, monkeypatch) -> None:
    node = simulated_cluster(node_count=1, token="s3cret-token").nodes["node1"]
    failed, result = run_module("group", module_args(node))
    assert failed and "401" in result["msg"] and "api_token" in result["msg"]
    assert result["error_kind"] == "node_request_failed" and methods(node) == ["GET"]
    failed, result = run_module("group", module_args(node, api_token="s3cret-token"))
    assert not failed and node.groups == {GROUP}
    assert "s3cret-token" not in json.dumps({key: value for key, value in result.items() if key != "invocation"})
    monkeypatch.setenv("CLUSTEROPS_API_TOKEN", "s3cret-token")
    failed, result = run_module("group", module_args(node, state="absent"))
    assert not failed and result["changed"] and node.groups == set()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_with_ca_path_and_validate_certs(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=1, tls=True)
    node = cluster.nodes["node1"]
    assert node.url.startswith("https://")
    failed, result = run_module("group", module_args(node, retries=3))
    assert failed and "TLS verification failed" in result["msg"] and result["requests"] == 1
    failed, result = run_module("group", module_args(node, ca_path=cluster.ca_path))
    assert not failed and node.groups == {GROUP}
    failed, result = run_module("group", module_args(node, state="absent", validate_certs=False))
    assert not failed and node.groups == set()


def test_path_prefix_layout(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=2, layout="prefix")
    node = cluster.nodes["node2"]
    failed, result = run_module("group", module_args(node))
    assert not failed and node.groups == {GROUP} and cluster.nodes["node1"].groups == set()


@pytest.mark.parametrize("overrides, words", [
    ({"name": 42}, "must be a string"), ({"name": ["a"]}, "must be a string"), ({"name": None}, "must be a string"),
    ({"name": "a/b"}, "contains '/'"), ({"name": "x" * 129}, "129 characters"),
    ({"api_url": "node1.example.com"}, "no scheme"), ({"api_url": "http://u:p@127.0.0.1"}, "credentials"),
    ({"timeout": 0}, "timeout"), ({"retries": -1}, "retries"),
])
@pytest.mark.matrix
def test_bad_input_fails_before_any_request(one_node, overrides: dict[str, Any], words: str) -> None:
    node = one_node[1]
    failed, result = run_module("group", module_args(node, **overrides))
    assert failed and words in result["msg"] and "\n" not in result["msg"]
    assert result["error_kind"] == "invalid_input" and result["requests"] == 0
    assert node.log == []


def test_group_alias(one_node) -> None:
    node = one_node[1]
    args = module_args(node)
    args["group"] = args.pop("name")
    failed, _result = run_module("group", args)
    assert not failed and node.groups == {GROUP}


def test_record_written_before_write_and_updated_after(one_node, tmp_path) -> None:
    node = one_node[1]
    args = module_args(node, record_dir=str(tmp_path), run_id="run-7", node="node1")
    failed, result = run_module("group", args)
    assert not failed
    record = json.loads((tmp_path / "run-7" / "nodes" / "node1.json").read_text())
    assert record["existed_before"] is False and record["group"] == GROUP and record["operation"] == "create"
    assert record["outcome"]["changed"] is True and record["phase"] == "outcome"
    failed, result = run_module("group", module_args(node, record_dir=str(tmp_path), run_id="run-8", node="node1"))
    assert not failed and not result["changed"]
    assert not (tmp_path / "run-8").exists()  # nothing to do, nothing recorded


def test_record_failure_prevents_the_write(one_node, tmp_path) -> None:
    node = one_node[1]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    failed, result = run_module("group", module_args(node, record_dir=str(blocker), run_id="r", node="node1"))
    assert failed and "run record" in result["msg"] and result["write_attempted"] is False
    # the record directory is checked before the first request (issue 29): not even the GET is sent
    assert methods(node) == [] and node.groups == set()


def test_a_symlinked_node_file_is_refused_before_any_request(one_node, tmp_path) -> None:
    node = one_node[1]
    nodes_dir = tmp_path / "r" / "nodes"
    nodes_dir.mkdir(parents=True, mode=0o700)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("{}")
    (nodes_dir / "node1.json").symlink_to(elsewhere)
    failed, result = run_module("group", module_args(node, record_dir=str(tmp_path), run_id="r", node="node1"))
    assert failed and result["error_kind"] == "record_untrusted" and "it is a symlink" in result["msg"], result
    assert methods(node) == [] and node.groups == set() and elsewhere.read_text() == "{}"
