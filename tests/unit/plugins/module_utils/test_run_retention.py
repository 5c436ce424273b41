"""Run record retention: only settled runs beyond the newest N go; nothing that may still need finishing ever does."""
from __future__ import annotations

import json
import os
import random

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._run_record import (
    PRUNABLE_OUTCOMES, RunRecord, list_runs, prune_runs)

# What a record directory can hold besides settled runs: each must survive any retention.
UNSETTLED_KINDS = ("rollback_incomplete", "no_run_file", "damaged_run_file", "unknown_outcome", "not_an_object")


def make_run(root, run_id: str, kind: str, age_seconds: float) -> None:
    """A run directory of ``kind`` (a PRUNABLE outcome or an UNSETTLED kind), last changed ``age_seconds`` ago."""
    record = RunRecord(str(root), run_id)
    record.record_node_intent("node1", "http://node1", "g", "present", False)
    run_file = os.path.join(record.run_dir, "run.json")
    if kind in PRUNABLE_OUTCOMES or kind in ("rollback_incomplete", "unknown_outcome"):
        record.record_run_outcome({"outcome": kind if kind != "unknown_outcome" else "later", "group": "g"})
    elif kind == "damaged_run_file":
        with open(run_file, "w", encoding="utf-8") as handle:
            handle.write('{"outcome": "succ')
    elif kind == "not_an_object":
        with open(run_file, "w", encoding="utf-8") as handle:
            json.dump(["success"], handle)
    stamp = 1_700_000_000 - age_seconds
    for path in (record.run_dir, os.path.join(record.run_dir, "nodes"), run_file):
        if os.path.exists(path):
            os.utime(path, (stamp, stamp))


@pytest.mark.parametrize("seed", range(12))
def test_retention_keeps_the_newest_settled_runs_and_every_unsettled_one(tmp_path, seed: int) -> None:
    rng = random.Random(seed)
    kinds = {}
    ages = rng.sample(range(1, 10_000), 30)
    for index, age in enumerate(ages):
        # run ids deliberately not in time order: retention goes by the last change, not the name
        run_id = "%s-%02d" % (rng.choice(["a", "z", "20261207T000000Z"]), index)
        kinds[run_id] = (rng.choice(PRUNABLE_OUTCOMES + UNSETTLED_KINDS), age)
        make_run(tmp_path, run_id, *kinds[run_id])
    current = rng.choice(sorted(kinds))
    keep = rng.randint(1, 12)

    removed = prune_runs(str(tmp_path), keep, current_run_id=current)

    left = set(list_runs(str(tmp_path)))
    assert left | set(removed) == set(kinds) and not left & set(removed)
    # the current run, when settled, is one of the kept; an unsettled one is kept on top of them
    settled = [entry[2] for entry in sorted((run_id != current, age, run_id) for run_id, (kind, age) in kinds.items()
                                            if kind in PRUNABLE_OUTCOMES)]
    assert set(removed) == set(settled[keep:])
    assert len([run_id for run_id in settled if run_id in left]) == min(keep, len(settled))
    assert current in left
    assert all(run_id in left for run_id, (kind, age) in kinds.items() if kind in UNSETTLED_KINDS)


def test_zero_keeps_everything_and_a_missing_directory_is_empty(tmp_path) -> None:
    for index in range(3):
        make_run(tmp_path, "r%d" % index, "success", index)
    assert prune_runs(str(tmp_path), 0) == [] and len(list_runs(str(tmp_path))) == 3
    assert prune_runs(str(tmp_path / "absent"), 5) == []


def test_a_symlinked_run_and_other_files_are_left_alone(tmp_path) -> None:
    outside = tmp_path / "outside"
    make_run(outside, "linked", "success", 500)
    records = tmp_path / "records"
    make_run(records, "old", "success", 400)
    make_run(records, "new", "success", 1)
    os.symlink(outside / "linked", records / "linked")
    (records / ".lock-g.json").write_text("{}")
    assert prune_runs(str(records), 1) == ["old"]
    assert (outside / "linked" / "run.json").exists() and (records / ".lock-g.json").exists()


def test_a_reused_run_id_being_written_counts_as_new(tmp_path) -> None:
    make_run(tmp_path, "reused", "success", 900)
    make_run(tmp_path, "recent", "success", 10)
    RunRecord(str(tmp_path), "reused").record_node_intent("node2", "http://node2", "g", "present", False)  # now
    assert prune_runs(str(tmp_path), 1) == ["recent"]
