"""The record is trusted only when it is ours (issue 29): real ansible-playbook over real HTTP, node state read from the
simulators. An untrusted record directory, run file or lock guard, and a record that names another server or another
group, are refused before any request: every simulator's log stays empty and no node changes.
"""
from __future__ import annotations

import json
import os
import typing as t

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._cluster_transaction import (
    finish_cluster_transaction, run_cluster_transaction,
)
from ansible_collections.clusterops.groups.plugins.module_utils._record_trust import UntrustedRecordPath
from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import RunRecord

pytestmark = pytest.mark.playbook

PATHS = [pytest.param({}, id="per-host"), pytest.param({"group_transaction_fast_path": True}, id="fast-path")]
KILLED_RUN = "killed-run"
# the owner of a planted file: nobody when the tests run as root; without root only the modes and symlinks are tried
OTHER_UID = 65534
NEEDS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


def killed_run(playbook_cluster: t.Any) -> RunRecord:
    """A run that created the group on node1 and node2 and was killed before its rollback (what a finish repairs)."""
    record = RunRecord(playbook_cluster.record_dir, KILLED_RUN)
    for name in ("node1", "node2"):
        record.record_node_intent(name, playbook_cluster.simulator.urls()[name], playbook_cluster.group, "create", False)
        playbook_cluster.simulator.nodes[name].groups.add(playbook_cluster.group)
    return record


def tamper(record: RunRecord, node: str, **fields: t.Any) -> None:
    """Rewrite ``node``'s file as another hand would (same owner and mode: only the content says it)."""
    path = record.node_path(node)
    with open(path, encoding="utf-8") as handle:
        entry = json.load(handle)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(dict(entry, **fields), handle)


def assert_nothing_sent(playbook_cluster: t.Any, holders: set[str], *others: t.Any) -> None:
    assert playbook_cluster.requests() == 0, playbook_cluster.simulator.requests_per_node()
    for other in others:
        assert sum(other.requests_per_node().values()) == 0, "the server a record named was called"
    assert playbook_cluster.holders() == holders


def prepared_record_dir(playbook_cluster: t.Any, mode: int, owner: int | None = None) -> str:
    os.makedirs(playbook_cluster.record_dir)
    os.chmod(playbook_cluster.record_dir, mode)
    if owner is not None:
        os.chown(playbook_cluster.record_dir, owner, -1)
    return playbook_cluster.record_dir


# ---- the record directory of a create ----

