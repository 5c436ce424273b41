"""Other writers and stale reads: a rollback never undoes what this run did not do (issue 13), over real HTTP.

A node's first read may be stale, or another client may write the same group between our read and our write.
Then our write is refused ("already exists" / 404) and the node is as asked: that state is the node's own.
The rule: a refused write counts as ours only when an earlier write of ours to that node was ambiguous.
Node state is read from the simulator; every case runs on the per-host module and the fast path engine.
"""
from __future__ import annotations

import random
import typing as t

import pytest

from module_runner import run_module
from playbook_runner import run_playbook, write_inventory
from simulator import PROFILES, Fault, FaultKind

GROUP = "shared-team"
DESIRED = {"present": True, "absent": False}
OPERATION = {"present": "create", "absent": "delete"}
WRITE = {"present": "POST", "absent": "DELETE"}
OWNERSHIP_FAULTS = (FaultKind.STALE_READ, FaultKind.SECOND_WRITER)


def prior_for(kind: FaultKind, state: str) -> bool:
    """A stale read hides the desired state that is really there; a second writer makes it so meanwhile."""
    return DESIRED[state] if kind is FaultKind.STALE_READ else not DESIRED[state]


def in_the_window(state: str, profile: str) -> bool:
    """The documented window no client can close: a node that answers 200 to a DELETE of an absent group
    makes the refusal invisible, so the delete looks like ours (docs/transaction.md, "Other writers")."""
    return state == "absent" and PROFILES[profile].delete_absent_status == 200


def writes(node: t.Any) -> list[str]:
    return [entry.method for entry in node.log if entry.method in ("POST", "DELETE")]


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("state", ["present", "absent"])
@pytest.mark.parametrize("kind", OWNERSHIP_FAULTS, ids=str)
def test_module_reports_a_refused_write_as_not_ours(simulated_cluster, profile: str, state: str, kind: FaultKind) -> None:
    node = simulated_cluster(node_count=1, profiles=profile).nodes["node1"]
    node.groups = {GROUP} if prior_for(kind, state) else set()
    node.add_fault(Fault(kind))
    failed, result = run_module("group", {"name": GROUP, "state": state, "api_url": node.url, "retries": 2})
    if in_the_window(state, profile):
        assert not failed and result["changed"] is True
        return
    assert not failed, result["msg"]
    assert (GROUP in node.groups) is DESIRED[state]
    assert result["changed"] is False and result["action"] == "none", result
    assert result["existed_before"] is DESIRED[state] and result["write_may_have_landed"] is False
    assert result["write_attempted"] is True and writes(node) == [WRITE[state]]
    assert "not this run's change" in result["msg"]


@pytest.mark.parametrize("state", ["present", "absent"])
@pytest.mark.parametrize("ambiguous", [FaultKind.ERROR_500_BEFORE_WRITE, FaultKind.RESET], ids=str)
def test_refusal_after_an_ambiguous_write_of_ours_counts_as_ours(simulated_cluster, state: str, ambiguous: FaultKind) -> None:
    """The other side of the rule: our first write may have landed, so the refused retry proves nothing."""
    node = simulated_cluster(node_count=1).nodes["node1"]
    node.groups = set() if DESIRED[state] else {GROUP}
    node.add_fault(Fault(ambiguous, method=WRITE[state]))
    node.add_fault(Fault(FaultKind.SECOND_WRITER))
    failed, result = run_module("group", {"name": GROUP, "state": state, "api_url": node.url, "retries": 3})
    assert not failed, result["msg"]
    assert result["changed"] is True and result["write_may_have_landed"] is True
    assert result["existed_before"] is (not DESIRED[state])


def random_cluster_plan(rng: random.Random, state: str, node_count: int) -> dict[str, dict[str, t.Any]]:
    """Per node: prior state and an ownership fault (or none); one node always fails for good (a rollback runs)."""
    plan: dict[str, dict[str, t.Any]] = {}
    names = ["node%d" % number for number in range(1, node_count + 1)]
    failing = rng.choice(names)
    for name in names:
        kind = rng.choice(OWNERSHIP_FAULTS + (None,)) if name != failing else None
        if kind is not None:
            prior = prior_for(kind, state)
        else:
            prior = not DESIRED[state] if name == failing else rng.random() < 0.3
        profiles = [profile for profile in sorted(PROFILES) if kind is None or not in_the_window(state, profile)]
        plan[name] = {"prior": prior, "kind": kind, "fails": name == failing, "profile": rng.choice(profiles)}
    return plan


