"""plan_group.yml, then create_group.yml / delete_group.yml -e plan=...: real ansible-playbook against simulated nodes.

The plan reads only; an unchanged cluster applies exactly the plan; a cluster that moved behind the plan's back
(random nodes flipped, the node set or a URL changed) is refused before any write, naming each moved node; the exit
codes are those the docs state. Node state is read from the simulator.
"""
from __future__ import annotations

import json
import os
import random
import typing as t

import pytest
import yaml

from ansible_collections.clusterops.groups.plugins.module_utils._run_lock import acquire
from playbook_runner import write_inventory
from simulator import Fault, FaultKind

pytestmark = pytest.mark.playbook

PLAN_KEY = "clusterops_groups_plan"


def plan(cluster: t.Any, tmp_path: t.Any, operation: str = "create", **extra_vars: t.Any) -> tuple[t.Any, str]:
    plan_file = str(tmp_path / ("%s.plan.json" % operation))
    run = cluster.run("plan_group.yml", extra_vars=dict({"operation": operation, "plan_file": plan_file}, **extra_vars))
    return run, plan_file


def apply(cluster: t.Any, plan_value: object, operation: str = "create", **kwargs: t.Any) -> t.Any:
    extra_vars = dict(kwargs.pop("extra_vars", {}), plan=plan_value)
    return cluster.run("%s_group.yml" % operation, extra_vars=extra_vars, **kwargs)


def writes(cluster: t.Any) -> int:
    return sum(1 for node in cluster.simulator.nodes.values() for entry in node.log if entry.method != "GET")


@pytest.mark.matrix
def test_a_plan_reads_only_and_an_unchanged_cluster_applies_exactly_it(playbook_cluster: t.Any, tmp_path: t.Any) -> None:
    playbook_cluster.simulator.nodes["node2"].groups = {playbook_cluster.group}
    run, plan_file = plan(playbook_cluster, tmp_path)
    assert run.rc == 0, run.describe()
    assert writes(playbook_cluster) == 0 and playbook_cluster.simulator.requests_per_node() == {"node1": 1, "node2": 1, "node3": 1}
    saved = json.loads(open(plan_file, encoding="utf-8").read())
    assert run.custom_stats[PLAN_KEY] == saved
    assert {node: entry["planned"] for node, entry in saved["nodes"].items()} == {"node1": "create", "node2": "none", "node3": "create"}
    assert "saved plan: create of group 'ops-team': changes planned (3 nodes: 2 create, 1 none)" in run.stdout
    assert "node1  absent   create" in run.stdout and "-e plan=%s" % plan_file in run.stdout
    playbook_cluster.simulator.clear_logs()
    applied = apply(playbook_cluster, plan_file)
    assert applied.rc == 0, applied.describe()
    assert playbook_cluster.holders() == {"node1", "node2", "node3"}
    assert playbook_cluster.simulator.requests_per_node() == {"node1": 2, "node2": 1, "node3": 2}
    assert applied.result["outcome"] == "success" and applied.result["saved_plan"]["fingerprint"] == saved["fingerprint"]


@pytest.mark.parametrize("trial", range(4))
def test_randomized_moves_behind_the_plan_are_refused_before_any_write(playbook_cluster_factory: t.Any, tmp_path: t.Any,
                                                                       trial: int) -> None:
    rng = random.Random(4100 + trial)
    cluster = playbook_cluster_factory(rng.randint(3, 6), "team-%d" % trial)
    operation = rng.choice(["create", "delete"])
    names = list(cluster.simulator.names)
    for name in names:
        if rng.random() < 0.5:
            cluster.simulator.nodes[name].groups = {cluster.group}
    run, plan_file = plan(cluster, tmp_path, operation)
    assert run.rc == 0, run.describe()
    moved = sorted(rng.sample(names, rng.randint(1, len(names))))
    for name in moved:
        node = cluster.simulator.nodes[name]
        node.groups = set() if cluster.group in node.groups else {cluster.group}
    after_moves = cluster.simulator.snapshot()
    cluster.simulator.clear_logs()
    refused = apply(cluster, plan_file, operation)
    assert refused.rc == 2, refused.describe()
    assert writes(cluster) == 0 and cluster.simulator.snapshot() == after_moves
    saved = json.loads(open(plan_file, encoding="utf-8").read())
    for name in names:
        line = "%s: planned %s" % (name, saved["nodes"][name]["planned"])
        assert (line in refused.stdout) is (name in moved), (name, moved, refused.stdout[-3000:])


