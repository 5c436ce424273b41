"""tools/local_cluster.py as a user runs it: start in the background, inventory, status, faults, stop."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from simulator.testing import create, read

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAUNCHER = os.path.join(REPO_ROOT, "tools", "local_cluster.py")
sys.path.insert(0, os.path.join(REPO_ROOT, "tools"))

from local_cluster import process_alive  # noqa: E402  # pylint: disable=wrong-import-position


class Launcher:
    """Runs the launcher with its state and inventory in a temp dir, never the checkout's own."""

    def __init__(self, root):
        self.state_dir = root / "state"
        self.inventory = root / "state" / "local_cluster.yml"
        self.started_pids: list[int] = []

    def run(self, *arguments, env=None, check=True):
        command = [sys.executable, LAUNCHER, *arguments, "--state-dir", str(self.state_dir),
                   "--inventory", str(self.inventory)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60,
                                env=dict(os.environ, **(env or {})), check=False)
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        if arguments[0] == "start" and result.returncode == 0:
            self.started_pids.append(self.state()["pid"])
        return result

    def state(self):
        return json.loads((self.state_dir / "local_cluster.json").read_text())

    def hosts(self):
        return yaml.safe_load(self.inventory.read_text())["cluster"]


@pytest.fixture
def launcher(tmp_path):
    launcher = Launcher(tmp_path)
    yield launcher
    launcher.run("stop", check=False)
    assert not [pid for pid in launcher.started_pids if process_alive(pid)]


def test_start_status_fault_stop_three_nodes(launcher):
    launcher.run("start")
    state = launcher.state()
    inventory = launcher.hosts()
    assert sorted(inventory["hosts"]) == ["node1", "node2", "node3"]
    assert inventory["vars"] == {"ansible_connection": "local",
                                 "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    urls = {name: host["cluster_api_url"] for name, host in inventory["hosts"].items()}
    assert urls == state["urls"] and len(set(urls.values())) == 3 and state["layout"] == "ports"
    launcher.run("fault", "node2", "500_after_write", "--method", "post")
    assert create(urls["node2"], "g").status_code == 500
    assert create(urls["node1"], "g").status_code == 201
    status = launcher.run("status").stdout.splitlines()
    assert status[0].split() == ["NODE", "URL", "GROUPS", "FAULTS", "REQUESTS"]
    assert status[2].split() == ["node2", urls["node2"], "g", "-", "1"]
    launcher.run("fault", "node3", "outage", "--sticky")
    assert read(urls["node3"], "g").status_code == 503
    launcher.run("clear")
    assert read(urls["node3"], "g").status_code == 404
    assert "stopped" in launcher.run("stop").stdout
    assert not process_alive(state["pid"])
    assert not launcher.inventory.exists() and not (launcher.state_dir / "local_cluster.json").exists()
    assert launcher.run("status", check=False).returncode == 1


def test_two_hundred_nodes_use_one_port(launcher):
    launcher.run("start", "--nodes", "200")
    state = launcher.state()
    hosts = launcher.hosts()["hosts"]
    assert len(hosts) == 200 and state["layout"] == "prefix"
    assert hosts["node200"]["cluster_api_url"].endswith("/node200")
    assert create(hosts["node200"]["cluster_api_url"], "g").status_code == 201
    assert read(hosts["node17"]["cluster_api_url"], "g").status_code == 404
    launcher.run("stop")
    assert not process_alive(state["pid"])


def test_start_twice_replaces_the_running_cluster(launcher):
    launcher.run("start", "--nodes", "2")
    first = launcher.state()["pid"]
    second_start = launcher.run("start", "--nodes", "4")
    assert f"stopped the previous local cluster (pid {first})" in second_start.stdout
    assert not process_alive(first)
    assert len(launcher.hosts()["hosts"]) == 4


def test_tls_and_token_from_environment(launcher):
    launcher.run("start", "--nodes", "2", "--tls", "--token-env", env={"CLUSTEROPS_API_TOKEN": "s3cr3t-t0ken"})
    cluster_vars = launcher.hosts()["vars"]
    url = launcher.state()["urls"]["node1"]
    assert url.startswith("https://") and os.path.exists(cluster_vars["cluster_ca_path"])
    assert read(url, "g", verify=cluster_vars["cluster_ca_path"]).status_code == 401
    authorized = {"Authorization": "Bearer s3cr3t-t0ken"}
    assert read(url, "g", verify=cluster_vars["cluster_ca_path"], headers=authorized).status_code == 404
    assert "s3cr3t-t0ken" not in launcher.inventory.read_text() + json.dumps(launcher.state())
    launcher.run("stop")
    assert not os.path.exists(cluster_vars["cluster_ca_path"])


def test_token_env_must_be_set(launcher):
    result = launcher.run("start", "--token-env", "CLUSTEROPS_TEST_UNSET_TOKEN", check=False)
    assert result.returncode == 1 and "CLUSTEROPS_TEST_UNSET_TOKEN" in result.stderr
    assert not launcher.inventory.exists()


def test_a_stale_ready_file_is_not_taken_for_the_new_server(launcher):
    launcher.state_dir.mkdir(parents=True)
    stale = {"pid": 1, "control_url": "http://127.0.0.1:9/_sim", "tls": False, "ca_path": None,
             "urls": {"node1": "http://127.0.0.1:9"}}
    (launcher.state_dir / "local_cluster.ready.json").write_text(json.dumps(stale))
    launcher.run("start", "--nodes", "1")
    assert launcher.state()["urls"]["node1"] != "http://127.0.0.1:9"
    assert read(launcher.state()["urls"]["node1"], "g").status_code == 404


@pytest.mark.parametrize("state_dir", ["state", "nested/./state", "../outside/state"])
def test_relative_state_dir_is_the_callers_and_holds_the_inventory(tmp_path, state_dir):
    """A relative --state-dir is resolved against the caller's directory, not the checkout, and the inventory
    defaults to a file inside it: a second cluster never touches the checkout's .clusterops."""
    cwd = tmp_path / "work"
    cwd.mkdir()
    expected = (cwd / state_dir).resolve()

    def run(*arguments):
        return subprocess.run([sys.executable, LAUNCHER, *arguments, "--state-dir", state_dir], cwd=cwd,
                              capture_output=True, text=True, timeout=60, check=False)

    started = run("start", "--nodes", "2")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        state = json.loads((expected / "local_cluster.json").read_text())
        assert state["inventory"] == str(expected / "local_cluster.yml")
        assert sorted(yaml.safe_load((expected / "local_cluster.yml").read_text())["cluster"]["hosts"]) == ["node1", "node2"]
        assert run("status").returncode == 0
    finally:
        stopped = run("stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not process_alive(state["pid"]) and not (expected / "local_cluster.json").exists()
