# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""One run per group and record directory at a time on one controller: the run lock.

``<record_dir>/.lock-<group>`` holds ``{pid, started, host, run_id, group, acquired_at}`` of the
``ansible-playbook`` process that runs the transaction (the role takes the lock from a worker process, the
fast path from a module process: both walk up to that process, so the role and its own fast path share
one lock). A lock whose holder is a dead process on this host (or a reused pid: its start time differs) is
stale and taken over; a holder on another host is never judged (a record dir on a shared disk). Every
check-and-take runs under a short ``flock`` of ``<lock>.guard``, so two runs never both take a stale lock.
The lock file is a file, not a directory: ``_run_record.list_runs`` never mistakes it for a run.
The record directory, the lock and its guard are checked by ``_record_trust`` (ours, nobody else can write them)
and never followed as symlinks: a planted guard symlink would make the run create or lock its target.
"""
from __future__ import annotations

import datetime
import json
import os
import socket
import tempfile
import time
import typing as t
from urllib.parse import quote

from ansible_collections.clusterops.groups.plugins.module_utils._errors import ClusterOpsError
from ansible_collections.clusterops.groups.plugins.module_utils._record_trust import (
    UntrustedRecordPath, ensure_dir, open_trusted, share_new_file,
)

try:
    import fcntl
except ImportError:  # not POSIX: no guard; the atomic rename still keeps the lock file whole
    fcntl = None  # type: ignore[assignment]

LOCK_PREFIX = ".lock-"
POLL_SECONDS = 0.25
MAX_WAIT_SECONDS = 3600.0
CONTROLLER_PROGRAM = "ansible-playbook"


class RunLockBusy(ClusterOpsError):
    """Another live run holds the group's lock in this record directory; nothing was sent to any node."""

    kind = "run_lock_busy"