@pytest.mark.parametrize("change", ["node_added", "url_changed", "other_group", "other_operation"])
def test_a_plan_for_another_cluster_or_run_is_refused_before_any_request(playbook_cluster: t.Any, tmp_path: t.Any,
                                                                         simulated_cluster: t.Any, change: str) -> None:
    run, plan_file = plan(playbook_cluster, tmp_path)
    assert run.rc == 0, run.describe()
    urls = playbook_cluster.simulator.urls()
    extra: dict[str, t.Any] = {}
    operation = "create"
    if change == "node_added":
        urls["node4"] = simulated_cluster(node_count=1).urls()["node1"]
        expected = "the node set changed since the plan: node4 added"
    elif change == "url_changed":
        urls["node2"] = simulated_cluster(node_count=1).urls()["node1"]
        expected = "node2: URL changed from"
    elif change == "other_group":
        extra = {"group": "another-group"}
        expected = "the plan is for group 'ops-team', this run is for group 'another-group'"
    else:
        operation = "delete"
        expected = "the plan is for create, this run is a delete"
    if change in ("node_added", "url_changed"):
        (tmp_path / "moved").mkdir()
        playbook_cluster.inventory = write_inventory(tmp_path / "moved", urls)
    playbook_cluster.simulator.clear_logs()
    refused = apply(playbook_cluster, plan_file, operation, extra_vars=extra)
    assert refused.rc == 2 and expected in refused.stdout, refused.describe()
    assert playbook_cluster.requests() == 0 and playbook_cluster.holders() == set()


def test_plan_max_age_refuses_a_stale_plan_and_applies_a_fresh_one(playbook_cluster: t.Any, tmp_path: t.Any) -> None:
    run, plan_file = plan(playbook_cluster, tmp_path)
    assert run.rc == 0, run.describe()
    stale = apply(playbook_cluster, plan_file, extra_vars={"plan_max_age": 0.001})
    assert stale.rc == 2 and "the plan is stale: made" in stale.stdout and writes(playbook_cluster) == 0, stale.describe()
    fresh = apply(playbook_cluster, plan_file, extra_vars={"plan_max_age": 3600})
    assert fresh.rc == 0 and playbook_cluster.holders() == {"node1", "node2", "node3"}, fresh.describe()


def test_a_plan_with_an_unreachable_node_fails_and_cannot_be_applied(playbook_cluster: t.Any, tmp_path: t.Any) -> None:
    playbook_cluster.simulator.nodes["node3"].add_fault(Fault(FaultKind.OUTAGE, method=None))
    run, plan_file = plan(playbook_cluster, tmp_path)
    assert run.rc == 2 and run.custom_stats[PLAN_KEY]["outcome"] == "not_applicable", run.describe()
    assert "node3  unknown  unreachable" in run.stdout
    playbook_cluster.simulator.clear_faults()
    refused = apply(playbook_cluster, plan_file)
    assert refused.rc == 2 and "could not be read when it was made (node3)" in refused.stdout, refused.describe()
    assert writes(playbook_cluster) == 0


def test_the_artifact_applies_as_the_file_does(playbook_cluster: t.Any, tmp_path: t.Any) -> None:
    run, _plan_file = plan(playbook_cluster, tmp_path, "delete")
    playbook_cluster.simulator.nodes["node1"].groups = set()
    assert run.custom_stats[PLAN_KEY]["outcome"] == "nothing_to_do" and "nothing to do" in run.stdout
    applied = apply(playbook_cluster, run.custom_stats[PLAN_KEY], "delete")
    assert applied.rc == 0 and writes(playbook_cluster) == 0, applied.describe()


