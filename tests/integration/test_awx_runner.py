"""The create/delete job templates as AWX runs them: ansible-runner against the node simulator.

Each job gets a fresh private data dir (ansible-runner reuses a stale env/cmdline silently), the example
AWX project with the collection installed from the built tarball, the survey's extra vars and the
credential injector's environment. Node state is read from the simulator, never from the job's words.
"""
from __future__ import annotations

import json
import os
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

from awx_job import (
    artifact_files_containing, credential_environment, make_private_data_dir, run_job, stats_artifact, survey_extra_vars,
)
from collection_package import REPO_ROOT, build_collection, install_collection, venv_tool
from simulator import Fault, FaultKind, SimulatedCluster

pytestmark = pytest.mark.playbook

TOKEN = "awx-secret-token-3f9c1d"
GROUP = "awx-team.blue_1"
UNRELATED_GROUP = "pre-existing"
ACCOUNT_FIELDS = {"before", "action", "result", "rollback", "after"}


@pytest.fixture(scope="module")
def installed_collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tarball = build_collection(REPO_ROOT, tmp_path_factory.mktemp("dist"))
    return install_collection(tarball, tmp_path_factory.mktemp("installed") / "collections")


@pytest.fixture(autouse=True)
def toolchain_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # ansible-runner starts `ansible-playbook` from PATH, as the EE image has it
    monkeypatch.setenv("PATH", str(Path(venv_tool("ansible-playbook")).parent) + os.pathsep + os.environ["PATH"])


@pytest.fixture
def cluster(simulated_cluster: Callable[..., SimulatedCluster]) -> SimulatedCluster:
    started = simulated_cluster(node_count=3, token=TOKEN)
    for node in started.nodes.values():
        node.groups = {UNRELATED_GROUP}
    return started


@pytest.fixture
def awx_job(tmp_path: Path, installed_collection: Path, cluster: SimulatedCluster) -> Callable[..., tuple[Any, Path]]:
    """Launch a job template: playbook, survey answers (None: no survey), extra vars a workflow passes -> (runner, data dir)."""
    launches = iter(range(1, 100))

    def launch(playbook: str, answers: dict[str, Any] | None, workflow_vars: dict[str, Any] | None = None,
               only_hosts: list[str] | None = None, host_vars: dict[str, Any] | None = None) -> tuple[Any, Path]:
        # only_hosts: the pared-down inventory AWX gives one slice of a sliced job
        hosts = {name: {"cluster_api_url": url, "cluster_retries": 1, "cluster_backoff_base": 0.001, "cluster_timeout": 5,
                        **(host_vars or {})}
                 for name, url in cluster.urls().items() if only_hosts is None or name in only_hosts}
        job_root = tmp_path / ("job%d" % next(launches))
        env = credential_environment({"api_token": TOKEN})
        # one record dir per job: an EE container's disk does not outlive its job
        env["CLUSTEROPS_RECORD_DIR"] = str(job_root / "records")
        extra_vars = {**(survey_extra_vars(answers) if answers is not None else {}), **(workflow_vars or {})}
        data_dir = make_private_data_dir(job_root, installed_collection, hosts, extra_vars, env)
        return run_job(data_dir, playbook), data_dir

    return launch


def _assert_token_stays_out_of_job_output(data_dir: Path) -> None:
    # artifacts/job/command is ansible-runner's record of the process environment (mode 0600, not job output,
    # not stored by AWX); every event, stdout and artifact file must be free of the token.
    holders = artifact_files_containing(data_dir, TOKEN)
    assert holders in ([], ["job/command"]), holders
    assert stat.S_IMODE((data_dir / "artifacts" / "job" / "command").stat().st_mode) == 0o600


def test_create_job_succeeds_on_every_node(awx_job: Callable[..., tuple[Any, Path]], cluster: SimulatedCluster) -> None:
    runner, data_dir = awx_job("create_group.yml", {"group": GROUP})
    assert (runner.status, runner.rc) == ("successful", 0), runner.stdout.read()
    assert cluster.snapshot() == {name: sorted([GROUP, UNRELATED_GROUP]) for name in cluster.names}
    result = stats_artifact(runner)["clusterops_groups_result"]
    assert (result["operation"], result["group"], result["outcome"]) == ("create", GROUP, "success")
    assert sorted(result["nodes"]) == cluster.names
    _assert_token_stays_out_of_job_output(data_dir)


def test_delete_job_succeeds_on_every_node(awx_job: Callable[..., tuple[Any, Path]], cluster: SimulatedCluster) -> None:
    for node in cluster.nodes.values():
        node.groups = {GROUP, UNRELATED_GROUP}
    runner, data_dir = awx_job("delete_group.yml", {"group": GROUP})
    assert (runner.status, runner.rc) == ("successful", 0), runner.stdout.read()
    assert cluster.snapshot() == {name: [UNRELATED_GROUP] for name in cluster.names}
    result = stats_artifact(runner)["clusterops_groups_result"]
    assert (result["operation"], result["outcome"]) == ("delete", "success")
    _assert_token_stays_out_of_job_output(data_dir)