def lock_path(record_dir: str, group: str) -> str:
    return os.path.join(os.path.abspath(os.path.expanduser(record_dir)), LOCK_PREFIX + quote(str(group), safe="") + ".json")


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid from its holder."""
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _parent_pid(pid: int) -> int | None:
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _is_controller(pid: int) -> bool:
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            arguments = handle.read().split(b"\0")[:2]
    except OSError:
        return False
    return any(os.path.basename(argument.decode("utf-8", "replace")) == CONTROLLER_PROGRAM for argument in arguments)


def controller_pid(pid: int | None = None) -> int:
    """The ``ansible-playbook`` main process at or above ``pid`` (default: this process), else ``pid`` itself.

    Ansible's workers are forks of the main process and carry its command line: the main process is the
    outermost of the consecutive ``ansible-playbook`` processes above the nearest one.
    """
    start = os.getpid() if pid is None else pid
    current: int | None = start
    while current and current > 1 and not _is_controller(current):
        current = _parent_pid(current)
    if not current or current <= 1:
        return start
    parent = _parent_pid(current)
    while parent and parent > 1 and _is_controller(parent):
        current, parent = parent, _parent_pid(parent)
    return current


def process_alive(pid: object) -> bool:
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, someone else's
    return True


def is_stale(holder: t.Mapping[str, t.Any]) -> bool:
    """The holder is a process of this host that is gone (or whose pid now belongs to a younger process)."""
    if holder.get("host") != socket.gethostname():
        return False
    pid = holder.get("pid")
    if not process_alive(pid):
        return True
    started = holder.get("started")
    return started is not None and started != _process_start(t.cast(int, pid))


def new_holder(group: str, run_id: str, pid: int | None = None) -> dict[str, t.Any]:
    holder_pid = controller_pid() if pid is None else pid
    return {"pid": holder_pid, "started": _process_start(holder_pid), "host": socket.gethostname(), "run_id": str(run_id),
            "group": str(group), "acquired_at": datetime.datetime.now(datetime.timezone.utc).isoformat()}


def _same_holder(current: t.Mapping[str, t.Any], holder: t.Mapping[str, t.Any]) -> bool:
    return all(current.get(key) == holder.get(key) for key in ("pid", "host", "run_id"))


def busy_message(path: str, current: t.Mapping[str, t.Any], waited: float) -> str:
    return ("another run holds the lock of group %r in this record directory (run %s, ansible-playbook pid %s on host %s, "
            "since %s); waited %gs: let it finish and run again (or raise group_transaction_lock_wait); if that process "
            "no longer exists, delete %s" % (current.get("group"), current.get("run_id"), current.get("pid"),
                                             current.get("host"), current.get("acquired_at"), waited, path))


class _Guard:
    """A short exclusive flock around one check-and-take (or check-and-release) of the lock file."""

    def __init__(self, path: str, shared: bool = False) -> None:
        self.path = path + ".guard"
        self.shared = shared
        self.handle: int | None = None

    def __enter__(self) -> _Guard:
        self.handle = open_trusted(self.path, os.O_CREAT | os.O_RDWR, self.shared)
        if fcntl is not None:
            fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.handle is not None:
            os.close(self.handle)  # closing drops the flock


def _read(path: str, shared: bool = False) -> dict[str, t.Any] | None:
    try:
        with os.fdopen(open_trusted(path, os.O_RDONLY, shared), encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None
    except UntrustedRecordPath:
        raise
    except (OSError, ValueError):
        return {"unreadable": True}  # never judged stale: a person must look at it
    return data if isinstance(data, dict) else {"unreadable": True}


def _write(path: str, holder: t.Mapping[str, t.Any], shared: bool = False) -> None:
    # mkstemp opens with O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600; os.replace swaps a symlink, never follows it
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-lock-")
    share_new_file(handle, shared)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(dict(holder), stream, sort_keys=True)
    os.replace(temporary, path)


def _try_take(path: str, holder: t.Mapping[str, t.Any],
              shared: bool = False) -> tuple[bool, bool, dict[str, t.Any] | None]:
    """(taken, owned, current holder): owned is False when ``holder`` already held it (the fast path inside the role)."""
    with _Guard(path, shared):
        current = _read(path, shared)
        if current is not None and not current.get("unreadable") and _same_holder(current, holder):
            return True, False, current
        if current is None or (not current.get("unreadable") and is_stale(current)):
            _write(path, holder, shared)
            return True, True, dict(holder)
        return False, False, current


def acquire(record_dir: str, group: str, run_id: str, wait_seconds: float = 0.0, holder_pid: int | None = None,
            sleep: t.Callable[[float], None] = time.sleep, shared: bool = False) -> dict[str, t.Any]:
    """Take the group's lock, waiting up to ``wait_seconds`` for a live holder; raise RunLockBusy after that.

    Raises UntrustedRecordPath when the record directory, the lock or its guard is not ours (``shared``: the record
    directory is shared between users, ``_record_trust``). Returns ``{path, owned, holder, shared}``; pass it to
    ``release``. ``owned`` is False when this controller
    process already held the lock for this run (re-entry), and then ``release`` leaves it alone.
    """
    wait = min(max(float(wait_seconds or 0), 0.0), MAX_WAIT_SECONDS)
    path = lock_path(record_dir, group)
    holder = new_holder(group, run_id, holder_pid)
    try:
        ensure_dir(os.path.dirname(path), shared)
        waited = 0.0  # the budget counts the polls' sleeps: bounded whatever the clock, testable without sleeping
        while True:
            taken, owned, current = _try_take(path, holder, shared)
            if taken:
                return {"path": path, "owned": owned, "holder": current, "shared": shared}
            left = wait - waited
            if left <= 0:
                raise RunLockBusy(busy_message(path, dict(current or {}, group=group), wait), lock_path=path,
                                  holder=current)
            sleep(min(POLL_SECONDS, left))
            waited += min(POLL_SECONDS, left)
    except OSError as error:
        raise ClusterOpsError("cannot take the run lock %s: %s" % (path, error.strerror or error), lock_path=path) from error


def release(lock: t.Mapping[str, t.Any] | None) -> bool:
    """Remove the lock file if this run took it (``acquire``'s answer) and still holds it; True when removed."""
    if not lock or not lock.get("owned") or not lock.get("path"):
        return False
    path = str(lock["path"])
    shared = bool(lock.get("shared"))
    try:
        with _Guard(path, shared):
            current = _read(path, shared)
            if current is None or not _same_holder(current, lock.get("holder") or {}):
                return False
            os.remove(path)
            return True
    except OSError as error:
        raise ClusterOpsError("cannot release the run lock %s: %s" % (path, error.strerror or error), lock_path=path) from error