@pytest.mark.matrix
@pytest.mark.parametrize("case, detailed, expected_rc", [
    ("nothing_to_do", False, 0), ("changes", False, 0), ("error", False, 2),
    ("nothing_to_do", True, 0), ("changes", True, 2), ("error", True, None), ("bad_operation", True, None),
])
def test_exit_codes(playbook_cluster: t.Any, tmp_path: t.Any, case: str, detailed: bool, expected_rc: int | None) -> None:
    if case == "nothing_to_do":
        for node in playbook_cluster.simulator.nodes.values():
            node.groups = {playbook_cluster.group}
    if case == "error":
        playbook_cluster.simulator.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method=None))
    extra = {"plan_detailed_exitcode": "true" if detailed else "false"}
    if case == "bad_operation":
        extra["operation"] = "craete"
    run, _plan_file = plan(playbook_cluster, tmp_path, **extra)
    if expected_rc is None:  # an error: neither 0 (nothing to do) nor 2 (changes planned); 1 up to 2.18, 4 from 2.19
        assert run.rc in (1, 4), run.describe()
        assert "the plan failed" in run.stdout + run.stderr, run.describe()
    else:
        assert run.rc == expected_rc, run.describe()
    assert writes(playbook_cluster) == 0


def test_a_plan_under_limit_is_refused_before_any_request(playbook_cluster: t.Any, tmp_path: t.Any) -> None:
    plan_file = str(tmp_path / "limited.json")
    run = playbook_cluster.run("plan_group.yml", extra_vars={"operation": "create", "plan_file": plan_file},
                               extra_args=["--limit", "node1,localhost"])
    assert run.rc == 2 and playbook_cluster.requests() == 0, run.describe()


@pytest.mark.parametrize("extra_vars, message", [
    ({"plan": ""}, "plan is empty (-e plan=)"),
    ({"plan": []}, "plan is empty (-e plan=[])"),
    ({"plan": 42}, "plan must be a saved plan"),
    ({"plan": "no-such-plan.json"}, "plan file no-such-plan.json cannot be read"),
    ({"plan": {"kind": "terraform"}}, "plan is not a saved plan of clusterops.groups"),
    ({"plan_max_age": 60}, "plan_max_age limits the age of a saved plan"),
    ({"plan": "{}", "plan_max_age": "soon"}, "plan_max_age"),
])
def test_a_mangled_plan_argument_is_refused_before_any_request(playbook_cluster: t.Any, extra_vars: dict[str, t.Any],
                                                               message: str) -> None:
    run = playbook_cluster.run("create_group.yml", extra_vars=extra_vars)
    assert run.rc == 2 and message in run.stdout, run.describe()
    assert "Traceback" not in run.stdout + run.stderr
    assert playbook_cluster.requests() == 0 and playbook_cluster.holders() == set()


def test_a_relative_plan_file_is_written_and_the_printed_command_applies_it(playbook_cluster: t.Any) -> None:
    run = playbook_cluster.run("plan_group.yml", extra_vars={"operation": "create", "plan_file": "relative.plan.json"})
    assert run.rc == 0, run.describe()
    [command] = [line for line in run.stdout.splitlines() if "Apply exactly this plan: ansible-playbook" in line]
    plan_path = command.split(" -e plan=", 1)[1].split()[0]
    assert plan_path.startswith("/") and plan_path.endswith("/relative.plan.json")
    try:
        applied = apply(playbook_cluster, plan_path)
        assert applied.rc == 0 and playbook_cluster.holders() == {"node1", "node2", "node3"}, applied.describe()
    finally:
        os.remove(plan_path)


def test_two_default_plans_get_two_files(playbook_cluster: t.Any) -> None:
    first = playbook_cluster.run("plan_group.yml", extra_vars={"operation": "create"})
    second = playbook_cluster.run("plan_group.yml", extra_vars={"operation": "create"})
    files = {run.custom_stats[PLAN_KEY]["plan_id"] for run in (first, second)}
    assert first.rc == second.rc == 0 and len(files) == 2
    paths = [line.split("Plan file: ", 1)[1].rstrip('",') for run in (first, second) for line in run.stdout.splitlines()
             if "Plan file: " in line]
    assert len(set(paths)) == 2 and all(json.loads(open(path, encoding="utf-8").read())["plan_id"] in path for path in paths)


