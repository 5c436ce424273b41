"""A run is findable from its first write and never starts over an unfinished run (issue 30), on both paths:
the output names the run id and its finish command before the first write (what an operator has after Ctrl-C or a
killed controller), a re-run of the group is refused naming that run, the printed finish restores every node's
pre-run state; a run id that already has a record is refused before any request; allow_unfinished goes on."""
from __future__ import annotations

import re
import typing as t

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._run_record import list_runs
from playbook_runner import PATH_VARS, PlaybookRun, kill_playbook, run_playbook, start_playbook, write_inventory
from simulator import Fault, FaultKind
from test_playbook_finish import wait_for_first_write

pytestmark = pytest.mark.playbook

GROUP = "opening"
RUN_LINE = re.compile(r"run (\S+) \(create of group '%s'\) is recorded in \S+; if it is interrupted, finish it with: "
                      r"ansible-playbook playbooks/finish_rollback.yml -e run_id=(\S+) -e group=%s" % (GROUP, GROUP))
PATHS = [pytest.param(value, id=name) for name, value in PATH_VARS.items()]


class Cluster:
    """Three simulated nodes, an inventory and a record directory; runs of the group on them."""

    def __init__(self, simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any, path_vars: dict[str, t.Any]) -> None:
        self.simulator = simulated_cluster(node_count=3)
        self.inventory = write_inventory(tmp_path, self.simulator.urls())
        self.records = str(tmp_path / "records")
        self.path_vars = path_vars
        self.tmp_path = tmp_path

    def run(self, playbook: str = "create_group.yml", **extra_vars: t.Any) -> PlaybookRun:
        return run_playbook(playbook, self.inventory, self.records, extra_vars=dict(self.path_vars, group=GROUP, **extra_vars))

    def holders(self) -> set[str]:
        return {name for name, node in self.simulator.nodes.items() if GROUP in node.groups}

    def writes(self) -> int:
        return sum(1 for node in self.simulator.nodes.values() for entry in node.log if entry.method in ("POST", "DELETE"))

    def killed_after_first_write(self) -> str:
        """Start a create that writes node1 while node2 and node3 are slow to read, kill it: what it printed."""
        for name in ("node2", "node3"):
            self.simulator.nodes[name].add_fault(Fault(FaultKind.LATENCY, method="GET", delay=5.0))
        output = self.tmp_path / "killed.out"
        process = start_playbook("create_group.yml", self.inventory, self.records,
                                 extra_vars=dict(self.path_vars, group=GROUP), output=output)
        try:
            wait_for_first_write(self.simulator.nodes["node1"], process)
        finally:
            kill_playbook(process)
        self.simulator.clear_faults()
        self.simulator.clear_logs()
        return output.read_text(encoding="utf-8")


@pytest.mark.parametrize("path_vars", PATHS)
def test_a_killed_run_names_itself_blocks_reruns_and_its_printed_finish_restores(
        simulated_cluster: t.Any, tmp_path: t.Any, path_vars: dict[str, t.Any]) -> None:
    cluster = Cluster(simulated_cluster, tmp_path, path_vars)
    cluster.simulator.nodes["node2"].groups.add(GROUP)  # a group that was there before: the finish must keep it
    printed = cluster.killed_after_first_write()

    line = RUN_LINE.search(printed)
    assert line, "no run line before the first write:\n%s" % printed[-3000:]
    run_id = line.group(1)
    assert line.group(2) == run_id and list_runs(cluster.records) == [run_id]
    assert GROUP in cluster.simulator.nodes["node1"].groups

    rerun = cluster.run()
    assert rerun.rc != 0 and "unfinished" in rerun.stdout and run_id in rerun.stdout, rerun.describe()
    assert cluster.writes() == 0 and cluster.holders() == {"node1", "node2"}

    finish = cluster.run("finish_rollback.yml", run_id=run_id)
    assert finish.rc == 0, finish.describe()
    assert cluster.holders() == {"node2"}, "node1 back to absent, node2 keeps the group it had before"

    again = cluster.run()
    assert again.rc == 0 and cluster.holders() == {"node1", "node2", "node3"}, again.describe()


@pytest.mark.parametrize("path_vars", PATHS)
def test_a_used_run_id_is_refused_before_any_request(simulated_cluster: t.Any, tmp_path: t.Any,
                                                     path_vars: dict[str, t.Any]) -> None:
    cluster = Cluster(simulated_cluster, tmp_path, path_vars)
    assert cluster.run(group_transaction_run_id="CHG-1234").rc == 0
    cluster.simulator.clear_logs()

    reused = cluster.run("delete_group.yml", group_transaction_run_id="CHG-1234")

    assert reused.rc != 0 and "run id CHG-1234 already has a record" in reused.stdout, reused.describe()
    assert cluster.writes() == 0 and cluster.holders() == {"node1", "node2", "node3"}


@pytest.mark.parametrize("path_vars", PATHS)
def test_an_incomplete_rollback_blocks_the_group_until_finished_or_allowed(
        simulated_cluster: t.Any, tmp_path: t.Any, path_vars: dict[str, t.Any]) -> None:
    cluster = Cluster(simulated_cluster, tmp_path, path_vars)
    cluster.simulator.nodes["node3"].add_fault(Fault(FaultKind.OUTAGE, method="POST", count=None))
    cluster.simulator.nodes["node1"].add_fault(Fault(FaultKind.OUTAGE, method="DELETE", count=None))
    incomplete = cluster.run(group_transaction_run_id="left-1")
    assert incomplete.result and incomplete.result["outcome"] == "rollback_incomplete", incomplete.describe()
    cluster.simulator.clear_faults()
    cluster.simulator.clear_logs()

    refused = cluster.run("delete_group.yml")
    assert refused.rc != 0 and "run left-1 (rollback_incomplete)" in refused.stdout, refused.describe()
    assert cluster.writes() == 0 and cluster.holders() == {"node1"}

    allowed = cluster.run("delete_group.yml", allow_unfinished=True)
    assert allowed.rc == 0 and cluster.holders() == set(), allowed.describe()
