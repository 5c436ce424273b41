# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""The record directory is trusted only when it is ours, like OpenSSH's StrictModes.

A run record steers a finish (which node, which group, which state to put back) and the lock decides who may write:
whoever can replace those files can send the inventory token to their own server and delete groups. So the record
directory, each run directory, its ``nodes/`` directory and every record, lock and guard file must be owned by the
effective user and writable by nobody else, and none of them may be a symlink. Everything is checked before any
request. ``shared`` (module option ``record_dir_shared``) is the operator saying that the directory really is shared
by the users of one group: it accepts other owners and group-writable entries, never world-writable ones and never
symlinks, and creates what it creates group-readable and group-writable.
"""
from __future__ import annotations

import errno
import os
import stat
import typing as t

from ansible_collections.clusterops.groups.plugins.module_utils._errors import RunRecordError

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SHARED_DIR_MODE = 0o770
SHARED_FILE_MODE = 0o660
# never follow a symlink, and never leak the descriptor into a child process
NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
SHARED_SWITCH = "record_dir_shared (role variable group_transaction_record_dir_shared)"
ANOTHER_DIR = "or choose another record directory (group_transaction_record_dir / record_dir)"


class UntrustedRecordPath(RunRecordError):
    """A record directory or file another user could have written: refused before any request."""

    kind = "record_untrusted"


def effective_uid() -> int:
    """The user whose files are trusted (a function, so tests can stand in for another user without root)."""
    return os.geteuid()


def _refuse(path: str, what: str, fix: str) -> t.NoReturn:
    raise UntrustedRecordPath("refusing run record path %s: %s; %s (nothing was sent)" % (path, what, fix), record_path=path)


def check_status(path: str, status: os.stat_result, directory: bool, shared: bool = False) -> None:
    """Refuse ``path`` (as ``lstat``/``fstat`` saw it) unless it is a directory/regular file only we can write."""
    kind = "directory" if directory else "file"
    if stat.S_ISLNK(status.st_mode):
        _refuse(path, "it is a symlink, and a run never follows one in its record directory",
                "remove it and let the run create a real %s, %s" % (kind, ANOTHER_DIR))
    if not (stat.S_ISDIR(status.st_mode) if directory else stat.S_ISREG(status.st_mode)):
        _refuse(path, "it is not a %s" % kind, "remove it, %s" % ANOTHER_DIR)
    if status.st_mode & stat.S_IWOTH:
        # even a shared directory: any local user could replace what steers a finish
        _refuse(path, "others can write it (mode %04o)" % stat.S_IMODE(status.st_mode),
                "run chmod o-w %s, %s" % (path, ANOTHER_DIR))
    if shared:
        return
    user = effective_uid()
    if status.st_uid != user:
        _refuse(path, "it is owned by uid %d, not by uid %d that runs this playbook" % (status.st_uid, user),
                "run chown %d %s, %s, or set %s if it really is shared between users" % (user, path, ANOTHER_DIR, SHARED_SWITCH))
    if status.st_mode & stat.S_IWGRP:
        _refuse(path, "its group can write it (mode %04o)" % stat.S_IMODE(status.st_mode),
                "run chmod g-w %s, %s, or set %s if it really is shared between users" % (path, ANOTHER_DIR, SHARED_SWITCH))


def check_dir(path: str, shared: bool = False) -> bool:
    """Refuse an untrusted directory at ``path``; False when there is nothing there yet."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as error:
        raise RunRecordError("cannot inspect run record directory %s: %s" % (path, error.strerror or error),
                             record_path=path) from error
    check_status(path, status, directory=True, shared=shared)
    return True


def ensure_dir(path: str, shared: bool = False) -> None:
    """``path`` as a trusted directory: created (with any missing parents) 0700, or 0770 when shared."""
    if check_dir(path, shared):
        return
    mode = SHARED_DIR_MODE if shared else PRIVATE_DIR_MODE
    try:
        os.makedirs(os.path.dirname(path), mode=mode, exist_ok=True)
        os.mkdir(path, mode)
    except FileExistsError:
        pass  # another fork of this run made it first: judged below like any existing directory
    except OSError as error:
        raise RunRecordError("cannot create run record directory %s: %s" % (path, error.strerror or error),
                             record_path=path) from error
    check_dir(path, shared)


def open_trusted(path: str, flags: int, shared: bool = False) -> int:
    """``os.open`` that never follows a symlink and refuses a file we do not own or others can write.

    With ``os.O_CREAT`` a new file is made 0600 (0660 when shared). FileNotFoundError passes through.
    """
    try:
        handle = os.open(path, flags | NO_FOLLOW, SHARED_FILE_MODE if shared else PRIVATE_FILE_MODE)
    except OSError as error:
        if error.errno == errno.ELOOP:  # O_NOFOLLOW's answer to a symlink
            check_status(path, os.lstat(path), directory=False, shared=shared)
        raise
    try:
        check_status(path, os.fstat(handle), directory=False, shared=shared)
    except BaseException:
        os.close(handle)
        raise
    return handle


def share_new_file(handle: int, shared: bool) -> None:
    """A new file of a shared directory is group-readable and -writable (``tempfile.mkstemp`` makes it 0600)."""
    if shared:
        os.fchmod(handle, SHARED_FILE_MODE)
