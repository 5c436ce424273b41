"""Each node's own connection settings on the cluster-wide path (issue 29): real ansible-playbook, nodes over HTTP.

27 nodes (above the `auto` switch at 26) on the prefix layout: every node behind ONE origin, so a pooled connection
or Session that carried one node's token would show it at another node. The simulator logs the Authorization header
each node received; every test asserts it per node, and the group state read from the simulator.
"""
from __future__ import annotations

import json
import os
import random
import secrets
import typing as t
from dataclasses import dataclass, field

import pytest

from conftest import PlaybookCluster
from simulator import Fault, FaultKind

GROUP = "ops"
NODE_COUNT = 27
NAMES = ["node%d" % index for index in range(1, NODE_COUNT + 1)]
# where a host's token comes from: its own cluster_api_token, its own group_transaction_api_token (over a decoy
# cluster_api_token that must never be sent), or nothing of its own (the shared CLUSTEROPS_API_TOKEN, or no token)
OWN_INVENTORY, OWN_ROLE_VARIABLE, INHERITED = "cluster_api_token", "group_transaction_api_token", "inherited"


@dataclass
class TokenLayout:
    """Which token each host's variables give, and so which Authorization each node must receive (None: none)."""

    host_vars: dict[str, dict[str, t.Any]] = field(default_factory=dict)
    expected: dict[str, str | None] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)


def token_layout(kinds: t.Mapping[str, str], shared_token: str | None) -> TokenLayout:
    layout = TokenLayout(extra_env={"CLUSTEROPS_API_TOKEN": shared_token} if shared_token else {})
    for name in NAMES:
        own = "%s-%s" % (name, secrets.token_urlsafe(12))
        kind = kinds.get(name, OWN_INVENTORY)
        if kind == OWN_INVENTORY:
            layout.host_vars[name] = {"cluster_api_token": own}
        elif kind == OWN_ROLE_VARIABLE:
            layout.host_vars[name] = {"group_transaction_api_token": own, "cluster_api_token": "decoy-" + own}
        else:
            own = shared_token  # type: ignore[assignment]
        layout.expected[name] = "Bearer %s" % own if own else None
    return layout


@pytest.fixture
def token_cluster(playbook_cluster_factory: t.Callable[..., PlaybookCluster]) -> t.Callable[..., tuple[PlaybookCluster, TokenLayout]]:
    """Factory: 27 nodes, each requiring the token its host's variables give (a node without one requires none);
    ``more_host_vars`` are added to those hosts' variables."""
    def start(kinds: t.Mapping[str, str] | None = None, shared_token: str | None = None,
              more_host_vars: t.Mapping[str, t.Mapping[str, t.Any]] | None = None) -> tuple[PlaybookCluster, TokenLayout]:
        layout = token_layout(kinds or {}, shared_token)
        host_vars = {name: dict(variables, **(more_host_vars or {}).get(name, {})) for name, variables in layout.host_vars.items()}
        cluster = playbook_cluster_factory(NODE_COUNT, GROUP, host_vars=host_vars, extra_env=layout.extra_env, layout="prefix")
        for name, authorization in layout.expected.items():
            cluster.simulator.nodes[name].token = authorization.split(" ", 1)[1] if authorization else None
        return cluster, layout
    return start


def received_authorizations(cluster: PlaybookCluster) -> dict[str, set[str | None]]:
    return {name: {entry.authorization for entry in log} for name, log in cluster.simulator.logs().items()}


def assert_each_node_received_only_its_own_token(cluster: PlaybookCluster, layout: TokenLayout) -> None:
    """Every node was called, and only ever with its own Authorization (never another node's token)."""
    assert received_authorizations(cluster) == {name: {layout.expected[name]} for name in NAMES}
    cluster.simulator.clear_logs()


def run_ok(cluster: PlaybookCluster, playbook: str, **extra_vars: t.Any) -> t.Any:
    run = cluster.run(playbook, extra_vars=extra_vars)
    assert run.rc == 0, run.describe()
    return run


MIXED = dict({name: OWN_INVENTORY for name in NAMES}, node2=OWN_ROLE_VARIABLE, node5=INHERITED, node26=OWN_ROLE_VARIABLE,
             node27=INHERITED)


@pytest.mark.matrix
def test_every_cluster_wide_entry_point_sends_each_node_only_its_own_token(token_cluster: t.Callable[..., t.Any]) -> None:
    cluster, layout = token_cluster(MIXED, shared_token="shared-" + secrets.token_urlsafe(12))
    create = run_ok(cluster, "create_group.yml")
    assert create.result["outcome"] == "success" and set(create.recap) == {"node1"}, create.describe()  # one task: cluster-wide
    assert cluster.holders() == set(NAMES)
    assert_each_node_received_only_its_own_token(cluster, layout)
    status = run_ok(cluster, "group_status.yml")
    assert status.result["outcome"] == "present", status.describe()
    assert_each_node_received_only_its_own_token(cluster, layout)
    plan = run_ok(cluster, "plan_group.yml", operation="delete")
    assert plan.custom_stats["clusterops_groups_plan"]["changes"] == NODE_COUNT, plan.describe()  # a delete on every node
    assert_each_node_received_only_its_own_token(cluster, layout)
    delete = run_ok(cluster, "delete_group.yml")
    assert delete.result["outcome"] == "success" and cluster.holders() == set(), delete.describe()
    assert_each_node_received_only_its_own_token(cluster, layout)


