# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""The durable run record: one JSON file per node, written atomically *before* that node's first write.

Layout: ``<record_dir>/<run_id>/nodes/<node>.json`` and ``<record_dir>/<run_id>/run.json``.
One file per node keeps many forks safe without locks. A node file keeps the state the node had before
the run (``existed_before`` of the FIRST intent) even when later steps of the same run (a rollback)
record their own intents: those go to ``steps``. Never stores a token or URL userinfo.
Every directory and file is checked by ``_record_trust`` (ours, nobody else can write it, no symlink) before it is
read or written, and ``verify`` checks them before a run's first request.
"""
from __future__ import annotations

import datetime
import json
import os
import random
import re
import shutil
import tempfile
import typing as t
from urllib.parse import quote, unquote

from ansible_collections.clusterops.groups.plugins.module_utils._errors import ClusterOpsError, InvalidInput, RunRecordError
from ansible_collections.clusterops.groups.plugins.module_utils._group_state import OPERATION_BY_STATE
from ansible_collections.clusterops.groups.plugins.module_utils._record_trust import (
    UntrustedRecordPath, check_dir, ensure_dir, open_trusted, share_new_file,
)
from ansible_collections.clusterops.groups.plugins.module_utils._secrets import shown_fields, url_for_display

RUN_ID_PATTERN = r"^[A-Za-z0-9._-]{1,128}$"
RUN_ID_RULE = "1-128 characters of A-Z a-z 0-9 . _ - (not '.' or '..')"
NODE_NAME_MAX_LENGTH = 200
NODES_DIR = "nodes"
RUN_FILE = "run.json"
DEFAULT_RECORD_DIR = "~/.clusterops/records"
# Retention: the settled runs kept per record directory (newest first); 0 keeps every record.
DEFAULT_RECORDS_KEPT = 50
# Only a run whose run.json holds one of these may be removed: nothing is left to finish on any of its nodes.
# A run with no readable outcome (interrupted, still running) or a rollback_incomplete run is never removed.
PRUNABLE_OUTCOMES = ("success", "rolled_back", "failed", "finished")
RECORD_DIR_ENV = "CLUSTEROPS_RECORD_DIR"


def new_run_id() -> str:
    """The one run id format (both paths): UTC time and a random suffix, e.g. ``20261204T101500Z-000042``."""
    return "%s-%06d" % (datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"), random.randrange(1000000))


def record_path(record_dir: object = None) -> str:
    """The absolute record directory: ``record_dir``, else the env var CLUSTEROPS_RECORD_DIR, else DEFAULT_RECORD_DIR."""
    return _absolute(str(record_dir or "") or os.environ.get(RECORD_DIR_ENV, "") or DEFAULT_RECORD_DIR)


def is_default_record_path(path: object) -> bool:
    """True when ``path`` is the built-in default (a finish command then needs no record directory option)."""
    return not path or _absolute(str(path)) == _absolute(DEFAULT_RECORD_DIR)


def _absolute(path: str) -> str:
    return os.path.abspath(os.path.expanduser(path))


def validate_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not re.fullmatch(RUN_ID_PATTERN, run_id) or run_id in (".", ".."):
        raise InvalidInput("invalid run_id %r: a run_id is %s" % (run_id, RUN_ID_RULE), option="run_id")
    return run_id


def validate_node_name(node: object) -> str:
    if not isinstance(node, str) or not node or len(node) > NODE_NAME_MAX_LENGTH or "\x00" in node:
        raise InvalidInput("invalid node %r: a node name is a non-empty string of at most %d characters" % (node, NODE_NAME_MAX_LENGTH),
                           option="node")
    return node


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _without_secrets(data: dict[str, t.Any]) -> dict[str, t.Any]:
    return shown_fields(data)


class RunRecord:
    """The record of one run; every method raises RunRecordError (a ClusterOpsError) on I/O failure, and
    UntrustedRecordPath (a RunRecordError) for a directory or file another user could have written.

    ``shared``: the operator's word that the record directory is shared between users (``_record_trust``).
    """

    def __init__(self, record_dir: str, run_id: str, shared: bool = False) -> None:
        self.record_dir = os.path.abspath(os.path.expanduser(record_dir))
        self.run_id = validate_run_id(run_id)
        self.run_dir = os.path.join(self.record_dir, self.run_id)
        self.shared = bool(shared)

    def verify(self, node: str | None = None) -> bool:
        """Refuse, before any request, a record directory, run directory or ``node``'s file we cannot trust;
        True when the run directory exists (a run that kept only its run.json has no nodes/)."""
        present = [check_dir(path, self.shared) for path in (self.record_dir, self.run_dir, os.path.join(self.run_dir, NODES_DIR))]
        if node is not None:
            self.load_node(node)
        return present[1]

    def _check_dirs(self, directory: str) -> bool:
        """Check the record directory and each directory of this run down to ``directory``; True if all exist."""
        present = True
        for path in (self.record_dir, self.run_dir, directory):
            present = check_dir(path, self.shared) and present
            if path == directory:
                break
        return present

    def node_path(self, node: str) -> str:
        # quote: inventory names may hold '/' or ':'; ordinary host names stay readable
        return os.path.join(self.run_dir, NODES_DIR, quote(validate_node_name(node), safe="") + ".json")

    def record_node_intent(self, node: str, api_url: str, group: str, operation: str, existed_before: bool | None) -> None:
        """Write down, before the first write to ``node``, what is about to happen and the state before it."""
        step = {"phase": "intent", "operation": operation, "existed_before": existed_before, "at": _now()}
        record = self.load_node(node) or {
            "node": node, "run_id": self.run_id, "api_url": url_for_display(api_url), "group": group,
            "operation": operation, "existed_before": existed_before, "outcome": None, "steps": [],
        }
        record["steps"].append(step)
        record["phase"] = "intent"
        record["updated_at"] = step["at"]
        self._write_json(self.node_path(node), record)

    def record_node_outcome(self, node: str, outcome: dict[str, t.Any]) -> None:
        """Store the result of the latest step on ``node`` (the module's result fields)."""
        record = self.load_node(node) or {"node": node, "run_id": self.run_id, "outcome": None, "steps": []}
        record["outcome"] = _without_secrets(outcome)
        if _intent_count(record) <= 1 and "write_may_have_landed" in outcome:
            # the run's own step (not a later rollback): whether the node can hold a change of this run at all
            record["write_may_have_landed"] = bool(outcome["write_may_have_landed"])
        record["phase"] = "outcome"
        record["updated_at"] = _now()
        record["steps"].append({"phase": "outcome", "changed": outcome.get("changed"), "exists": outcome.get("exists"),
                                "failed": bool(outcome.get("failed")), "at": record["updated_at"]})
        self._write_json(self.node_path(node), record)

    def record_run_outcome(self, outcome: dict[str, t.Any]) -> bool:
        """Keep the run outcome in ``run.json`` (the only writer of that file); False when it already holds it."""
        path = os.path.join(self.run_dir, RUN_FILE)
        data = dict(_without_secrets(outcome), run_id=self.run_id)
        kept = self._read_json(path) if os.path.exists(path) else None
        if kept is not None and dict(kept, updated_at=None) == dict(data, updated_at=None):
            return False
        self._write_json(path, dict(data, updated_at=_now()))
        return True

    def load_node(self, node: str) -> dict[str, t.Any] | None:
        return self._read_json(self.node_path(node))

    def load_run(self) -> dict[str, t.Any] | None:
        """The run's ``run.json`` (None when the run has none yet)."""
        return self._read_json(os.path.join(self.run_dir, RUN_FILE))

    def first_node(self) -> dict[str, t.Any] | None:
        """One node's record of the run (the first by file name), None when no node was recorded: enough to tell
        whether a run touched nodes, and for which group, without reading them all."""
        nodes_dir = os.path.join(self.run_dir, NODES_DIR)
        names = sorted(name for name in _list_dir(nodes_dir) if name.endswith(".json") and not name.startswith(".tmp-"))
        if not names or not self._check_dirs(nodes_dir):
            return None
        try:
            return self._read_json(os.path.join(nodes_dir, names[0])) or {"damaged": "empty"}
        except UntrustedRecordPath:
            raise
        except RunRecordError as error:
            return {"damaged": error.msg}

    def load(self, keep_damaged: bool = False) -> dict[str, t.Any]:
        """``{"run_id", "run": dict or None, "nodes": {node: record}}``.

        ``keep_damaged``: a node file that cannot be read becomes ``{"node", "damaged": reason}`` instead of an
        error, so finish_rollback can name every damaged node at once (``_transaction.record_damage``).
        """
        nodes: dict[str, t.Any] = {}
        nodes_dir = os.path.join(self.run_dir, NODES_DIR)
        self._check_dirs(nodes_dir)
        for file_name in sorted(_list_dir(nodes_dir)):
            if file_name.endswith(".json") and not file_name.startswith(".tmp-"):
                node = unquote(file_name[:-len(".json")])
                try:
                    record = self._read_json(os.path.join(nodes_dir, file_name)) or {}
                except UntrustedRecordPath:
                    raise  # never "damaged": a file another user could have written is refused outright
                except RunRecordError as error:
                    if not keep_damaged:
                        raise
                    record = {"node": node, "damaged": error.msg}
                if not isinstance(record, dict):
                    record = {"node": node, "damaged": "not a JSON object"}
                nodes[record.get("node", node)] = record
        return {"run_id": self.run_id, "run": self._read_json(os.path.join(self.run_dir, RUN_FILE)), "nodes": nodes}

    def _read_json(self, path: str) -> dict[str, t.Any] | None:
        try:
            if not self._check_dirs(os.path.dirname(path)):
                return None
            with os.fdopen(open_trusted(path, os.O_RDONLY, self.shared), encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError:
            return None
        except UntrustedRecordPath:
            raise
        except (OSError, ValueError) as error:
            raise RunRecordError("cannot read run record %s: %s" % (path, error), record_path=path) from error

    def _write_json(self, path: str, data: dict[str, t.Any]) -> None:
        directory = os.path.dirname(path)
        try:
            for private_dir in (self.record_dir, self.run_dir, directory):
                ensure_dir(private_dir, self.shared)
            # mkstemp opens with O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600: a new file, never a planted one
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
            try:
                share_new_file(handle, self.shared)
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    json.dump(data, stream, indent=2, sort_keys=True)
                    stream.flush()
                    os.fsync(stream.fileno())
                os.replace(temporary, path)
            except BaseException:
                _remove_quietly(temporary)
                raise
        except OSError as error:
            raise RunRecordError("cannot write run record %s: %s" % (path, error.strerror or error),
                                 record_path=path) from error


def list_runs(record_dir: str) -> list[str]:
    """Run ids recorded under ``record_dir`` (sorted); [] when it does not exist."""
    root = os.path.abspath(os.path.expanduser(record_dir))
    return sorted(name for name in _list_dir(root)
                  if re.fullmatch(RUN_ID_PATTERN, name) and name not in (".", "..") and os.path.isdir(os.path.join(root, name)))


def prune_runs(record_dir: str, keep: int, current_run_id: str = "") -> list[str]:
    """Remove the run directories beyond the newest ``keep`` settled runs; the run ids removed (oldest first).

    Settled: ``run.json`` holds an outcome in PRUNABLE_OUTCOMES. "Newest" is the latest change to the run's
    directory, ``nodes/`` or ``run.json``, so a reused run id that is being written counts as new; the current run,
    when settled, is the newest and counts as one of the ``keep``. The current run, unsettled runs and symlinks are
    never removed; ``keep`` 0 (or less) removes nothing. A directory that cannot be removed is left for the next run.
    """
    if keep <= 0:
        return []
    root = os.path.abspath(os.path.expanduser(record_dir))
    settled = []
    for run_id in list_runs(root):
        run_dir = os.path.join(root, run_id)
        if os.path.islink(run_dir) or _settled_outcome(run_dir) is None:
            continue
        settled.append((run_id == current_run_id, _last_change(run_dir), run_id))
    settled.sort(reverse=True)
    removed = []
    for entry in sorted(settled[keep:], key=lambda entry: entry[1:]):
        run_id = entry[2]
        try:
            shutil.rmtree(os.path.join(root, run_id))
        except OSError:
            continue
        removed.append(run_id)
    return removed


def _settled_outcome(run_dir: str) -> str | None:
    try:
        with open(os.path.join(run_dir, RUN_FILE), encoding="utf-8") as handle:
            outcome = json.load(handle).get("outcome")
    except (OSError, ValueError, AttributeError):
        return None
    return outcome if outcome in PRUNABLE_OUTCOMES else None


def _last_change(run_dir: str) -> float:
    times = []
    for path in (run_dir, os.path.join(run_dir, NODES_DIR), os.path.join(run_dir, RUN_FILE)):
        try:
            times.append(os.stat(path).st_mtime)
        except OSError:
            pass
    return max(times, default=0.0)


def _intent_count(record: dict[str, t.Any]) -> int:
    return sum(1 for step in record.get("steps") or [] if step.get("phase") == "intent")


def _list_dir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []
    except OSError as error:
        raise RunRecordError("cannot list run record directory %s: %s" % (path, error), record_path=path) from error


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


class NodeRecorder:
    """Writes the node's record before the first write and its outcome after, only when a write was due."""

    def __init__(self, record: RunRecord | None, node: str, node_url: str, group: str, state: str) -> None:
        self.record, self.node, self.node_url, self.group, self.state = record, node, node_url, group, state
        self.intent_written = False

    def intent(self, existed_before: bool) -> None:
        if self.record is not None:
            # operation in the transaction's words (create/delete), as plugins/module_utils/_transaction.py reads it
            self.record.record_node_intent(self.node, self.node_url, self.group, OPERATION_BY_STATE[self.state], existed_before)
            self.intent_written = True

    def outcome(self, result: dict[str, t.Any]) -> None:
        if self.record is not None and self.intent_written:
            self.record.record_node_outcome(self.node, result)

    def outcome_after_failure(self, error: ClusterOpsError) -> None:
        """Record the failure; if even that fails, say so in the failure instead of hiding the first error."""
        try:
            self.outcome(dict(error.to_result(), failed=True))
        except ClusterOpsError as record_error:
            error.add_facts(record_error=record_error.msg)
