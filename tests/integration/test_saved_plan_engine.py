"""The saved plan over real HTTP against simulated nodes: made with GETs only, applied exactly, refused when the
cluster moved (node state read from the simulator, never from our own account).

The randomized trials move random nodes behind the plan's back in every way a node can move (gain the group, lose
it, stop answering) and change the node set and URLs; every refusal must name each moved node and write nothing.
"""
from __future__ import annotations

import json
import random
from typing import Any

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._cluster_status import plan_cluster
from ansible_collections.clusterops.groups.plugins.module_utils._cluster_transaction import run_cluster_transaction
from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput
from ansible_collections.clusterops.groups.plugins.module_utils._saved_plan import SavedPlanRefused
from simulator import Fault, FaultKind, SimulatedCluster

FAST_OPTIONS = {"timeout": 2.0, "retries": 1, "backoff_base": 0.0, "backoff_max": 0.0}
GROUP = "ops"
STATE_BY_OPERATION = {"create": "present", "delete": "absent"}


def node_list(cluster: SimulatedCluster) -> list[dict[str, str]]:
    return [{"name": name, "api_url": url} for name, url in cluster.urls().items()]


def make_plan(cluster: SimulatedCluster, operation: str = "create", **kwargs: Any) -> dict[str, Any]:
    outcome = plan_cluster(node_list(cluster), GROUP, STATE_BY_OPERATION[operation], FAST_OPTIONS, **kwargs)
    return {key: value for key, value in outcome.items() if key not in ("changed", "failed", "msg")}


def apply(cluster: SimulatedCluster, plan: object, operation: str = "create", nodes: list[dict[str, str]] | None = None,
          **kwargs: Any) -> dict[str, Any]:
    return run_cluster_transaction(nodes or node_list(cluster), GROUP, STATE_BY_OPERATION[operation], FAST_OPTIONS,
                                   saved_plan=plan, **kwargs)


def writes(cluster: SimulatedCluster) -> int:
    return sum(1 for node in cluster.nodes.values() for entry in node.log if entry.method != "GET")


def test_a_plan_reads_only_and_the_apply_does_exactly_it_in_two_requests_per_changed_node(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=4)
    cluster.nodes["node2"].groups = {GROUP}
    plan = make_plan(cluster)
    assert writes(cluster) == 0
    assert (plan["outcome"], plan["changes"]) == ("changes_planned", 3)
    assert {node: entry["planned"] for node, entry in plan["nodes"].items()} == {
        "node1": "create", "node2": "none", "node3": "create", "node4": "create"}
    cluster.clear_logs()
    account = apply(cluster, json.loads(json.dumps(plan)))  # as it comes back from a file or an artifact
    assert (account["outcome"], account["failed"]) == ("success", False)
    assert cluster.snapshot() == {name: [GROUP] for name in cluster.names}
    assert cluster.requests_per_node() == {"node1": 2, "node2": 1, "node3": 2, "node4": 2}
    assert account["saved_plan"]["fingerprint"] == plan["fingerprint"]


def test_a_plan_of_nothing_to_do_applies_with_no_write(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=3)
    plan = make_plan(cluster, "delete")
    assert (plan["outcome"], plan["changes"]) == ("nothing_to_do", 0)
    account = apply(cluster, plan, "delete")
    assert (account["outcome"], account["changed"], writes(cluster)) == ("success", False, 0)


def test_a_plan_with_an_unreadable_node_is_not_applicable_and_is_refused_before_any_request(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=3)
    cluster.nodes["node3"].add_fault(Fault(FaultKind.OUTAGE, method="GET"))
    outcome = plan_cluster(node_list(cluster), GROUP, "present", FAST_OPTIONS)
    assert (outcome["failed"], outcome["outcome"], outcome["nodes"]["node3"]["planned"]) == (True, "not_applicable", "unreachable")
    assert "node3" in outcome["msg"]
    cluster.clear_faults()
    cluster.clear_logs()
    with pytest.raises(SavedPlanRefused, match=r"1 node could not be read when it was made \(node3\)"):
        apply(cluster, {key: outcome[key] for key in outcome if key not in ("changed", "failed", "msg")})
    assert sum(cluster.requests_per_node().values()) == 0


@pytest.mark.parametrize("trial", range(12))
def test_randomized_moves_are_refused_before_any_write_naming_every_moved_node(simulated_cluster, trial: int) -> None:
    rng = random.Random(1900 + trial)
    operation = rng.choice(["create", "delete"])
    cluster = simulated_cluster(node_count=rng.randint(3, 7))
    for name in cluster.names:
        if rng.random() < 0.5:
            cluster.nodes[name].groups = {GROUP}
    plan = make_plan(cluster, operation)
    before_moves = cluster.snapshot()
    moved = rng.sample(cluster.names, rng.randint(1, len(cluster.names)))
    for name in moved:
        how = rng.choice(["flip", "flip", "unreadable"])
        if how == "flip":
            cluster.nodes[name].groups = set() if GROUP in cluster.nodes[name].groups else {GROUP}
        else:
            cluster.nodes[name].add_fault(Fault(FaultKind.OUTAGE, method="GET"))
    expected_after = cluster.snapshot()
    with pytest.raises(SavedPlanRefused) as refused:
        apply(cluster, plan, operation)
    assert writes(cluster) == 0 and cluster.snapshot() == expected_after
    named = {line.split(":", 1)[0] for line in refused.value.facts["refusals"]}
    assert named == set(moved), (before_moves, expected_after, refused.value.msg)
    for line in refused.value.facts["refusals"]:
        node = line.split(":", 1)[0]
        assert "planned %s" % plan["nodes"][node]["planned"] in line and node in refused.value.msg