UNTRUSTED_DIRS = [
    pytest.param(0o777, None, "others can write it (mode 0777)", id="world-writable"),
    pytest.param(0o775, None, "its group can write it (mode 0775)", id="group-writable"),
    pytest.param(0o700, OTHER_UID, "it is owned by uid %d" % OTHER_UID, id="other-owner", marks=NEEDS_ROOT),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("mode, owner, words", UNTRUSTED_DIRS)
def test_create_refuses_an_untrusted_record_dir(playbook_cluster: t.Any, path: dict[str, t.Any], mode: int,
                                                owner: int | None, words: str) -> None:
    record_dir = prepared_record_dir(playbook_cluster, mode, owner)
    run = playbook_cluster.run("create_group.yml", extra_vars=path)
    assert run.rc != 0, run.describe()
    assert "refusing run record path %s: %s" % (record_dir, words) in run.stdout, run.describe()
    assert_nothing_sent(playbook_cluster, set())
    assert os.listdir(record_dir) == [], "nothing written into a directory that is not ours"


@pytest.mark.parametrize("path", PATHS)
def test_a_shared_record_dir_is_accepted_when_the_operator_says_so(playbook_cluster: t.Any, path: dict[str, t.Any]) -> None:
    prepared_record_dir(playbook_cluster, 0o770)
    run = playbook_cluster.run("create_group.yml", extra_vars=dict(path, group_transaction_record_dir_shared=True))
    assert run.rc == 0, run.describe()
    assert playbook_cluster.holders() == {"node1", "node2", "node3"}


def test_a_symlinked_lock_guard_is_refused_and_its_target_never_created(playbook_cluster: t.Any, tmp_path: t.Any) -> None:
    record_dir = prepared_record_dir(playbook_cluster, 0o700)
    target = tmp_path / "created-by-the-run"
    os.symlink(target, os.path.join(record_dir, ".lock-%s.json.guard" % playbook_cluster.group))
    run = playbook_cluster.run("create_group.yml")
    assert run.rc != 0, run.describe()
    assert "it is a symlink" in run.stdout, run.describe()
    assert not target.exists()
    assert_nothing_sent(playbook_cluster, set())


# ---- the finish ----

@pytest.mark.matrix
@pytest.mark.parametrize("path", PATHS)
def test_finish_refuses_a_record_that_names_another_server(playbook_cluster: t.Any,
                                                           simulated_cluster: t.Callable[..., t.Any],
                                                           path: dict[str, t.Any]) -> None:
    """The attack of issue 29: node1's file now sends node1's token and the delete to another user's server."""
    attacker = simulated_cluster(node_count=1)
    tamper(killed_run(playbook_cluster), "node1", api_url=attacker.urls()["node1"])
    playbook_cluster.simulator.clear_logs()
    run = playbook_cluster.run("finish_rollback.yml", extra_vars=dict(path, run_id=KILLED_RUN))
    assert run.rc != 0, run.describe()
    assert "node node1: the record names %s, the inventory %s" % (
        attacker.urls()["node1"], playbook_cluster.simulator.urls()["node1"]) in run.stdout, run.describe()
    assert_nothing_sent(playbook_cluster, {"node1", "node2"}, attacker)


@pytest.mark.parametrize("asked, recorded", [("other-team", None), (None, "other-team")], ids=["asked-other", "record-other"])
def test_finish_refuses_a_record_of_another_group(playbook_cluster: t.Any, asked: str | None, recorded: str | None) -> None:
    record = killed_run(playbook_cluster)
    if recorded:
        tamper(record, "node2", group=recorded)
    playbook_cluster.simulator.clear_logs()
    run = playbook_cluster.run("finish_rollback.yml", extra_vars=dict(run_id=KILLED_RUN, group=asked or playbook_cluster.group))
    assert run.rc != 0, run.describe()
    assert "the record of run %s is for group" % KILLED_RUN in run.stdout, run.describe()
    assert_nothing_sent(playbook_cluster, {"node1", "node2"})


@NEEDS_ROOT
@pytest.mark.parametrize("planted", ["run-dir", "node-file"])
def test_finish_refuses_run_files_of_another_user(playbook_cluster: t.Any, planted: str) -> None:
    record = killed_run(playbook_cluster)
    os.chown(record.run_dir if planted == "run-dir" else record.node_path("node1"), OTHER_UID, -1)
    playbook_cluster.simulator.clear_logs()
    run = playbook_cluster.run("finish_rollback.yml", extra_vars={"run_id": KILLED_RUN})
    assert run.rc != 0, run.describe()
    assert "owned by uid %d, not by uid 0" % OTHER_UID in run.stdout, run.describe()
    assert_nothing_sent(playbook_cluster, {"node1", "node2"})


def test_finish_refuses_a_world_writable_node_file(playbook_cluster: t.Any) -> None:
    record = killed_run(playbook_cluster)
    os.chmod(record.node_path("node1"), 0o666)
    playbook_cluster.simulator.clear_logs()
    run = playbook_cluster.run("finish_rollback.yml", extra_vars={"run_id": KILLED_RUN})
    assert run.rc != 0, run.describe()
    assert "refusing run record path %s: others can write it" % record.node_path("node1") in run.stdout, run.describe()
    assert_nothing_sent(playbook_cluster, {"node1", "node2"})


# ---- the engine (cluster_group's fast path and state=finished), without a playbook ----

def test_engine_refuses_before_any_request(playbook_cluster: t.Any, simulated_cluster: t.Callable[..., t.Any]) -> None:
    attacker = simulated_cluster(node_count=1)
    record = killed_run(playbook_cluster)
    tamper(record, "node1", api_url=attacker.urls()["node1"])
    inventory = [{"name": name, "api_url": url} for name, url in playbook_cluster.simulator.urls().items()]
    playbook_cluster.simulator.clear_logs()
    with pytest.raises(InvalidInput, match="the record names"):
        finish_cluster_transaction(record.load(), {"retries": 0}, record_dir=record.record_dir,
                                   group=playbook_cluster.group, nodes=inventory)
    os.chmod(record.run_dir, 0o757)
    with pytest.raises(UntrustedRecordPath, match="others can write it"):
        run_cluster_transaction(inventory, playbook_cluster.group, "absent", {"retries": 0}, record_dir=record.record_dir,
                                run_id=KILLED_RUN)
    assert_nothing_sent(playbook_cluster, {"node1", "node2"}, attacker)
