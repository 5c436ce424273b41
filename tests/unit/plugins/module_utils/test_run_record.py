"""The durable run record: layout, atomic private files, prior state kept, no secrets."""
from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput, RunRecordError
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import RunRecord, list_runs


def test_intent_then_outcome_layout_and_permissions(tmp_path) -> None:
    record = RunRecord(str(tmp_path), "run-1")
    record.record_node_intent("node1", "https://user:pw@node1:8443/p", "g", "present", False)
    path = tmp_path / "run-1" / "nodes" / "node1.json"
    data = json.loads(path.read_text())
    assert data["node"] == "node1" and data["existed_before"] is False and data["phase"] == "intent"
    assert data["api_url"] == "https://node1:8443/p"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "run-1").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "run-1" / "nodes").stat().st_mode) == 0o700
    record.record_node_outcome("node1", {"changed": True, "exists": True, "api_token": "SECRET", "invocation": {"x": "SECRET"}})
    data = json.loads(path.read_text())
    assert data["phase"] == "outcome" and data["outcome"] == {"changed": True, "exists": True}
    assert "SECRET" not in path.read_text() and "pw" not in path.read_text()
    assert [step["phase"] for step in data["steps"]] == ["intent", "outcome"]
    assert [name for name in os.listdir(path.parent) if name.startswith(".tmp")] == []


def test_later_intent_of_the_same_run_keeps_the_prior_state(tmp_path) -> None:
    record = RunRecord(str(tmp_path), "r")
    record.record_node_intent("node1", "http://n", "g", "present", False)
    record.record_node_intent("node1", "http://n", "g", "absent", True)  # e.g. the rollback
    node = record.load()["nodes"]["node1"]
    assert node["existed_before"] is False and node["operation"] == "present"
    assert [step["existed_before"] for step in node["steps"]] == [False, True]


def test_load_and_list_runs(tmp_path) -> None:
    assert list_runs(str(tmp_path / "missing")) == []
    record = RunRecord(str(tmp_path), "r2")
    assert record.load() == {"run_id": "r2", "run": None, "nodes": {}}
    record.record_node_intent("web/1:a", "http://n", "g", "present", True)
    record.record_run_outcome({"outcome": "success", "api_token": "SECRET"})
    RunRecord(str(tmp_path), "r1").record_node_intent("n", "http://n", "g", "absent", True)
    loaded = record.load()
    assert list(loaded["nodes"]) == ["web/1:a"]
    assert loaded["run"]["outcome"] == "success" and "api_token" not in loaded["run"]
    assert list_runs(str(tmp_path)) == ["r1", "r2"]


@pytest.mark.parametrize("run_id", ["", ".", "..", "a/b", "x" * 129, 5, None, "a b"])
def test_invalid_run_ids(tmp_path, run_id: object) -> None:
    with pytest.raises(InvalidInput, match="run_id"):
        RunRecord(str(tmp_path), run_id)  # type: ignore[arg-type]


@pytest.mark.parametrize("node", ["", "x" * 201, None])
def test_invalid_node_names(tmp_path, node: object) -> None:
    with pytest.raises(InvalidInput, match="node"):
        RunRecord(str(tmp_path), "r").record_node_intent(node, "http://n", "g", "present", False)  # type: ignore[arg-type]


def test_unwritable_directory_is_a_run_record_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    # a file where the record directory should be is refused before anything is written under it
    with pytest.raises(RunRecordError, match="it is not a directory"):
        RunRecord(str(blocker), "r").record_node_intent("n", "http://n", "g", "present", False)


def test_corrupt_node_file_is_reported(tmp_path) -> None:
    record = RunRecord(str(tmp_path), "r")
    record.record_node_intent("n", "http://n", "g", "present", False)
    (tmp_path / "r" / "nodes" / "n.json").write_text("{not json")
    with pytest.raises(RunRecordError, match="cannot read run record"):
        record.load()


@pytest.mark.parametrize("landed", [False, True])
def test_the_runs_own_outcome_records_whether_a_write_may_have_landed(tmp_path, landed: bool) -> None:
    record = RunRecord(str(tmp_path), "r")
    record.record_node_intent("node1", "http://n", "g", "create", False)
    record.record_node_outcome("node1", {"changed": landed, "exists": True, "write_may_have_landed": landed})
    assert record.load_node("node1")["write_may_have_landed"] is landed
    record.record_node_intent("node1", "http://n", "g", "delete", True)  # a rollback step does not rewrite it
    record.record_node_outcome("node1", {"changed": True, "exists": False, "write_may_have_landed": not landed})
    assert record.load_node("node1")["write_may_have_landed"] is landed