@pytest.mark.parametrize("trial", range(8))
def test_randomized_node_set_and_url_changes_are_refused_before_any_request(simulated_cluster, trial: int) -> None:
    rng = random.Random(2900 + trial)
    cluster = simulated_cluster(node_count=5)
    plan = make_plan(cluster)
    nodes = node_list(cluster)
    change = rng.choice(["drop", "rename", "swap_urls", "other_port"])
    if change == "drop":
        dropped = nodes.pop(rng.randrange(len(nodes)))["name"]
        expected = ["%s removed" % dropped]
    elif change == "rename":
        index = rng.randrange(len(nodes))
        old = nodes[index]["name"]
        nodes[index] = {"name": old + "-new", "api_url": nodes[index]["api_url"]}
        expected = ["%s-new added" % old, "%s removed" % old]
    elif change == "swap_urls":
        first, second = rng.sample(range(len(nodes)), 2)
        nodes[first]["api_url"], nodes[second]["api_url"] = nodes[second]["api_url"], nodes[first]["api_url"]
        expected = ["%s: URL changed" % nodes[first]["name"], "%s: URL changed" % nodes[second]["name"]]
    else:
        index = rng.randrange(len(nodes))
        nodes[index]["api_url"] = "http://127.0.0.1:1"
        expected = ["%s: URL changed" % nodes[index]["name"]]
    cluster.clear_logs()
    with pytest.raises(SavedPlanRefused) as refused:
        apply(cluster, plan, nodes=nodes)
    assert sum(cluster.requests_per_node().values()) == 0
    assert all(part in refused.value.msg for part in expected), refused.value.msg


def test_the_same_url_written_differently_is_the_same_node(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=2)
    plan = make_plan(cluster)
    nodes = [{"name": node["name"], "api_url": node["api_url"].upper().replace("HTTP://", "http://") + "/"}
             for node in node_list(cluster)]
    assert apply(cluster, plan, nodes=nodes)["outcome"] == "success"


@pytest.mark.parametrize("mismatch, message", [
    ({"operation": "delete"}, "the plan is for create, this run is a delete"),
    ({"group": "other"}, "the plan is for group 'ops', this run is for group 'other'"),
])
def test_a_plan_for_another_run_is_refused(simulated_cluster, mismatch: dict[str, str], message: str) -> None:
    cluster = simulated_cluster(node_count=2)
    plan = make_plan(cluster)
    state = STATE_BY_OPERATION[mismatch.get("operation", "create")]
    with pytest.raises(SavedPlanRefused, match=message):
        run_cluster_transaction(node_list(cluster), mismatch.get("group", GROUP), state, FAST_OPTIONS, saved_plan=plan)
    assert sum(cluster.requests_per_node().values()) == len(cluster.names)  # the plan's GETs only


def test_plan_max_age_refuses_a_stale_plan_and_says_how_old(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=2)
    plan = make_plan(cluster, now=lambda: 1_000_000.0)
    with pytest.raises(SavedPlanRefused, match=r"the plan is stale: made 900 s ago .*plan_max_age is 600"):
        apply(cluster, plan, plan_max_age=600, now=lambda: 1_000_900.0)
    assert apply(cluster, plan, plan_max_age=1000, now=lambda: 1_000_900.0)["outcome"] == "success"


@pytest.mark.parametrize("damage", ["edited_url", "edited_action", "wrong_kind", "not_json", "missing_file", "version"])
def test_a_damaged_plan_is_invalid_input_before_any_request(simulated_cluster, tmp_path, damage: str) -> None:
    cluster = simulated_cluster(node_count=2)
    plan = make_plan(cluster)
    cluster.clear_logs()
    if damage == "edited_url":
        plan["nodes"]["node1"]["url"] = "http://127.0.0.1:9"
    elif damage == "edited_action":
        plan["nodes"]["node1"]["planned"] = "none"
    elif damage == "wrong_kind":
        plan["kind"] = "terraform"
    elif damage == "version":
        plan["version"] = 1  # a plan of the version whose fingerprint covered nodes and URLs only
    file_text = "{not json" if damage == "not_json" else json.dumps(plan)
    path = tmp_path / "plan.json"
    if damage != "missing_file":
        path.write_text(file_text, encoding="utf-8")
    with pytest.raises(InvalidInput) as invalid:
        apply(cluster, str(path))
    assert invalid.value.facts["option"] == "plan"
    assert sum(cluster.requests_per_node().values()) == 0 and writes(cluster) == 0


def test_a_plan_file_path_applies(simulated_cluster, tmp_path) -> None:
    cluster = simulated_cluster(node_count=3)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(make_plan(cluster)), encoding="utf-8")
    assert apply(cluster, str(path))["outcome"] == "success"
    assert cluster.snapshot() == {name: [GROUP] for name in cluster.names}


def test_a_failure_after_an_accepted_plan_is_all_or_nothing_as_without_one(simulated_cluster) -> None:
    cluster = simulated_cluster(node_count=4)
    plan = make_plan(cluster)
    cluster.nodes["node3"].add_fault(Fault(FaultKind.OUTAGE, method="POST"))
    account = apply(cluster, plan)
    assert (account["outcome"], account["failed"]) == ("rolled_back", True)
    assert cluster.snapshot() == {name: [] for name in cluster.names}


def test_plan_max_age_without_a_plan_is_refused() -> None:
    with pytest.raises(InvalidInput, match="plan_max_age"):
        run_cluster_transaction([{"name": "n1", "api_url": "http://127.0.0.1:1"}], GROUP, "present", FAST_OPTIONS,
                                plan_max_age=10)