@pytest.mark.matrix
def test_failing_create_job_rolls_back_and_publishes_its_account(
        awx_job: Callable[..., tuple[Any, Path]], cluster: SimulatedCluster) -> None:
    cluster.nodes["node3"].add_fault(Fault(FaultKind.OUTAGE, method=None))
    runner, data_dir = awx_job("create_group.yml", {"group": GROUP})
    assert runner.status == "failed" and runner.rc != 0
    assert cluster.snapshot() == {name: [UNRELATED_GROUP] for name in cluster.names}
    result = stats_artifact(runner)["clusterops_groups_result"]
    assert (result["operation"], result["group"], result["outcome"]) == ("create", GROUP, "rolled_back")
    assert sorted(result["nodes"]) == cluster.names
    assert all(set(account) >= ACCOUNT_FIELDS for account in result["nodes"].values())
    assert result["nodes"]["node3"]["result"] == "failed"
    _assert_token_stays_out_of_job_output(data_dir)


def test_invalid_group_name_fails_before_any_request(
        awx_job: Callable[..., tuple[Any, Path]], cluster: SimulatedCluster) -> None:
    # within the survey's length bounds, outside the name rule: only the playbook can refuse it
    runner = awx_job("create_group.yml", {"group": "-bad/name"})[0]
    assert runner.status == "failed"
    assert cluster.requests_per_node() == {name: 0 for name in cluster.names}


# AWX job slicing (checked in AWX's source, ansible/awx at e21dd0a, 2024-10): a slice job gets only its share of the
# inventory (Inventory.get_script_data(slice_number, slice_count)); its extra vars (awx_meta_vars) carry no slice
# number. The playbooks refuse the slice variables when a platform sets them, and, for stock AWX, an inventory
# that holds fewer cluster hosts than its cluster_node_count says.
SLICES = [
    pytest.param({"workflow_vars": {"awx_job_slice_number": 1, "awx_job_slice_count": 2}}, "slice 1 of 2", id="slice-vars"),
    pytest.param({"workflow_vars": {"tower_job_slice_number": 2, "tower_job_slice_count": 3}}, "slice 2 of 3", id="tower-slice-vars"),
    pytest.param({"only_hosts": ["node1", "node3"], "host_vars": {"cluster_node_count": 3}}, "cluster_node_count says 3",
                 id="sliced-inventory"),
]


@pytest.mark.parametrize("playbook", ["create_group.yml", "delete_group.yml"])
@pytest.mark.parametrize("slice_launch, expected", SLICES)
def test_a_slice_of_a_sliced_job_is_refused_before_any_request(
        awx_job: Callable[..., tuple[Any, Path]], cluster: SimulatedCluster,
        playbook: str, slice_launch: dict[str, Any], expected: str) -> None:
    runner = awx_job(playbook, {"group": GROUP}, **slice_launch)[0]
    assert runner.status == "failed" and runner.rc != 0
    assert expected in runner.stdout.read()
    assert cluster.requests_per_node() == {name: 0 for name in cluster.names}
    assert cluster.snapshot() == {name: [UNRELATED_GROUP] for name in cluster.names}


class _WebhookRecorder(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length", "0"))
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Recorder", (_WebhookRecorder,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/hook" % server.server_port, received
    server.shutdown()
    server.server_close()


def test_failure_path_notify_node_receives_the_artifact(
        awx_job: Callable[..., tuple[Any, Path]], cluster: SimulatedCluster,
        webhook: tuple[str, list[dict[str, Any]]]) -> None:
    cluster.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method=None))
    failed = awx_job("create_group.yml", {"group": GROUP})[0]
    artifact = stats_artifact(failed)
    assert failed.status == "failed"
    # AWX hands the failed job's artifacts to the next workflow node as extra vars
    webhook_url, received = webhook
    notify, data_dir = awx_job("notify_on_failure.yml", {"group": GROUP},
                               {**artifact, "clusterops_notify_webhook_url": webhook_url})
    assert notify.status == "successful", notify.stdout.read()
    assert [message["clusterops_groups_result"]["outcome"] for message in received] == ["rolled_back"]
    assert "rolled_back" in received[0]["text"] and TOKEN not in json.dumps(received)
    _assert_token_stays_out_of_job_output(data_dir)


