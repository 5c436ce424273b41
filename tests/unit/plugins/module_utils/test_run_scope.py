"""Run scope: the refusals before any request when a run does not cover the whole cluster."""
from __future__ import annotations

import typing as t

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._run_scope import run_scope_errors

CLUSTER = ["node1", "node2", "node3"]


def scope(**overrides: t.Any) -> dict[str, t.Any]:
    return dict({"operation": "create", "cluster": "cluster", "members": CLUSTER, "play_hosts": CLUSTER, "limit": "",
                 "allow_partial": False, "slice_count": 1, "slice_number": 0, "stray_words": ""}, **overrides)


def test_a_run_over_the_whole_cluster_goes_on() -> None:
    assert run_scope_errors(scope()) == []
    assert run_scope_errors(scope(play_hosts=["localhost"] + CLUSTER + ["other"])) == []  # the preflight play: all:localhost


@pytest.mark.parametrize("overrides, expected", [
    pytest.param({"play_hosts": ["node1"], "limit": "node1"}, "covers 1 of the 3 hosts", id="limit"),
    pytest.param({"play_hosts": ["node1", "node2"]}, "the play's hosts pattern leaves out node3", id="narrow-pattern"),
    pytest.param({"members": [], "play_hosts": ["localhost"]}, "has no hosts", id="empty-cluster"),
    pytest.param({"stray_words": "name!"}, "not key=value ('name!')", id="stray-words"),
    pytest.param({"slice_count": "3", "slice_number": 2}, "slice 2 of 3", id="awx-slice"),
    pytest.param({"operation": "finish_rollback", "limit": "node1", "play_hosts": ["localhost"]}, "could skip some", id="finish-limit"),
    pytest.param({"operation": "finish_rollback", "limit": "node1", "play_hosts": ["node1"], "allow_partial": True},
                 "leaves out localhost", id="finish-without-localhost"),
])
def test_each_refusal_is_one_line(overrides: dict[str, t.Any], expected: str) -> None:
    errors = run_scope_errors(scope(**overrides))
    assert len(errors) == 1 and expected in errors[0] and "\n" not in errors[0], errors


def test_the_opt_in_allows_a_subset_and_status_reads_one_anyway() -> None:
    assert run_scope_errors(scope(play_hosts=["node1"], limit="node1", allow_partial=True)) == []
    assert run_scope_errors(scope(operation="status", play_hosts=["node1"], limit="node1")) == []
    assert run_scope_errors(scope(operation="status", members=[], play_hosts=["localhost"])) != []


@pytest.mark.parametrize("expected_count, refused", [(3, False), ("3", False), (4, True), ("", False), (None, False)])
def test_cluster_node_count_catches_a_filtered_inventory(expected_count: object, refused: bool) -> None:
    errors = run_scope_errors(scope(), expected_count)
    assert bool(errors) is refused and all("cluster_node_count says 4" in error for error in errors)