@pytest.mark.parametrize("max_age, message", [(0, "plan_max_age must be a number of seconds greater than 0"),
                                              (-5, "plan_max_age must be a number of seconds greater than 0")])
def test_a_plan_max_age_that_is_not_a_positive_age_is_refused(playbook_cluster: t.Any, tmp_path: t.Any, max_age: float,
                                                              message: str) -> None:
    run, plan_file = plan(playbook_cluster, tmp_path)
    refused = apply(playbook_cluster, plan_file, extra_vars={"plan_max_age": max_age})
    assert refused.rc == 2 and message in refused.stdout and writes(playbook_cluster) == 0, refused.describe()


def test_a_held_lock_stops_a_plan_apply_before_any_request(playbook_cluster: t.Any, tmp_path: t.Any) -> None:
    _run, plan_file = plan(playbook_cluster, tmp_path)
    acquire(playbook_cluster.record_dir, playbook_cluster.group, "the-other-run")
    playbook_cluster.simulator.clear_logs()
    refused = apply(playbook_cluster, plan_file, extra_vars={"group_transaction_lock_wait": 0})
    assert refused.rc == 2 and playbook_cluster.requests() == 0, refused.describe()


def test_check_mode_with_a_plan_reads_compares_and_writes_nothing(playbook_cluster: t.Any, tmp_path: t.Any) -> None:
    _run, plan_file = plan(playbook_cluster, tmp_path)
    checked = apply(playbook_cluster, plan_file, check=True)
    assert checked.rc == 0 and "CHECK MODE" in checked.stdout and writes(playbook_cluster) == 0, checked.describe()
    playbook_cluster.simulator.nodes["node1"].groups = {playbook_cluster.group}
    refused = apply(playbook_cluster, plan_file, check=True)
    assert refused.rc == 2 and "node1: planned create, now present" in refused.stdout, refused.describe()
    assert writes(playbook_cluster) == 0


@pytest.mark.parametrize("caller_plan", ["{{ {} }}", "{{ [] }}", "{{ none }}", "{{ false }}"])
def test_a_role_caller_with_an_empty_plan_is_refused_not_run_without_it(playbook_cluster: t.Any, tmp_path: t.Any,
                                                                        caller_plan: str) -> None:
    caller = tmp_path / "caller.yml"
    caller.write_text(yaml.safe_dump([{
        "name": "A wider playbook", "hosts": "cluster", "gather_facts": False, "connection": "local",
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": [{"name": "Apply my plan", "ansible.builtin.include_role": {"name": "clusterops.groups.group_transaction"},
                   "vars": {"group_transaction_group": playbook_cluster.group, "group_transaction_saved_plan": caller_plan}}],
    }]), encoding="utf-8")
    run = playbook_cluster.run(str(caller))
    assert run.rc == 2 and "plan is empty" in run.stdout, run.describe()
    assert playbook_cluster.requests() == 0 and playbook_cluster.holders() == set()


def test_the_role_plan_entry_point_makes_a_plan_in_a_callers_play(playbook_cluster: t.Any, tmp_path: t.Any) -> None:
    caller = tmp_path / "plan_caller.yml"
    caller.write_text(yaml.safe_dump([{
        "name": "A wider playbook", "hosts": "cluster", "gather_facts": False, "connection": "local",
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": [{"name": "Plan",
                   "ansible.builtin.include_role": {"name": "clusterops.groups.group_transaction", "tasks_from": "plan"},
                   "vars": {"group_transaction_group": playbook_cluster.group, "group_transaction_state": "present",
                            "group_transaction_plan_file": str(tmp_path / "caller.plan.json")}}],
    }]), encoding="utf-8")
    run = playbook_cluster.run(str(caller))
    assert run.rc == 0 and run.custom_stats[PLAN_KEY]["changes"] == 3, run.describe()
    assert apply(playbook_cluster, str(tmp_path / "caller.plan.json")).rc == 0
    assert playbook_cluster.holders() == {"node1", "node2", "node3"}
