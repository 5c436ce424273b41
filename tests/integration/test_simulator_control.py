"""The control surface from another process: /_sim/ HTTP API, SimulatorControl, `python -m simulator serve`."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import requests

from simulator import Fault, FaultKind, SimulatorControl, SimulatorControlError
from simulator.testing import create, read, wait_until


@pytest.mark.parametrize("layout", ["ports", "prefix"])
def test_control_client_reads_and_sets_state(simulated_cluster, layout):
    cluster = simulated_cluster(node_count=3, layout=layout)
    control = SimulatorControl(cluster.control_url)
    control.set_groups("node2", ["b", "a"])
    assert control.snapshot() == {"node1": [], "node2": ["a", "b"], "node3": []}
    assert cluster.nodes["node2"].groups == {"a", "b"}
    control.add_fault("node1", Fault(FaultKind.ERROR_500_AFTER_WRITE, method="POST"))
    state = control.state()
    assert state["nodes"]["node1"]["faults"] == [{"kind": "500_after_write", "method": "POST", "count": 1,
                                                  "delay": 2.0, "status": 500}]
    assert state["nodes"]["node3"]["url"] == cluster.url("node3")
    assert create(cluster.url("node1"), "g").status_code == 500
    assert control.snapshot()["node1"] == ["g"]
    assert control.requests_per_node() == {"node1": 1, "node2": 0, "node3": 0}
    assert control.log()["node1"] == [{"method": "POST", "path": "/v1/group/", "status": 500,
                                       "fault": "500_after_write"}]
    control.clear_logs()
    assert control.requests_per_node()["node1"] == 0


def test_control_client_faults_tokens_profiles(simulated_cluster):
    cluster = simulated_cluster(node_count=2)
    control = SimulatorControl(cluster.control_url)
    control.add_fault("node1", {"kind": "outage"})
    control.add_fault("node2", {"kind": "reset", "method": "GET", "count": 2})
    assert read(cluster.url("node1"), "g").status_code == 503
    control.clear_faults("node1")
    assert read(cluster.url("node1"), "g").status_code == 404
    assert control.state()["nodes"]["node2"]["faults"][0]["count"] == 2
    control.clear_faults()
    assert read(cluster.url("node2"), "g").status_code == 404
    control.set_token("node1", "tok")
    assert read(cluster.url("node1"), "g").status_code == 401
    control.set_token("node1", None)
    control.set_profile("node1", "no_trailing_slash")
    assert read(cluster.url("node1"), "g", allow_redirects=False).status_code == 307
    control.set_profile("node2", {"delete_absent_status": 200, "name": "mine"})
    assert control.state()["nodes"]["node2"]["profile"] == "mine"
    control.set_random_faults("node2", 1.0, [FaultKind.ERROR_500_BEFORE_WRITE], methods=["GET"], seed=3)
    assert read(cluster.url("node2"), "g").status_code == 500


def test_control_api_refuses_bad_requests(simulated_cluster):
    cluster = simulated_cluster(node_count=1)
    control = SimulatorControl(cluster.control_url)
    with pytest.raises(SimulatorControlError, match="no node 'node9'"):
        control.set_groups("node9", [])
    with pytest.raises(ValueError):
        control.add_fault("node1", {"kind": "meteor"})
    bad = requests.post(cluster.control_url + "/nodes/node1/faults", json={"kind": "reset", "color": "red"},
                        timeout=5)
    assert bad.status_code == 400 and "kind" in bad.json()["error"]
    assert requests.get(cluster.control_url + "/nowhere", timeout=5).status_code == 404
    assert cluster.requests_per_node() == {"node1": 0}  # control requests are not node requests
    with pytest.raises(SimulatorControlError, match="unreachable"):
        SimulatorControl("http://127.0.0.1:9/_sim", timeout=1).state()


def test_control_api_over_tls(simulated_cluster):
    cluster = simulated_cluster(node_count=2, tls=True, token="t")
    control = SimulatorControl(cluster.control_url, ca_path=cluster.ca_path)
    control.set_groups("node1", ["x"])
    assert control.snapshot()["node1"] == ["x"]  # the control API needs no node token


def _serve(tmp_path, *options, env=None):
    ready_file = tmp_path / "ready.json"
    environment = dict(os.environ, **(env or {}))  # simulator: installed by make setup
    process = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--ready-file", str(ready_file),
                                *options], env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if not wait_until(lambda: ready_file.exists() or process.poll() is not None, timeout=20):
        process.kill()
    assert ready_file.exists(), process.communicate(timeout=10)[0]
    return process, json.loads(ready_file.read_text()), ready_file


def _terminate(process):
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=10)[0].decode()
    return process.returncode, output


def test_cli_serve_until_sigterm(tmp_path):
    process, ready, ready_file = _serve(tmp_path, "--nodes", "4", "--layout", "prefix", "--seed", "9",
                                        "--profile", "lenient_delete")
    try:
        assert ready["pid"] == process.pid and sorted(ready["urls"]) == ["node1", "node2", "node3", "node4"]
        control = SimulatorControl(ready["control_url"])
        assert create(ready["urls"]["node4"], "g").status_code == 201
        assert control.snapshot()["node4"] == ["g"]
        assert control.state()["nodes"]["node1"]["profile"] == "lenient_delete"
    finally:
        returncode, output = _terminate(process)
    assert returncode == 0, output
    assert "stopped" in output and not ready_file.exists()


def test_cli_serve_tls_with_token_from_environment(tmp_path):
    ca_file = tmp_path / "ca.pem"
    process, ready, _ready_file = _serve(tmp_path, "--nodes", "2", "--tls", "--ca-file", str(ca_file),
                                         "--token-env", "SIM_TOKEN", env={"SIM_TOKEN": "from-env"})
    try:
        assert ready["ca_path"] == str(ca_file) and ca_file.exists()
        url = ready["urls"]["node2"]
        assert read(url, "g", verify=str(ca_file)).status_code == 401
        assert read(url, "g", verify=str(ca_file), headers={"Authorization": "Bearer from-env"}).status_code == 404
        assert "from-env" not in json.dumps(ready)
    finally:
        returncode, output = _terminate(process)
    assert returncode == 0, output
