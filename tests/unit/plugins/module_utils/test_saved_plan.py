"""The saved plan's pure functions (module_utils/_saved_plan.py) over randomized clusters; the HTTP side is in
tests/integration/test_saved_plan_engine.py and test_playbook_saved_plan.py."""
from __future__ import annotations

import json
import random
import typing as t

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils import _saved_plan, _summary
from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput

NOW = 1_800_000_000.0


def random_cluster(rng: random.Random) -> tuple[dict[str, str], dict[str, dict[str, t.Any]]]:
    count = rng.randint(1, 40)
    urls = {"node%d" % index: "http://10.0.%d.%d:8443" % (index // 200, index % 200) for index in range(count)}
    reads = {node: {"exists": rng.random() < 0.5} for node in urls}
    return urls, reads


@pytest.mark.parametrize("seed", range(20))
def test_a_plan_survives_json_and_its_actions_follow_from_the_reads(seed: int) -> None:
    rng = random.Random(seed)
    urls, reads = random_cluster(rng)
    operation = rng.choice(["create", "delete"])
    plan = _saved_plan.build_saved_plan(operation, "ops", reads, urls, NOW)
    assert _saved_plan.load_saved_plan(json.dumps(plan)) == plan
    desired = operation == "create"
    changes = [node for node, read in reads.items() if read["exists"] != desired]
    assert plan["changes"] == len(changes)
    assert [node for node, entry in plan["nodes"].items() if entry["planned"] == operation] == changes
    assert plan["outcome"] == ("changes_planned" if changes else "nothing_to_do")
    assert _saved_plan.moved_nodes(plan, reads) == []
    assert _saved_plan.refusals_before_read(plan, operation, "ops", urls, NOW) == []


@pytest.mark.parametrize("seed", range(20))
def test_every_moved_node_is_named_and_only_those(seed: int) -> None:
    rng = random.Random(100 + seed)
    urls, reads = random_cluster(rng)
    plan = _saved_plan.build_saved_plan("create", "ops", reads, urls, NOW)
    moved = set(rng.sample(sorted(urls), rng.randint(0, len(urls))))
    now_reads = {node: ({"exists": not read["exists"]} if node in moved and rng.random() < 0.7 else
                        {"failed": True, "exists": None, "msg": "down"} if node in moved else read)
                 for node, read in reads.items()}
    lines = _saved_plan.moved_nodes(plan, now_reads)
    assert {line.split(":", 1)[0] for line in lines} == moved


@pytest.mark.parametrize("seed", range(20))
def test_node_set_and_url_changes_are_named(seed: int) -> None:
    rng = random.Random(200 + seed)
    urls, reads = random_cluster(rng)
    plan = _saved_plan.build_saved_plan("delete", "ops", reads, urls, NOW)
    now_urls = dict(urls)
    removed = set(rng.sample(sorted(urls), rng.randint(0, len(urls) // 2)))
    for node in removed:
        del now_urls[node]
    added = {"extra%d" % index for index in range(rng.randint(0, 3))}
    now_urls.update({node: "http://192.168.1.%d" % index for index, node in enumerate(sorted(added))})
    changed_url = set(rng.sample(sorted(set(now_urls) - added), min(2, len(set(now_urls) - added))))
    for node in changed_url:
        now_urls[node] = "http://172.16.0.1/%s" % node
    refusals = " ; ".join(_saved_plan.refusals_before_read(plan, "delete", "ops", now_urls, NOW))
    for node in added:
        assert "%s added" % node in refusals
    for node in removed:
        assert "%s removed" % node in refusals
    for node in changed_url:
        assert "%s: URL changed" % node in refusals
    assert bool(refusals) is bool(added or removed or changed_url)


def test_a_url_written_differently_names_the_same_node() -> None:
    plan = _saved_plan.build_saved_plan("create", "ops", {"n1": {"exists": False}}, {"n1": "http://Node1:80/api/"}, NOW)
    assert _saved_plan.refusals_before_read(plan, "create", "ops", {"n1": "HTTP://node1/api"}, NOW) == []
    assert _saved_plan.refusals_before_read(plan, "create", "ops", {"n1": "http://node1/API"}, NOW) != []


@pytest.mark.parametrize("edit", [
    lambda plan: plan["nodes"]["n1"].update(url="http://evil"),
    lambda plan: plan["nodes"]["n1"].update(planned="delete"),
    lambda plan: plan["nodes"]["n1"].update(state="sideways"),
    lambda plan: plan.update(created_epoch="yesterday"),
    lambda plan: plan.update(operation="wipe"),
    lambda plan: plan.update(nodes={}),
    lambda plan: plan.update(kind="other"),
    lambda plan: plan.update(version=0),
])
def test_an_edited_plan_is_invalid_input(edit: t.Callable[[dict[str, t.Any]], None]) -> None:
    plan = _saved_plan.build_saved_plan("create", "ops", {"n1": {"exists": False}}, {"n1": "http://n1"}, NOW)
    edit(plan)
    with pytest.raises(InvalidInput) as invalid:
        _saved_plan.load_saved_plan(plan)
    assert invalid.value.facts["option"] == "plan"


def _leaf_paths(value: t.Any, path: tuple[t.Any, ...] = ()) -> t.Iterator[tuple[t.Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaf_paths(item, path + (key,))
    else:
        yield path


def _edited(value: t.Any) -> t.Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 3600  # e.g. created_epoch an hour later: plan_max_age would see a younger plan
    return str(value) + "x"


def test_every_field_of_a_plan_is_covered_by_its_fingerprint() -> None:
    """Any one value edited (the node states and actions kept consistent or not) makes the plan damaged."""
    reads = {"n1": {"exists": False}, "n2": {"exists": True}, "n3": {"failed": True, "msg": "down"}}
    urls = {"n1": "http://n1", "n2": "http://n2:8080/p", "n3": "https://n3"}
    plan = _saved_plan.build_saved_plan("create", "ops", reads, urls, NOW)
    assert _saved_plan.load_saved_plan(plan) == plan
    for path in _leaf_paths(plan):
        if path == ("fingerprint",):
            continue
        edited = json.loads(json.dumps(plan))
        holder = edited
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = _edited(holder[path[-1]])
        with pytest.raises(InvalidInput, match="damaged|version|not a saved plan"):
            _saved_plan.load_saved_plan(edited)


@pytest.mark.parametrize("value", [None, 3, "", "   ", [], "/nonexistent/plan.json", "{broken"])
def test_what_is_not_a_plan_is_invalid_input(value: object) -> None:
    with pytest.raises(InvalidInput):
        _saved_plan.load_saved_plan(value)


def test_age_and_run_mismatches_are_refused() -> None:
    plan = _saved_plan.build_saved_plan("create", "ops", {"n1": {"exists": False}}, {"n1": "http://n1"}, NOW)
    urls = {"n1": "http://n1"}
    assert _saved_plan.refusals_before_read(plan, "create", "ops", urls, NOW + 100, max_age=100) == []
    assert "stale" in _saved_plan.refusals_before_read(plan, "create", "ops", urls, NOW + 101, max_age=100)[0]
    assert _saved_plan.refusals_before_read(plan, "delete", "other", urls, NOW) == [
        "the plan is for create, this run is a delete", "the plan is for group 'ops', this run is for group 'other'"]


def test_detailed_exit_codes() -> None:
    urls = {"n1": "http://n1", "n2": "http://n2"}
    changes = _saved_plan.build_saved_plan("create", "ops", {"n1": {"exists": False}, "n2": {"exists": True}}, urls, NOW)
    nothing = _saved_plan.build_saved_plan("delete", "ops", {"n1": {"exists": False}, "n2": {"exists": False}}, urls, NOW)
    broken = _saved_plan.build_saved_plan("create", "ops", {"n1": {"exists": None, "failed": True, "msg": "x"}}, urls, NOW)
    error = _saved_plan.PLAN_ERROR
    assert [_saved_plan.detailed_exit_code(plan)[0] for plan in (nothing, changes, broken, None)] == [0, 2, error, error]
    assert _saved_plan.detailed_exit_code(changes, "scope refused")[0] == error


def test_the_plan_prints_as_a_table_and_an_unreadable_node_is_the_failure() -> None:
    urls = {"n1": "http://n1", "n2": "http://n2"}
    broken = _saved_plan.build_saved_plan("create", "ops", {"n1": {"exists": False}}, urls, NOW)
    lines = _summary.summary_lines(broken)
    assert lines[0] == "saved plan: create of group 'ops': not applicable (2 nodes: 1 create, 1 unreachable)"
    assert lines[1].split() == ["node", "state", "planned"] and lines[3].split() == ["n2", "unknown", "unreachable"]
    assert "some nodes could not be read" in _summary.failure_message(broken)
    fine = _saved_plan.build_saved_plan("create", "ops", {"n1": {"exists": False}, "n2": {"exists": True}}, urls, NOW)
    assert _summary.failure_message(fine) == ""


def test_a_refusal_names_every_node_up_to_the_limit_and_counts_the_rest() -> None:
    reasons = ["node%d: planned create, now present" % index for index in range(80)]
    refused = _saved_plan.SavedPlanRefused(reasons, "ops")
    assert all(reason in refused.msg for reason in reasons[:_saved_plan.MAX_LISTED_REASONS])
    assert "and 30 more" in refused.msg and refused.facts["refusals"] == reasons


def test_a_plan_from_the_future_is_refused_with_a_max_age_only() -> None:
    plan = _saved_plan.build_saved_plan("create", "ops", {"n1": {"exists": False}}, {"n1": "http://n1"}, NOW + 3600)
    assert _saved_plan.refusals_before_read(plan, "create", "ops", {"n1": "http://n1"}, NOW) == []
    assert "in the future" in _saved_plan.refusals_before_read(plan, "create", "ops", {"n1": "http://n1"}, NOW, 600)[0]


@pytest.mark.parametrize("saved_plan, given, max_age, expected", [
    ("", {}, "", []),
    ("/tmp/p.json", {"plan": True}, "", []),
    ({"kind": "x"}, {}, "60", []),
    ("", {"plan": True}, "", ["plan is empty"]),
    ({}, {}, "", ["plan is empty"]),
    ([], {}, "", ["plan is empty"]),
    (None, {}, "", ["plan is empty"]),
    (False, {}, "", ["plan is empty"]),
    ("", {"plan_max_age": True}, "", ["plan_max_age limits"]),
    ("", {}, "60", ["plan_max_age limits"]),
])
def test_plan_arguments_that_would_run_without_the_plan_are_refused(saved_plan: object, given: dict[str, bool],
                                                                    max_age: object, expected: list[str]) -> None:
    errors = _saved_plan.saved_plan_argument_errors(saved_plan, given.get("plan", False), max_age, given.get("plan_max_age", False))
    assert len(errors) == len(expected) and all(word in error for word, error in zip(expected, errors)), errors
