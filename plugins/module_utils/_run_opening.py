# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""Opening a run, under its group's lock and before its first write: the run is findable from then on.

``open_run`` refuses a run id that already has a record (a finish is the only thing that reopens a run: a create
and a delete under one id would mix their "state before" and a finish would restore the wrong one), refuses to
start over an unfinished run of the same group (its leftover changes would read as "before: present" and no
finish would ever be printed for them), then writes ``run.json`` with outcome ``running``, the group, the
operation and the finish command. The run's last step replaces it with the run's outcome; a run interrupted on
the way (Ctrl-C, a killed controller) keeps ``running``, which finish_rollback treats as unfinished.
"""
from __future__ import annotations

import contextlib
import datetime
import os
import typing as t

from ansible_collections.clusterops.groups.plugins.module_utils._errors import ClusterOpsError
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import NODES_DIR, RUN_FILE, RunRecord, list_runs

RUNNING = "running"
ROLLBACK_INCOMPLETE = "rollback_incomplete"
# with these a run may have left changes on nodes that only its finish puts back
UNFINISHED_OUTCOMES = (RUNNING, ROLLBACK_INCOMPLETE)
MAX_LISTED_RUNS = 5


class RunNotOpened(ClusterOpsError):
    """The run was refused before any request: its id has a record already, or its group has an unfinished run."""

    kind = "run_refused"


def unfinished_outcome(run: t.Mapping[str, t.Any] | None, first_node: t.Mapping[str, t.Any] | None) -> str | None:
    """``running`` or ``rollback_incomplete`` for a run whose changes may still be on nodes; a run with node files
    and no run.json (interrupted before runs were opened) counts as ``running``."""
    outcome = (run or {}).get("outcome")
    if outcome in UNFINISHED_OUTCOMES:
        return str(outcome)
    return RUNNING if run is None and first_node is not None else None


def unfinished_runs(record_dir: str, group: str, shared: bool = False, skip: str = "") -> list[tuple[str, str]]:
    """``[(run id, outcome)]`` of the runs of ``group`` in ``record_dir`` that may have left changes on nodes.
    Reads each run's run.json, and one node file only for a run without one: O(runs), not O(runs x nodes)."""
    found = []
    for run_id in list_runs(record_dir):
        if run_id == skip:
            continue
        record = RunRecord(record_dir, run_id, shared=shared)
        run = record.load_run()
        first_node = record.first_node() if run is None else None
        outcome = unfinished_outcome(run, first_node)
        owner = (run or first_node or {}).get("group")
        # a damaged first node file names no group: count the run, a finish names what it is
        if outcome and (owner == group or owner is None):
            found.append((run_id, outcome))
    return found


def open_run(record: RunRecord, group: str, operation: str, finish_command: t.Callable[[str], str],
             allow_unfinished: bool = False) -> dict[str, t.Any]:
    """Refuse (RunNotOpened) or open the run of ``record``; the ``run.json`` written. ``finish_command(run_id)``
    is the command that finishes a run of this group in this record directory."""
    existing_run = record.load_run()
    if existing_run is not None or record.first_node() is not None:
        outcome = (existing_run or {}).get("outcome") or "interrupted"
        raise RunNotOpened("run id %s already has a record in %s (outcome: %s), nothing was sent: give a new run id, or "
                           "none and one is made; only its finish reopens that run: %s"
                           % (record.run_id, record.record_dir, outcome, finish_command(record.run_id)),
                           option="run_id", run_id=record.run_id)
    if not allow_unfinished:
        _refuse_unfinished(record, group, finish_command)
    opened = {"outcome": RUNNING, "group": group, "operation": operation, "finish_command": finish_command(record.run_id),
              "started_at": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    record.record_run_outcome(opened)
    return opened


def _refuse_unfinished(record: RunRecord, group: str, finish_command: t.Callable[[str], str]) -> None:
    unfinished = unfinished_runs(record.record_dir, group, record.shared, skip=record.run_id)
    if not unfinished:
        return
    listed = "; ".join("run %s (%s): %s" % (run_id, "interrupted" if outcome == RUNNING else outcome, finish_command(run_id))
                       for run_id, outcome in unfinished[:MAX_LISTED_RUNS])
    more = " and %d more" % (len(unfinished) - MAX_LISTED_RUNS) if len(unfinished) > MAX_LISTED_RUNS else ""
    raise RunNotOpened("group '%s' has %d unfinished run(s) in %s, nothing was sent: finish them first (%s%s); once you "
                       "have checked the cluster yourself, group_transaction_allow_unfinished=true (module option "
                       "allow_unfinished) starts anyway" % (group, len(unfinished), record.record_dir, listed, more),
                       unfinished_runs=[run_id for run_id, _outcome in unfinished])


def run_line(record: RunRecord, opened: t.Mapping[str, t.Any]) -> str:
    """The line printed before the first write: the one thing an operator needs after a Ctrl-C."""
    return ("run %s (%s of group '%s') is recorded in %s; if it is interrupted, finish it with: %s"
            % (record.run_id, opened["operation"], opened["group"], record.run_dir, opened["finish_command"]))


def discard_if_untouched(record: RunRecord) -> bool:
    """Remove the opened run when no node was recorded (it ended before its first write): it must not count as an
    unfinished run. True when removed."""
    if record.first_node() is not None:
        return False
    for path, remove in ((os.path.join(record.run_dir, RUN_FILE), os.remove),
                         (os.path.join(record.run_dir, NODES_DIR), os.rmdir), (record.run_dir, os.rmdir)):
        with contextlib.suppress(FileNotFoundError, OSError):
            remove(path)
    return not os.path.exists(record.run_dir)


@contextlib.contextmanager
def opened_run(record: RunRecord | None, group: str, operation: str, finish_command: t.Callable[[str], str],
               allow_unfinished: bool = False, announce: t.Callable[[str], None] | None = None) -> t.Iterator[None]:
    """Open the run of ``record`` (nothing without one: check mode, no record dir), say so, and discard it again
    when the run ends by an exception before its first write."""
    if record is None:
        yield
        return
    opened = open_run(record, group, operation, finish_command, allow_unfinished)
    if announce is not None:
        announce(run_line(record, opened))
    try:
        yield
    except BaseException:
        discard_if_untouched(record)
        raise
