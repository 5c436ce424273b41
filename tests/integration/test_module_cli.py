"""The real `ansible` and `ansible-doc` CLIs load our modules by FQCN from a checkout (subprocesses)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from simulator import Node

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN_DIR = os.path.dirname(sys.executable)
GROUP = "cli-group"


def cli_env(tmp_path: Any) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": os.path.join(REPO_ROOT, "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO_ROOT, ".collections"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.minimal",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": BIN_DIR + os.pathsep + env.get("PATH", ""),
    })
    env.pop("CLUSTEROPS_API_TOKEN", None)
    return env


def run_ad_hoc(tmp_path: Any, module: str, args: dict[str, Any], *extra: str) -> dict[str, Any]:
    """One `ansible localhost -m <module>` run; returns the host's result ("localhost | CHANGED => {...}")."""
    command = [os.path.join(BIN_DIR, "ansible"), "localhost", "-i", "localhost,", "-c", "local",
               "-e", "ansible_python_interpreter=" + sys.executable, "-m", module, "-a", json.dumps(args), *extra]
    completed = subprocess.run(command, cwd=REPO_ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=120,
                               check=False)
    payload = completed.stdout.partition(" => ")[2]
    try:
        return json.loads(payload)
    except ValueError as error:
        raise AssertionError("no result from ansible (rc %d): %s %s" % (completed.returncode, completed.stdout, completed.stderr)) from error


@pytest.fixture
def node(simulated_cluster) -> Node:
    return simulated_cluster(node_count=1).nodes["node1"]


@pytest.mark.playbook
def test_ad_hoc_create_then_idempotent_then_check_mode_delete(tmp_path, node: Node) -> None:
    args = {"name": GROUP, "api_url": node.url, "timeout": 5}
    result = run_ad_hoc(tmp_path, "clusterops.groups.group", args)
    assert result["changed"] is True and result["action"] == "create", result
    assert node.groups == {GROUP}
    result = run_ad_hoc(tmp_path, "clusterops.groups.group", args)
    assert result["changed"] is False and result["existed_before"] is True
    node.clear_log()
    result = run_ad_hoc(tmp_path, "clusterops.groups.group", dict(args, state="absent"), "--check")
    assert result["changed"] is True and result["action"] == "delete" and not result["write_attempted"]
    assert node.groups == {GROUP} and {entry.method for entry in node.log} == {"GET"}
    info = run_ad_hoc(tmp_path, "clusterops.groups.group_info", {"name": GROUP, "api_url": node.url})
    assert info["exists"] is True and info["status"] == 200


@pytest.mark.playbook
def test_ad_hoc_refuses_a_yaml_number_as_group_name(tmp_path, node: Node) -> None:
    result = run_ad_hoc(tmp_path, "clusterops.groups.group", {"name": 42, "api_url": node.url})
    assert result["error_kind"] == "invalid_input"  # the minimal callback prints "FAILED! =>" and drops "failed"
    assert "must be a string" in result["msg"] and "Traceback" not in json.dumps(result)
    assert node.log == []


@pytest.mark.playbook
def test_token_from_environment_is_used_and_not_leaked(tmp_path, simulated_cluster) -> None:
    node = simulated_cluster(node_count=1, token="env-token-123").nodes["node1"]
    env = cli_env(tmp_path)
    env["CLUSTEROPS_API_TOKEN"] = "env-token-123"
    command = [os.path.join(BIN_DIR, "ansible"), "localhost", "-i", "localhost,", "-c", "local", "-e",
               "ansible_python_interpreter=" + sys.executable, "-m", "clusterops.groups.group", "-a",
               json.dumps({"name": GROUP, "api_url": node.url})]
    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert node.groups == {GROUP}
    assert "env-token-123" not in completed.stdout + completed.stderr


@pytest.mark.parametrize("module, words", [
    ("clusterops.groups.group", ["api_url", "CLUSTEROPS_API_TOKEN", "check_mode", "existed_before", "state_known", "retries"]),
    ("clusterops.groups.group_info", ["api_url", "exists", "status"]),
])
def test_ansible_doc_renders(tmp_path, module: str, words: list[str]) -> None:
    completed = subprocess.run([os.path.join(BIN_DIR, "ansible-doc"), module], cwd=REPO_ROOT, env=cli_env(tmp_path),
                               capture_output=True, text=True, timeout=120, check=False)
    assert "WARNING" not in completed.stderr and "ERROR" not in completed.stderr, completed.stderr
    for word in words:
        assert word in completed.stdout
