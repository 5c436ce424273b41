"""`molecule test` of roles/group_transaction (delegated driver on localhost) against a simulated cluster."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t

import pytest

from playbook_runner import REPO_ROOT, playbook_environment

pytestmark = pytest.mark.playbook

ROLE_DIR = os.path.join(REPO_ROOT, "roles", "group_transaction")


def test_molecule_default_scenario(simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any) -> None:
    simulator = simulated_cluster(node_count=3)
    cluster_file = tmp_path / "cluster.json"
    cluster_file.write_text(json.dumps({"urls": simulator.urls(), "control_url": simulator.control_url}), encoding="utf-8")
    env = playbook_environment(tmp_path / "records", {"CLUSTEROPS_MOLECULE_CLUSTER": str(cluster_file),
                                                      "MOLECULE_EPHEMERAL_DIRECTORY": str(tmp_path / "molecule")})
    env.pop("ANSIBLE_CONFIG")  # molecule writes its own ansible.cfg for the scenario

    completed = subprocess.run([os.path.join(os.path.dirname(sys.executable), "molecule"), "test"], cwd=ROLE_DIR,
                               env=env, capture_output=True, text=True, timeout=240, check=False)

    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]
    assert all("molecule-group" in node.groups for node in simulator.nodes.values())
    assert "idempotence" in output.lower()
