"""The run lock: one run per group and record directory, re-entry for the fast path, stale holders taken over."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils import _run_lock
from ansible_collections.clusterops.groups.plugins.module_utils._run_lock import RunLockBusy, acquire, lock_path, release
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import list_runs


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def write_holder(record_dir: str, group: str, **holder: object) -> str:
    path = lock_path(record_dir, group)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(dict({"host": socket.gethostname(), "run_id": "other", "group": group}, **holder), handle)
    return path


def test_second_run_of_the_group_is_refused_and_names_the_holder(tmp_path) -> None:
    first = acquire(str(tmp_path), "ops", "run-a")
    assert first["owned"] and os.path.exists(first["path"])
    waits: list[float] = []
    with pytest.raises(RunLockBusy) as busy:
        acquire(str(tmp_path), "ops", "run-b", wait_seconds=1.0, holder_pid=1, sleep=waits.append)
    assert "run run-a" in busy.value.msg and "pid %d" % first["holder"]["pid"] in busy.value.msg
    assert first["path"] in busy.value.msg and "\n" not in busy.value.msg
    assert waits and sum(waits) <= 1.0 + _run_lock.POLL_SECONDS  # bounded, polled (sleep recorded, never slept)
    assert release(first) and not os.path.exists(first["path"])


def test_the_lock_is_per_group_and_per_record_dir(tmp_path) -> None:
    held = acquire(str(tmp_path / "a"), "ops", "run-a")
    other_group = acquire(str(tmp_path / "a"), "dev", "run-b", holder_pid=1)
    other_dir = acquire(str(tmp_path / "b"), "ops", "run-c", holder_pid=1)
    assert held["owned"] and other_group["owned"] and other_dir["owned"]
    assert list_runs(str(tmp_path / "a")) == []  # the lock file is never mistaken for a run


def test_the_same_controller_and_run_reenters_without_owning(tmp_path) -> None:
    role = acquire(str(tmp_path), "ops", "run-a")
    fast_path = acquire(str(tmp_path), "ops", "run-a")
    assert fast_path["owned"] is False
    assert release(fast_path) is False and os.path.exists(role["path"])  # the inner exit keeps the role's lock
    assert release(role) is True


@pytest.mark.parametrize("holder", [
    pytest.param(lambda: {"pid": dead_pid()}, id="dead-pid"),
    pytest.param(lambda: {"pid": os.getpid(), "started": "1"}, id="reused-pid"),
])
def test_a_stale_lock_of_this_host_is_taken_over(tmp_path, holder) -> None:
    write_holder(str(tmp_path), "ops", **holder())
    taken = acquire(str(tmp_path), "ops", "run-b")
    assert taken["owned"] and taken["holder"]["run_id"] == "run-b"


@pytest.mark.parametrize("holder", [
    pytest.param({"pid": 1, "host": "another-controller"}, id="other-host"),
    pytest.param({"pid": 1}, id="live-pid"),
])
def test_a_live_or_foreign_holder_is_never_taken_over(tmp_path, holder) -> None:
    path = write_holder(str(tmp_path), "ops", **holder)
    with pytest.raises(RunLockBusy):
        acquire(str(tmp_path), "ops", "run-b")
    assert json.loads(open(path, encoding="utf-8").read())["run_id"] == "other"


def test_an_unreadable_lock_is_refused_not_guessed(tmp_path) -> None:
    path = lock_path(str(tmp_path), "ops")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("{half")
    with pytest.raises(RunLockBusy, match="delete"):
        acquire(str(tmp_path), "ops", "run-b")


def test_release_leaves_a_lock_that_another_run_took_meanwhile(tmp_path) -> None:
    mine = acquire(str(tmp_path), "ops", "run-a")
    write_holder(str(tmp_path), "ops", pid=1, run_id="run-b")
    assert release(mine) is False and os.path.exists(mine["path"])


PROBE = ("import os, sys; sys.path.insert(0, %r); "
         "from ansible_collections.clusterops.groups.plugins.module_utils._run_lock import controller_pid; "
         "print(controller_pid(), os.getppid())" % sys.path[0])


@pytest.mark.parametrize("worker_argv0", [
    pytest.param("python3", id="module-process"),
    pytest.param("ansible-playbook", id="forked-worker"),  # a fork of the main process carries its command line
])
def test_controller_pid_is_the_ansible_playbook_main_process(tmp_path, worker_argv0: str) -> None:
    fake = tmp_path / "ansible-playbook"
    fake.write_text("import subprocess, sys\n"
                    "worker = subprocess.run([sys.argv[1], '-c', sys.argv[2]], executable=sys.executable, capture_output=True, text=True)\n"
                    "print(worker.stdout.split()[0], __import__('os').getpid())\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    output = subprocess.run([sys.executable, str(fake), worker_argv0, PROBE], capture_output=True, text=True, env=env,
                            check=True).stdout
    found, main = output.split()
    assert found == main
    assert _run_lock.controller_pid() == os.getpid()  # no ansible-playbook above pytest: this process
