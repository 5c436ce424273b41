"""Text from a node is data (issue 29): Jinja that a hostile node puts in its error bodies, reason phrases, group
bodies and redirect targets never runs on the controller, on any ansible-core of the matrix, on both paths, through
create, rollback, an incomplete rollback, finish, status, plan and delete.

Before ansible-core 2.19 Ansible templates a fact's plain strings again whenever a later task uses them: a filter
that hands back text read from a node or a record file would run the node's Jinja (it did, 45 times per finish).
The marker command touches a file: the test fails if the file exists after any run.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import typing as t

import pytest

from playbook_runner import PlaybookRun, run_playbook, write_inventory
from simulator import Fault, FaultKind
from simulator.profiles import NodeProfile

GROUP = "jinja-target"
PATHS = [pytest.param({}, id="per-host"), pytest.param({"group_transaction_fast_path": True}, id="cluster-wide")]


def hostile_profile(marker: str, redirect: bool = False) -> NodeProfile:
    payload = "{{ lookup('pipe', 'touch %s') }}{%% if lookup('pipe', 'touch %s') %%}{%% endif %%}" % (marker, marker)
    return NodeProfile(name="hostile_jinja", get_body="extra", hostile_text=payload, hostile_redirect=redirect,
                       trailing_slash=not redirect)


class HostileRuns:
    """One hostile cluster, one record dir, the playbooks run against it; every run is checked for the marker."""

    def __init__(self, simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any, path_vars: dict[str, t.Any]) -> None:
        # short, so that the whole payload fits in the body excerpt a message keeps
        self.marker_dir = tempfile.mkdtemp(prefix="j", dir="/tmp")
        self.marker = os.path.join(self.marker_dir, "r")
        self.cluster = simulated_cluster(node_count=3, profiles=hostile_profile(self.marker))
        self.inventory = write_inventory(tmp_path, self.cluster.urls())
        self.records = tmp_path / "records"
        self.path_vars = path_vars
        self.tmp_path = tmp_path

    def run(self, playbook: str, expect_rc_zero: bool, **extra_vars: t.Any) -> PlaybookRun:
        run = run_playbook(playbook, self.inventory, self.records, extra_vars=dict(self.path_vars, group=GROUP, **extra_vars))
        assert not os.path.exists(self.marker), "a node's Jinja ran on the controller during %s\n%s" % (playbook, run.describe())
        assert (run.rc == 0) is expect_rc_zero, run.describe()
        return run

    def fault(self, node: str, method: str) -> None:
        self.cluster.nodes[node].add_fault(Fault(FaultKind.OUTAGE, method=method, count=None))

    def holders(self) -> set[str]:
        return {name for name, node in self.cluster.nodes.items() if GROUP in node.groups}


@pytest.mark.matrix
@pytest.mark.playbook
@pytest.mark.timeout(900)
@pytest.mark.parametrize("path_vars", PATHS)
def test_node_jinja_never_runs_on_the_controller(simulated_cluster: t.Any, tmp_path: t.Any, path_vars: dict[str, t.Any]) -> None:
    runs = HostileRuns(simulated_cluster, tmp_path, path_vars)
    try:
        _hostile_scenario(runs, tmp_path)
    finally:
        shutil.rmtree(runs.marker_dir, ignore_errors=True)


def _hostile_scenario(runs: HostileRuns, tmp_path: t.Any) -> None:
    runs.fault("node3", "POST")
    runs.fault("node1", "DELETE")
    incomplete = runs.run("create_group.yml", False, group_transaction_run_id="jinja-1")
    assert incomplete.result and incomplete.result["outcome"] == "rollback_incomplete", incomplete.describe()
    runs.run("finish_rollback.yml", False, run_id="jinja-1")  # node1 still refuses: the record is read back, twice
    runs.fault("node2", "GET")
    runs.run("group_status.yml", False)
    runs.run("plan_group.yml", False, operation="create", plan_file=str(tmp_path / "plan.json"))
    runs.cluster.clear_faults()
    runs.run("finish_rollback.yml", True, run_id="jinja-1")
    assert runs.holders() == set()

    runs.cluster.nodes["node2"].profile = hostile_profile(runs.marker, redirect=True)  # its reads go elsewhere: refused
    runs.run("create_group.yml", False)
    assert runs.holders() == set()
    runs.cluster.nodes["node2"].profile = hostile_profile(runs.marker)
    runs.run("create_group.yml", True)
    runs.run("group_status.yml", True)  # every group body carries the text
    runs.fault("node3", "DELETE")
    rolled_back = runs.run("delete_group.yml", False)
    assert rolled_back.result and rolled_back.result["outcome"] == "rolled_back", rolled_back.describe()
    assert runs.holders() == {"node1", "node2", "node3"}
