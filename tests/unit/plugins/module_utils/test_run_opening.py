"""Opening a run (_run_opening): a used run id and a group with an unfinished run are refused; an opened run that
wrote nothing is discarded again; only the runs that may have left changes count as unfinished."""
from __future__ import annotations

import os

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._run_opening import (
    RUNNING, RunNotOpened, discard_if_untouched, open_run, opened_run, unfinished_runs,
)
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import RunRecord


def finish(run_id: str) -> str:
    return "finish %s" % run_id


def record_with_node(record_dir: str, run_id: str, group: str = "ops", outcome: str | None = None) -> RunRecord:
    record = RunRecord(record_dir, run_id)
    record.record_node_intent("node1", "http://node1", group, "create", False)
    if outcome is not None:
        record.record_run_outcome({"outcome": outcome, "group": group})
    return record


def test_open_writes_running_with_the_finish_command(tmp_path) -> None:
    record = RunRecord(str(tmp_path), "r1")
    opened = open_run(record, "ops", "create", finish)
    assert record.load_run() is not None and record.load_run()["outcome"] == RUNNING
    assert opened["finish_command"] == "finish r1" and record.load_run()["group"] == "ops"


@pytest.mark.parametrize("outcome", [None, "success", "rolled_back", "rollback_incomplete", "finished"])
def test_a_run_id_with_any_record_is_refused(tmp_path, outcome: str | None) -> None:
    record_with_node(str(tmp_path), "CHG-1", outcome=outcome)
    with pytest.raises(RunNotOpened, match="run id CHG-1 already has a record"):
        open_run(RunRecord(str(tmp_path), "CHG-1"), "ops", "delete", finish)


@pytest.mark.parametrize("outcome, unfinished", [(None, True), ("running", True), ("rollback_incomplete", True),
                                                 ("success", False), ("rolled_back", False), ("failed", False),
                                                 ("finished", False)])
def test_only_runs_that_may_have_left_changes_block_their_group(tmp_path, outcome: str | None, unfinished: bool) -> None:
    record_with_node(str(tmp_path), "old", outcome=outcome)
    record_with_node(str(tmp_path), "other-group", group="else", outcome="rollback_incomplete")
    assert bool(unfinished_runs(str(tmp_path), "ops")) is unfinished
    new = RunRecord(str(tmp_path), "new")
    if unfinished:
        with pytest.raises(RunNotOpened, match="finish old"):
            open_run(new, "ops", "create", finish)
    open_run(new, "ops", "create", finish, allow_unfinished=unfinished)
    assert new.load_run()["outcome"] == RUNNING


def test_a_run_that_ends_before_its_first_write_leaves_nothing(tmp_path) -> None:
    record = RunRecord(str(tmp_path), "r2")
    with pytest.raises(ValueError):
        with opened_run(record, "ops", "create", finish):
            raise ValueError("refused after the lock, before any write")
    assert not os.path.exists(record.run_dir)
    assert unfinished_runs(str(tmp_path), "ops") == []


def test_a_run_that_wrote_is_kept_when_interrupted(tmp_path) -> None:
    record = RunRecord(str(tmp_path), "r3")
    with pytest.raises(KeyboardInterrupt):
        with opened_run(record, "ops", "create", finish):
            record.record_node_intent("node1", "http://node1", "ops", "create", False)
            raise KeyboardInterrupt
    assert not discard_if_untouched(record)
    assert unfinished_runs(str(tmp_path), "ops") == [("r3", RUNNING)]
