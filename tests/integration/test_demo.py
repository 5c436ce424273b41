"""`make demo` as a new user runs it: create, an idempotent re-run, a rollback that keeps another writer's group, a
rollback that cannot finish and finish_rollback.yml completing it, on a cluster of its own."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t

import pytest

from collection_package import REPO_ROOT

pytestmark = pytest.mark.playbook

LAUNCHER = os.path.join(REPO_ROOT, "tools", "local_cluster.py")


def _launcher(state_dir: t.Any, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, LAUNCHER, *arguments, "--state-dir", str(state_dir)],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def users_cluster(tmp_path: t.Any) -> t.Iterator[dict]:
    """A cluster the user started before the demo: the demo must neither stop it nor send it a request."""
    state_dir = tmp_path / "users-cluster"
    assert _launcher(state_dir, "start", "--nodes", "2").returncode == 0
    yield json.loads((state_dir / "local_cluster.json").read_text())
    _launcher(state_dir, "stop")


def test_demo_shows_rollback_and_finish_and_leaves_the_users_cluster_alone(tmp_path: t.Any, users_cluster: dict) -> None:
    demo_state = tmp_path / "demo"
    environment = dict(os.environ, DEMO_STATE_DIR=str(demo_state), DEMO_GROUP="demo-check", ANSIBLE_NOCOLOR="1")
    environment["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), environment.get("PATH", "")])
    result = subprocess.run(["bash", os.path.join(REPO_ROOT, "tools", "demo.sh")], cwd=REPO_ROOT, env=environment,
                            capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    for line in ("create of group 'demo-check': success (4 nodes: 4 changed)",
                 "create of group 'demo-check': success (4 nodes: 4 ok)",
                 "create of group 'kept-demo-check': rolled_back (4 nodes: 2 changed, 1 failed, 1 ok)",
                 "create of group 'demo-check': rollback_incomplete",
                 "Finish the rollback once the nodes answer",
                 "finish_rollback of group 'demo-check': finished"):
        assert line in output, line
    assert output.count("(exit code 2, as expected)") == 2
    # the demo's cluster is gone; the user's is alive and never got a request
    assert not (demo_state / "local_cluster.json").exists()
    status = _launcher(os.path.dirname(users_cluster["inventory"]), "status")
    assert status.returncode == 0, status.stderr
    assert [line.split()[-1] for line in status.stdout.splitlines()[1:]] == ["0", "0"], status.stdout
