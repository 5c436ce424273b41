"""The record trust rule (StrictModes) over real files: owner, group/other write, symlinks, creation modes."""
from __future__ import annotations

import os
import stat
import typing as t

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils import _record_trust
from ansible_collections.clusterops.groups.plugins.module_utils._record_trust import (
    UntrustedRecordPath, check_dir, ensure_dir, open_trusted,
)
from ansible_collections.clusterops.groups.plugins.module_utils._run_lock import acquire, lock_path, release
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import RunRecord


@pytest.fixture
def another_user(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as another user than the owner of every file here (no root needed): the effective uid is patched."""
    monkeypatch.setattr(_record_trust, "effective_uid", lambda: os.geteuid() + 1)


def mode_of(path: t.Any) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.parametrize("mode, shared, words", [
    (0o777, False, "others can write it (mode 0777)"),
    (0o1777, True, "others can write it (mode 1777)"),
    (0o775, False, "its group can write it (mode 0775); run chmod g-w"),
])
def test_a_directory_others_can_write_is_refused(tmp_path: t.Any, mode: int, shared: bool, words: str) -> None:
    os.chmod(tmp_path, mode)
    with pytest.raises(UntrustedRecordPath, match=r"refusing run record path %s: .*" % tmp_path) as refused:
        check_dir(str(tmp_path), shared)
    assert words in refused.value.msg and refused.value.to_result()["error_kind"] == "record_untrusted"


@pytest.mark.parametrize("mode", [0o700, 0o755, 0o750])
def test_our_directory_is_trusted(tmp_path: t.Any, mode: int) -> None:
    os.chmod(tmp_path, mode)
    assert check_dir(str(tmp_path)) is True
    assert check_dir(str(tmp_path / "missing")) is False


def test_a_directory_of_another_user_is_refused_unless_shared(tmp_path: t.Any, another_user: None) -> None:
    os.chmod(tmp_path, 0o770)
    with pytest.raises(UntrustedRecordPath, match="it is owned by uid %d, not by uid %d" % (os.geteuid(), os.geteuid() + 1)):
        check_dir(str(tmp_path))
    assert check_dir(str(tmp_path), shared=True) is True


def test_a_symlink_is_refused_even_shared(tmp_path: t.Any) -> None:
    (tmp_path / "real").mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    for shared in (False, True):
        with pytest.raises(UntrustedRecordPath, match="it is a symlink"):
            check_dir(str(tmp_path / "link"), shared)
        with pytest.raises(UntrustedRecordPath, match="it is a symlink"):
            open_trusted(str(tmp_path / "link"), os.O_RDONLY, shared)


def test_new_directories_are_private_and_shared_ones_group_writable(tmp_path: t.Any) -> None:
    ensure_dir(str(tmp_path / "home" / "records"))
    assert mode_of(tmp_path / "home") == 0o700 and mode_of(tmp_path / "home" / "records") == 0o700
    old_umask = os.umask(0o002)
    try:
        ensure_dir(str(tmp_path / "team"), shared=True)
    finally:
        os.umask(old_umask)
    assert mode_of(tmp_path / "team") == 0o770


def test_open_trusted_refuses_a_file_of_another_user_or_writable_by_others(tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "node.json"
    path.write_text("{}")
    os.chmod(path, 0o646)
    with pytest.raises(UntrustedRecordPath, match="others can write it"):
        open_trusted(str(path), os.O_RDONLY)
    os.chmod(path, 0o600)
    os.close(open_trusted(str(path), os.O_RDONLY))
    monkeypatch.setattr(_record_trust, "effective_uid", lambda: os.geteuid() + 1)
    with pytest.raises(UntrustedRecordPath, match="it is owned by uid"):
        open_trusted(str(path), os.O_RDONLY)


def test_record_files_are_0600_in_0700_directories(tmp_path: t.Any) -> None:
    record = RunRecord(str(tmp_path / "records"), "r1")
    record.record_node_intent("node1", "http://n1", "g", "create", False)
    record.record_run_outcome({"outcome": "success"})
    assert {mode_of(path) for path in (record.record_dir, record.run_dir, os.path.dirname(record.node_path("node1")))} == {0o700}
    assert mode_of(record.node_path("node1")) == 0o600 and mode_of(os.path.join(record.run_dir, "run.json")) == 0o600


@pytest.mark.parametrize("planted", ["run_dir", "node_file"])
def test_a_record_others_can_write_is_refused_on_read_and_write(tmp_path: t.Any, planted: str) -> None:
    record = RunRecord(str(tmp_path), "r1")
    record.record_node_intent("node1", "http://n1", "g", "create", False)
    if planted == "run_dir":
        os.chmod(record.run_dir, 0o777)
        with pytest.raises(UntrustedRecordPath):
            record.verify()
    else:
        os.chmod(record.node_path("node1"), 0o666)
        assert record.verify() is True  # the directories alone are fine
    actions: list[t.Callable[[], object]] = [lambda: record.verify("node1"), record.load,
                                             lambda: record.record_node_outcome("node1", {"changed": True})]
    for action in actions:
        with pytest.raises(UntrustedRecordPath, match="others can write it"):
            action()


def test_a_symlinked_lock_guard_is_refused_and_its_target_never_created(tmp_path: t.Any) -> None:
    target = tmp_path / "target"
    os.symlink(target, lock_path(str(tmp_path), "ops") + ".guard")
    with pytest.raises(UntrustedRecordPath, match="it is a symlink"):
        acquire(str(tmp_path), "ops", "r1")
    assert not target.exists()


def test_a_lock_file_of_another_user_is_refused(tmp_path: t.Any, another_user: None) -> None:
    with pytest.raises(UntrustedRecordPath, match="it is owned by uid"):
        acquire(str(tmp_path), "ops", "r1")
    lock = acquire(str(tmp_path), "ops", "r1", shared=True)
    assert lock["owned"] and release(lock)


def test_verify_says_whether_the_run_exists(tmp_path: t.Any) -> None:
    record = RunRecord(str(tmp_path / "records"), "r1")
    assert record.verify() is False
    record.record_run_outcome({"outcome": "failed"})  # a run that kept only its run.json has no nodes/
    assert record.verify() is True and record.load()["run"]["outcome"] == "failed"