def install(simulator: t.Any, plan: dict[str, dict[str, t.Any]], state: str) -> None:
    for name, spec in plan.items():
        node = simulator.nodes[name]
        node.profile = PROFILES[spec["profile"]]
        node.groups = {GROUP} if spec["prior"] else set()
        if spec["kind"] is not None:
            node.add_fault(Fault(spec["kind"]))
        if spec["fails"]:
            node.add_fault(Fault(FaultKind.OUTAGE, method=WRITE[state]))


def assert_nothing_of_theirs_undone(simulator: t.Any, plan: dict[str, dict[str, t.Any]], state: str,
                                    account: t.Mapping[str, t.Any]) -> None:
    for name, spec in plan.items():
        holds = GROUP in simulator.nodes[name].groups
        if spec["kind"] is not None:
            # the group is the other writer's (or was always there): the rollback must leave it as asked
            assert holds is DESIRED[state], (name, spec, account["nodes"][name])
            assert account["nodes"][name]["rollback"] == "not_needed", (name, account["nodes"][name])
        else:
            assert holds is spec["prior"], (name, spec, account["nodes"][name])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("state", ["present", "absent"])
def test_fast_path_rollback_keeps_other_writers_groups(simulated_cluster, tmp_path, seed: int, state: str) -> None:
    rng = random.Random("fast:%s:%s" % (seed, state))
    plan = random_cluster_plan(rng, state, rng.randint(3, 7))
    simulator = simulated_cluster(node_count=len(plan))
    install(simulator, plan, state)
    nodes = [{"name": name, "api_url": url} for name, url in simulator.urls().items()]
    failed, result = run_module("cluster_group", {"nodes": nodes, "name": GROUP, "state": state, "retries": 1,
                                                  "record_dir": str(tmp_path), "run_id": "r%d" % seed})
    assert failed and result["result"]["outcome"] in ("rolled_back", "failed"), result["msg"]
    assert_nothing_of_theirs_undone(simulator, plan, state, result["result"])


@pytest.mark.playbook
@pytest.mark.parametrize("fast_path", [False, True], ids=["per-host", "fast-path"])
@pytest.mark.parametrize("state", ["present", "absent"])
def test_playbook_rollback_keeps_other_writers_groups(simulated_cluster, tmp_path, fast_path: bool, state: str) -> None:
    """A stale read on node1, a second writer on node2, node3 fails: the rollback undoes only node4's change."""
    plan = {
        "node1": {"prior": prior_for(FaultKind.STALE_READ, state), "kind": FaultKind.STALE_READ, "fails": False, "profile": "default"},
        "node2": {"prior": prior_for(FaultKind.SECOND_WRITER, state), "kind": FaultKind.SECOND_WRITER, "fails": False,
                  "profile": "default"},
        "node3": {"prior": not DESIRED[state], "kind": None, "fails": True, "profile": "default"},
        "node4": {"prior": not DESIRED[state], "kind": None, "fails": False, "profile": "no_trailing_slash"},
    }
    simulator = simulated_cluster(node_count=4)
    install(simulator, plan, state)
    playbook = "create_group.yml" if state == "present" else "delete_group.yml"
    run = run_playbook(playbook, write_inventory(tmp_path, simulator.urls()), tmp_path / "records",
                       extra_vars={"group": GROUP, "group_transaction_fast_path": fast_path})
    assert run.rc != 0, run.describe()
    assert run.result["outcome"] == "rolled_back", run.describe()
    assert_nothing_of_theirs_undone(simulator, plan, state, run.result)
    assert run.result["nodes"]["node4"]["rollback"] == "restored"
    for name in ("node1", "node2"):
        assert run.result["nodes"][name]["result"] == "ok" and run.result["nodes"][name]["before"] == (
            "present" if DESIRED[state] else "absent"), run.result["nodes"][name]