@pytest.mark.parametrize("rollback_blocked, outcome", [
    pytest.param(True, "rollback_incomplete", marks=pytest.mark.matrix),
    (False, "rolled_back"),
])
def test_finish_job_completes_a_rollback_from_the_workflow_artifact(
        awx_job: Callable[..., tuple[Any, Path]], cluster: SimulatedCluster, rollback_blocked: bool, outcome: str) -> None:
    # a workflow may run the finish node after any failure: it must also be harmless after a clean rollback
    cluster.nodes["node3"].add_fault(Fault(FaultKind.OUTAGE, method=None))
    if rollback_blocked:
        cluster.nodes["node1"].add_fault(Fault(FaultKind.OUTAGE, method="DELETE"))
    failed = awx_job("create_group.yml", {"group": GROUP})[0]
    artifact = stats_artifact(failed)
    assert artifact["clusterops_groups_result"]["outcome"] == outcome
    assert (GROUP in cluster.snapshot()["node1"]) is rollback_blocked
    cluster.clear_faults()
    # the finish job template has no survey: its only input is the artifact the workflow hands over
    finish, data_dir = awx_job("finish_rollback.yml", None, artifact)
    assert (finish.status, finish.rc) == ("successful", 0), finish.stdout.read()
    assert cluster.snapshot() == {name: [UNRELATED_GROUP] for name in cluster.names}
    _assert_token_stays_out_of_job_output(data_dir)


WORKFLOW = REPO_ROOT / "extras" / "awx" / "workflow_plan_approve_apply.yml"


def run_workflow(awx_job: Callable[..., tuple[Any, Path]], answers: dict[str, Any],
                 approve: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Walk the workflow of extras/awx as AWX does: from the node nobody points at, each job with the workflow's
    survey answers, its node's extra_data and every artifact published before it; an approval node asks
    ``approve(artifacts)``. ``{identifier: runner or approved}`` for each node run."""
    spec = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    templates = spec["job_templates"]
    nodes = {node["identifier"]: node for node in spec["workflow_job_template"]["workflow_nodes"]}
    pointed_at = {edge["identifier"] for node in nodes.values() for edges in node.get("related", {}).values() for edge in edges}
    [current] = [identifier for identifier in nodes if identifier not in pointed_at]
    artifacts: dict[str, Any] = {}
    ran: dict[str, Any] = {}
    while current is not None and len(ran) < len(nodes):
        node = nodes[current]
        template = node["unified_job_template"]
        if template["type"] == "workflow_approval":
            succeeded = ran[current] = approve(dict(artifacts))
        else:
            runner, _data_dir = awx_job(templates[template["name"]]["playbook"], answers,
                                        {**artifacts, **node.get("extra_data", {})})
            ran[current] = runner
            artifacts.update(stats_artifact(runner) if any(event.get("event") == "playbook_on_stats" for event in runner.events)
                             else {})
            succeeded = runner.status == "successful"
        following = node.get("related", {}).get("success_nodes" if succeeded else "failure_nodes", [])
        current = following[0]["identifier"] if following else None
    return ran


@pytest.mark.matrix
def test_the_plan_approve_apply_workflow_applies_exactly_the_approved_plan(
        awx_job: Callable[..., tuple[Any, Path]], cluster: SimulatedCluster) -> None:
    cluster.nodes["node2"].groups = {GROUP, UNRELATED_GROUP}
    seen: list[dict[str, Any]] = []

    def approve(artifacts: dict[str, Any]) -> bool:
        seen.append(artifacts["clusterops_groups_plan"])
        assert cluster.snapshot()["node1"] == [UNRELATED_GROUP], "the plan job wrote"
        return True

    ran = run_workflow(awx_job, {"group": GROUP}, approve)
    assert list(ran) == ["plan", "approve", "apply"], ran
    assert ran["apply"].status == "successful", ran["apply"].stdout.read()
    [plan] = seen
    assert {node: entry["planned"] for node, entry in plan["nodes"].items()} == {"node1": "create", "node2": "none", "node3": "create"}
    assert cluster.snapshot() == {name: sorted([GROUP, UNRELATED_GROUP]) for name in cluster.names}
    result = stats_artifact(ran["apply"])["clusterops_groups_result"]
    assert result["saved_plan"]["fingerprint"] == plan["fingerprint"]


def test_a_node_moved_during_the_approval_makes_the_apply_refuse_and_the_finish_do_nothing(
        awx_job: Callable[..., tuple[Any, Path]], cluster: SimulatedCluster) -> None:
    def approve_late(_artifacts: dict[str, Any]) -> bool:
        cluster.nodes["node3"].groups = {GROUP, UNRELATED_GROUP}  # another writer, while the approver looked
        cluster.clear_logs()
        return True

    ran = run_workflow(awx_job, {"group": GROUP}, approve_late)
    assert list(ran) == ["plan", "approve", "apply", "finish"], ran
    assert ran["apply"].status == "failed"
    assert "node3: planned create, now present" in ran["apply"].stdout.read()
    assert ran["finish"].status == "successful", ran["finish"].stdout.read()
    assert not any(entry.method != "GET" for node in cluster.nodes.values() for entry in node.log)
    assert cluster.snapshot() == {"node1": [UNRELATED_GROUP], "node2": [UNRELATED_GROUP],
                                  "node3": sorted([GROUP, UNRELATED_GROUP])}