def test_the_cluster_wide_rollback_and_finish_send_each_node_only_its_own_token(token_cluster: t.Callable[..., t.Any]) -> None:
    cluster, layout = token_cluster(MIXED, shared_token="shared-" + secrets.token_urlsafe(12))
    cluster.simulator.nodes["node1"].add_fault(Fault(FaultKind.OUTAGE, method="POST"))
    cluster.simulator.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE, method="DELETE"))
    create = cluster.run("create_group.yml")
    assert create.rc != 0 and create.result["outcome"] == "rollback_incomplete", create.describe()
    assert cluster.holders() == {"node2"}
    assert_each_node_received_only_its_own_token(cluster, layout)
    cluster.simulator.clear_faults()
    finish = cluster.run("finish_rollback.yml", extra_vars={"run_id": create.result["run_id"], "group_transaction_fast_path": True})
    assert finish.rc == 0 and finish.result["outcome"] == "finished", finish.describe()
    assert cluster.holders() == set()
    received = received_authorizations(cluster)
    assert received["node2"] == {layout.expected["node2"]}
    assert all(received[name] == {layout.expected[name]} for name in NAMES if received[name]), received


@pytest.mark.parametrize("seed", [29, 2029])
def test_random_mixes_of_own_shared_and_no_tokens(token_cluster: t.Callable[..., t.Any], seed: int) -> None:
    chooser = random.Random(seed)
    kinds = {name: chooser.choice([OWN_INVENTORY, OWN_ROLE_VARIABLE, INHERITED]) for name in NAMES}
    shared_token = chooser.choice([None, "shared-%d-%s" % (seed, secrets.token_urlsafe(8))])
    cluster, layout = token_cluster(kinds, shared_token=shared_token)
    run_ok(cluster, "create_group.yml")
    assert cluster.holders() == set(NAMES)
    assert_each_node_received_only_its_own_token(cluster, layout)
    run_ok(cluster, "delete_group.yml")
    assert cluster.holders() == set()
    assert_each_node_received_only_its_own_token(cluster, layout)


# each bad value on its own host; every host must be named in one refusal
BAD_HOST_VARS = {"node3": {"cluster_timeout": "soon"}, "node8": {"cluster_retries": 1000},
                 "node13": {"cluster_api_token": "two words"}, "node21": {"group_transaction_timeout": -1}}


@pytest.mark.parametrize("playbook, extra_vars", [
    ("create_group.yml", {}), ("delete_group.yml", {}), ("group_status.yml", {}), ("plan_group.yml", {"operation": "create"}),
    # the per-host path: checked in the playbooks' first play, before any node's own task writes
    ("create_group.yml", {"group_transaction_fast_path": False}), ("delete_group.yml", {"group_transaction_fast_path": False}),
], ids=["create", "delete", "status", "plan", "create-per-host", "delete-per-host"])
def test_a_bad_setting_on_some_hosts_is_refused_before_any_request_naming_each(
        token_cluster: t.Callable[..., t.Any], playbook: str, extra_vars: dict[str, t.Any]) -> None:
    cluster, layout = token_cluster(more_host_vars=BAD_HOST_VARS)
    run = cluster.run(playbook, extra_vars=extra_vars)
    assert run.rc != 0, run.describe()
    assert cluster.simulator.requests_per_node() == {name: 0 for name in NAMES}, run.describe()
    refusal = next(line for line in run.stdout.splitlines() if "connection settings refused for 4 nodes" in line)
    for host, variables in BAD_HOST_VARS.items():
        assert "node %s: " % host in refusal and next(iter(variables)).split("_", 1)[1].replace("transaction_", "") in refusal
    assert not any(token.split(" ", 1)[1] in run.stdout + run.stderr for token in layout.expected.values() if token)


def role_playbook(directory: t.Any, play_vars: t.Mapping[str, t.Any]) -> str:
    """A play of our own with the role (entry point main) on the cluster-wide path, and ``play_vars`` as play vars."""
    play = {"name": "The role with connection variables set for the play", "hosts": "cluster", "gather_facts": False,
            "connection": "local",
            "vars": dict({"ansible_python_interpreter": "{{ ansible_playbook_python }}"}, **play_vars),
            "tasks": [{"name": "Create the group", "ansible.builtin.include_role": {"name": "clusterops.groups.group_transaction"},
                       "vars": {"group_transaction_group": GROUP, "group_transaction_state": "present",
                                "group_transaction_fast_path": True}}]}
    path = os.path.join(str(directory), "play_level.yml")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump([play], handle)
    return path


def test_a_constant_set_for_the_play_applies_to_every_node_over_each_host_s_own(
        token_cluster: t.Callable[..., t.Any], tmp_path: t.Any) -> None:
    cluster, layout = token_cluster(MIXED, shared_token="shared-" + secrets.token_urlsafe(12))
    # one 500 on node5's create: each host's cluster_retries (2) would retry it, the play's 0 does not
    cluster.simulator.nodes["node5"].add_fault(Fault(FaultKind.ERROR_500_BEFORE_WRITE, method="POST"))
    run = cluster.run(role_playbook(tmp_path, {"group_transaction_retries": 0}))
    assert run.rc != 0 and run.result["outcome"] == "rolled_back", run.describe()
    assert cluster.holders() == set()
    assert_each_node_received_only_its_own_token(cluster, layout)


def test_a_template_set_for_the_play_is_refused_before_any_request(token_cluster: t.Callable[..., t.Any], tmp_path: t.Any) -> None:
    cluster, _layout = token_cluster()
    run = cluster.run(role_playbook(tmp_path, {"group_transaction_api_token": "{{ cluster_api_token }}"}))
    assert run.rc != 0 and "group_transaction_api_token is set for the play" in run.stdout, run.describe()
    assert cluster.simulator.requests_per_node() == {name: 0 for name in NAMES}
