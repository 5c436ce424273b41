"""Secret hygiene (issue 7): with a token set, and required by every simulated node (so it is really sent),
the success, failure and rollback paths at -vvvv, the finish, the module, the fast path and the trial runner
never show it: not in stdout/stderr, the run record, the published artifact or the trial report."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t

import pytest

from module_runner import run_module
from playbook_runner import REPO_ROOT, run_playbook, write_inventory
from simulator import Fault, FaultKind

TOKEN = "tok-Zq81-hygiene-7f3e9c"
GROUP = "hygiene"
STICKY_WRITE_OUTAGE = Fault(FaultKind.OUTAGE, method="POST", count=None)


def files_containing(secret: str, directory: t.Any) -> list[str]:
    found = []
    for root, _dirs, files in os.walk(directory):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                if secret.encode() in handle.read():
                    found.append(os.path.join(root, name))
    return found


def assert_no_secret(*texts: str, directories: t.Sequence[t.Any] = ()) -> None:
    for text in texts:
        assert TOKEN not in text
    for directory in directories:
        assert files_containing(TOKEN, directory) == []


def token_cluster(simulated_cluster: t.Callable[..., t.Any], node_count: int = 3) -> t.Any:
    return simulated_cluster(node_count=node_count, token=TOKEN)


@pytest.mark.timeout(1200)
def test_playbook_paths_at_vvvv_never_show_the_token(simulated_cluster, tmp_path) -> None:
    """The token as a module argument (inventory var): what -vvvv would print if no_log were missing.
    The finish reads hosts from the record, not the inventory: it gets the token from the env var (the documented
    route, also the one every playbook trial of the trial runner uses and scans)."""
    cluster = token_cluster(simulated_cluster)
    group_vars = {"cluster_api_token": TOKEN}
    env: dict[str, str] = {}
    finish_env = {"CLUSTEROPS_API_TOKEN": TOKEN}
    inventory = write_inventory(tmp_path, cluster.urls(), group_vars=group_vars)
    records = tmp_path / "records"

    success = run_playbook("create_group.yml", inventory, records, extra_vars={"group": GROUP}, extra_args=["-vvvv"], extra_env=env)
    assert success.rc == 0, success.describe()
    assert all(GROUP in node.groups for node in cluster.nodes.values())  # the token was sent and accepted

    cluster.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method="DELETE", count=None))
    rollback = run_playbook("delete_group.yml", inventory, records, extra_vars={"group": GROUP, "group_transaction_run_id": "r1"},
                            extra_args=["-vvvv"], extra_env=env)
    assert rollback.rc != 0 and rollback.result["outcome"] == "rolled_back", rollback.describe()

    cluster.clear_faults()
    cluster.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method="DELETE", count=None))
    cluster.nodes["node1"].add_fault(Fault(FaultKind.OUTAGE, method="POST", count=None))
    incomplete = run_playbook("delete_group.yml", inventory, records, extra_vars={"group": GROUP, "group_transaction_run_id": "r2"},
                              extra_args=["-vvvv"], extra_env=env)
    assert incomplete.rc != 0 and incomplete.result["outcome"] == "rollback_incomplete", incomplete.describe()

    cluster.clear_faults()
    finish = run_playbook("finish_rollback.yml", None, records, extra_vars={"run_id": "r2", "group": GROUP},
                          extra_args=["-vvvv"], extra_env=finish_env)
    assert finish.rc == 0, finish.describe()
    assert all(GROUP in node.groups for node in cluster.nodes.values())
    runs = [success, rollback, incomplete, finish]
    assert_no_secret(*(run.stdout + run.stderr for run in runs), *(json.dumps(run.result) for run in runs),
                     directories=[records])


def test_module_results_and_errors_never_show_the_token(simulated_cluster, tmp_path) -> None:
    cluster = token_cluster(simulated_cluster, node_count=1)
    node = cluster.nodes["node1"]
    base = {"name": GROUP, "api_url": node.url, "api_token": TOKEN, "timeout": 0.5, "retries": 1, "backoff_base": 0.0,
            "record_dir": str(tmp_path), "run_id": "m1"}
    outputs = [run_module("group", base)[1]]
    assert GROUP in node.groups
    node.add_fault(Fault(FaultKind.OUTAGE, count=None))
    failed, result = run_module("group", dict(base, state="absent"))
    assert failed
    outputs.append(result)
    node.clear_faults()
    node.token = "another-token"  # 401: the message must hint at the token without showing it
    failed, result = run_module("group", dict(base, state="absent"))
    assert failed and "401" in result["msg"]
    outputs.append(result)
    assert_no_secret(*(json.dumps(output) for output in outputs), directories=[tmp_path])


def test_fast_path_account_and_record_never_show_the_token(simulated_cluster, tmp_path) -> None:
    from ansible_collections.clusterops.groups.plugins.module_utils._cluster_transaction import run_cluster_transaction
    cluster = token_cluster(simulated_cluster)
    cluster.nodes["node3"].add_fault(STICKY_WRITE_OUTAGE)
    nodes = [{"name": name, "api_url": url} for name, url in cluster.urls().items()]
    options = {"api_token": TOKEN, "timeout": 0.5, "retries": 1, "backoff_base": 0.0, "backoff_max": 0.0}
    account = run_cluster_transaction(nodes, GROUP, "present", options, record_dir=str(tmp_path), run_id="f1", sleep=lambda _s: None)
    assert account["outcome"] == "rolled_back" and cluster.snapshot() == {name: [] for name in cluster.nodes}
    assert_no_secret(json.dumps(account, default=str), directories=[tmp_path])


# seed 5: trial 2 rolls back (sticky outage on 12 nodes), 7 is killed with SIGTERM, 13 with SIGKILL, then finished
@pytest.mark.timeout(900)
@pytest.mark.parametrize("tier, selection, outcome", [
    pytest.param("client", ["--trials", "12"], "success=", id="client-12"),
    pytest.param("playbook", ["--only", "2"], "rolled_back=1", id="playbook-rollback"),
    pytest.param("playbook", ["--only", "7", "--crash-rate", "0.2"], "SIGTERM=1", id="playbook-sigterm"),
    pytest.param("playbook", ["--only", "13", "--crash-rate", "0.2"], "SIGKILL=1", id="playbook-sigkill"),
])
def test_trial_runner_never_shows_the_token(tier: str, selection: list[str], outcome: str) -> None:
    env = dict(os.environ, TRIAL_TOKEN=TOKEN)
    completed = subprocess.run([sys.executable, os.path.join(REPO_ROOT, "tools", "trials.py"), "--tier", tier, *selection,
                                "--seed", "5", "--token-env", "TRIAL_TOKEN"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                               timeout=600, check=False)
    assert "violations: 0" in completed.stdout, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert outcome in completed.stdout, completed.stdout[-3000:]
    assert_no_secret(completed.stdout, completed.stderr)
