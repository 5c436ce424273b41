# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""The cluster-wide fast path: the whole all-or-nothing transaction in one process, over a bounded worker pool.

Same per-node semantics as ``clusterops.groups.group`` (``_group_state.ensure_group``, the durable record
written before each write) and the SAME policy as the role (``_transaction.put_back_targets``,
``build_account``, ``finish_targets``, ``finish_account``): only the orchestration differs.

Bounds: at most ``workers`` threads, one requests Session per thread and TLS setting (never shared between threads,
never carrying a token: ``_node_connections``), each node with its own connection settings, per node the request
bound of ``ensure_group``. With ``deadline_seconds`` no request starts after the deadline
of a phase (apply, then compensation, each gets the budget; a saved plan's read is a phase of its own), every
request's timeout and backoff sleep are capped to the time left; a node not done by then counts as failed, its state unknown, and the policy
handles it from its result or, lacking one, from the record.
"""
from __future__ import annotations

import concurrent.futures
import functools
import math
import time
import typing as t
from dataclasses import dataclass

from ansible_collections.clusterops.groups.plugins.module_utils import _run_lock, _saved_plan, _summary, _transaction
from ansible_collections.clusterops.groups.plugins.module_utils._connection_options import client_settings, validate_api_url
from ansible_collections.clusterops.groups.plugins.module_utils._errors import ClusterOpsError, InvalidInput, RunRecordError
from ansible_collections.clusterops.groups.plugins.module_utils._group_name import validate_group_name
from ansible_collections.clusterops.groups.plugins.module_utils._group_state import (
    OPERATION_BY_STATE, EnsureResult, ensure_group, read_group_reply, validate_state,
)
from ansible_collections.clusterops.groups.plugins.module_utils._node_connections import (  # validate_nodes: also for _cluster_status
    NODE_CONNECTION_OPTIONS, NodeTarget, SessionPool, finish_entries, targets_with_connections, validate_nodes, verify_setting,
)
from ansible_collections.clusterops.groups.plugins.module_utils._run_opening import opened_run
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import (
    NodeRecorder, RunRecord, is_default_record_path, new_run_id, validate_run_id,
)
from ansible_collections.clusterops.groups.plugins.module_utils._transport import NodeClient

MIN_WORKERS = 1
MAX_WORKERS = 256
DEFAULT_WORKERS = 20
MAX_DEADLINE_SECONDS = 86400.0
# After a phase's deadline, how long to wait for workers whose last request was cut at the deadline.
DEADLINE_GRACE_SECONDS = 5.0
# What the policy reads of a node's result; request history is dropped so memory stays flat with node count.
COMPACT_RESULT_FIELDS = ("changed", "failed", "msg", "error_kind", "existed_before", "exists", "state_known", "action",
                         "write_attempted", "write_may_have_landed", "requests", "unreachable")
NOT_FINISHED_MSG = "node %s did not finish before the deadline (%ss): its state is unknown, see the run record"

NodeResult = t.Optional[t.Dict[str, t.Any]]
NodeDone = t.Callable[[str, str, t.Dict[str, t.Any]], None]
# (settings, session pool, node, its target state, the phase deadline) -> the node's compact result
NodeTask = t.Callable[..., t.Dict[str, t.Any]]
APPLY_PHASE = "apply"
PUT_BACK_PHASE = "put back"
READ_PHASE = "read"
MAX_PLAN_AGE_SECONDS = 366 * 86400.0


@dataclass
class Settings:
    """Validated input shared by both entry points (each node's connection options are in its NodeTarget)."""

    workers: int
    deadline_seconds: float | None
    record: RunRecord | None
    sleep: t.Callable[[float], None] | None
    # called from the worker threads as each node finishes a phase: (phase, node, compact result)
    on_node_done: NodeDone | None = None


FINISHED_STATE = "finished"


def run_cluster_transaction(nodes: list[dict[str, t.Any]], group: object, state: str, options: dict[str, t.Any],
                            check_mode: bool = False, workers: int = DEFAULT_WORKERS, deadline_seconds: float | None = None,
                            record_dir: str | None = None, run_id: str | None = None,
                            sleep: t.Callable[[float], None] | None = None, lock_wait_seconds: float = 0.0,
                            on_node_done: NodeDone | None = None, saved_plan: object = None,
                            plan_max_age: object = None, now: t.Callable[[], float] = time.time,
                            record_dir_shared: bool = False, allow_unfinished: bool = False,
                            announce: t.Callable[[str], None] | None = None) -> dict[str, t.Any]:
    """Apply ``state`` of ``group`` on every node, all or nothing; the artifact plus ``changed``, ``failed``, ``msg``.

    The artifact keys are those the role publishes as ``clusterops_groups_result`` (operation, group, run_id,
    outcome, check_mode, record, nodes). Raises InvalidInput, before any request, on bad input, and RunLockBusy
    when another run of the group holds the lock of ``record_dir`` for longer than ``lock_wait_seconds``.

    With ``saved_plan`` (``_saved_plan.load_saved_plan`` input): raises SavedPlanRefused before any request when the
    plan is for another run, too old (``plan_max_age`` seconds) or the node set or a URL changed, and, after taking
    the lock and reading every node (the run's first read), before any write when a node moved since the plan.

    With ``record_dir`` (not in check mode) the run is opened under the lock (``_run_opening``): refused when its
    run id has a record or its group an unfinished run (unless ``allow_unfinished``), else ``announce`` gets the
    line that names it and its finish command, before the first request.
    """
    name = validate_group_name(group)
    state = validate_state(state)
    targets = validate_nodes(nodes, options)
    run_id = validate_run_id(run_id) if run_id else new_run_id()
    plan, max_age = _loaded_plan(saved_plan, plan_max_age)
    settings = phase_settings(workers, deadline_seconds, record_dir, run_id, sleep, on_node_done, record_shared=record_dir_shared)
    if settings.record is not None:  # a record another user could have written is refused before any request
        settings.record.verify()
    # check mode writes nothing and takes no lock; inside the role the role's own lock is re-entered, not taken
    lock = (_run_lock.acquire(record_dir, name, run_id, lock_wait_seconds, shared=record_dir_shared)
            if record_dir and not check_mode else None)
    try:
        if plan is not None:  # after the lock wait, so the plan's age is its age when the reads start
            _refuse_plan_before_read(plan, max_age, OPERATION_BY_STATE[state], name, targets, now())
        finish_dir = None if is_default_record_path(record_dir) else record_dir
        with opened_run(None if check_mode else settings.record, name, OPERATION_BY_STATE[state],
                        lambda opened_id: _summary.finish_command(opened_id, name, finish_dir), allow_unfinished, announce):
            return _transact(settings, targets, name, state, run_id, check_mode, record_dir, plan)
    finally:
        _run_lock.release(lock)


def _loaded_plan(saved_plan: object, plan_max_age: object) -> tuple[dict[str, t.Any] | None, float | None]:
    """The saved plan this run must follow, checked (None without one), and its max age; InvalidInput before any
    request."""
    if saved_plan is None:
        if plan_max_age is not None:
            raise InvalidInput("plan_max_age limits the age of a saved plan: set plan too, or drop it", option="plan_max_age")
        return None, None
    max_age = validate_plan_max_age(plan_max_age)
    return _saved_plan.load_saved_plan(saved_plan), max_age


def _refuse_plan_before_read(plan: dict[str, t.Any], max_age: float | None, operation: str, group: str,
                             targets: list[NodeTarget], now: float) -> None:
    refusals = _saved_plan.refusals_before_read(plan, operation, group, {target.name: target.api_url for target in targets},
                                                now, max_age)
    if refusals:
        raise _saved_plan.SavedPlanRefused(refusals, group)


def _transact(settings: Settings, targets: list[NodeTarget], name: str, state: str, run_id: str, check_mode: bool,
              record_dir: str | None, plan: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    operation = OPERATION_BY_STATE[state]
    observed = _read_against_plan(settings, targets, name, plan) if plan is not None else None
    apply_results = _run_phase(settings, [(target, state) for target in targets], name, check_mode, recorded=True,
                               phase=APPLY_PHASE, observed=observed)
    record = settings.record.load() if settings.record is not None else None
    put_back = _transaction.put_back_targets(apply_results, record, check_mode=check_mode)
    by_name = {target.name: target for target in targets}
    compensation = [(by_name[node], target_state) for node, target_state in put_back.items()]
    compensation_results = _run_phase(settings, compensation, name, False, recorded=True, phase=PUT_BACK_PHASE)
    account = _transaction.build_account(operation, name, run_id, apply_results, put_back, compensation_results, record, check_mode)
    if settings.record is not None and not check_mode:
        settings.record.record_run_outcome(account["record"]["run"])
    changed = any(result.get("changed") for result in list(apply_results.values()) + list(compensation_results.values())
                  if result is not None)
    if plan is not None:
        account["saved_plan"] = {key: plan[key] for key in ("created", "fingerprint", "changes")}
    return _with_status(account, changed, record_dir)


def _read_against_plan(settings: Settings, targets: list[NodeTarget], group: str,
                       plan: dict[str, t.Any]) -> dict[str, bool]:
    """Every node's first read (GET only), compared with the plan: ``{node: exists}``; SavedPlanRefused if one moved."""
    reads = read_every_node(settings, targets, group)
    moved = _saved_plan.moved_nodes(plan, reads)
    if moved:
        raise _saved_plan.SavedPlanRefused(moved, group)
    return {node: bool(t.cast(dict, read)["exists"]) for node, read in reads.items()}


def finish_cluster_transaction(record: t.Mapping[str, t.Any], options: dict[str, t.Any], workers: int = DEFAULT_WORKERS,
                               deadline_seconds: float | None = None, record_dir: str | None = None,
                               sleep: t.Callable[[float], None] | None = None,
                               on_node_done: NodeDone | None = None, group: object = None,
                               nodes: t.Sequence[t.Mapping[str, t.Any]] | None = None,
                               record_dir_shared: bool = False) -> dict[str, t.Any]:
    """Put every recorded node of an unsettled run back to its prior state (what finish_rollback.yml does).

    ``record`` is ``RunRecord.load()`` or the artifact's ``record``; nodes absent from it are never touched.
    With ``record_dir`` the finish outcome is kept in the run's ``run.json``. With ``group``, a record of another
    group is refused. ``nodes``: ``{name, api_url, own connection options}`` of recorded nodes (the inventory's), each
    node's own options over ``options``; a node is sent to the inventory's URL, and a record naming another URL for it
    is refused (``_transaction.finish_refusals``). Idempotent.
    """
    if not isinstance(record, t.Mapping) or not record.get("run_id"):
        raise InvalidInput("the record to finish needs a run_id (a RunRecord.load() or an artifact's record)", option="record")
    files = RunRecord(record_dir, str(record["run_id"]), shared=record_dir_shared) if record_dir else None
    inventory_nodes = _refuse_finish_before_any_request(record, files, group, nodes)
    targets_by_node = _transaction.finish_targets(record, inventory_nodes)
    targets = targets_with_connections(finish_entries(targets_by_node, nodes or []), options)
    group = _transaction.record_group(record)
    results: dict[str, NodeResult] = {}
    if targets:
        settings = phase_settings(workers, deadline_seconds, None, str(record["run_id"]), sleep, on_node_done)
        group = validate_group_name(group)
        calls = [(target, targets_by_node[target.name]["state"]) for target in targets]
        # never recorded again: the record must keep the state from before the original run
        results = _run_phase(settings, calls, group, False, recorded=False, phase=PUT_BACK_PHASE)
    account = _transaction.finish_account(record, results)
    if files is not None:
        files.record_run_outcome(account["record"]["run"])
    changed = any(result.get("changed") for result in results.values() if result is not None)
    return _with_status(account, changed, record_dir)


def _refuse_finish_before_any_request(record: t.Mapping[str, t.Any], files: RunRecord | None, group: object,
                                      inventory_nodes: t.Sequence[t.Mapping[str, t.Any]] | None) -> list[dict[str, str]]:
    """Refuse files that are not ours, a damaged record, a record of another group or naming another URL than the
    inventory for a node; the inventory's nodes, checked, for ``finish_targets``."""
    if files is not None:
        files.verify()
    damage = _transaction.record_damage(record, files.node_path if files else None)
    if damage:
        raise RunRecordError("the record of run %s is damaged, nothing was sent: %s" % (record["run_id"], "; ".join(damage)))
    checked = [{"name": str(node.get("name")), "api_url": validate_api_url(node.get("api_url"))} for node in inventory_nodes or []]
    refusals = _transaction.finish_refusals(record, _transaction.record_group(record) if group is None else group, checked)
    if refusals:
        raise InvalidInput("nothing was sent: %s" % "; ".join(refusals), option="record")
    return checked


def _with_status(account: dict[str, t.Any], changed: bool, record_dir: str | None) -> dict[str, t.Any]:
    failure = _summary.failure_message(account, record_dir)
    message = failure or _summary.headline(account)
    return dict(account, changed=changed, failed=bool(failure), msg=message)


# ---- input ----

def cluster_connection_options(params: t.Mapping[str, t.Any], module: str) -> dict[str, t.Any]:
    """A cluster-wide module's connection options, the defaults of every node (a node's own options beat them; each
    node's URL is its own); ``hosts`` refused.

    ``hosts`` is resolved into ``nodes`` by the module's action plugin; a module run on its own has no inventory.
    """
    if params.get("hosts") is not None:
        raise InvalidInput("hosts is resolved on the controller by the %s action plugin; a module run on its own needs "
                           "nodes" % module, option="hosts")
    return {name: params.get(name) for name in NODE_CONNECTION_OPTIONS if params.get(name) is not None}


def validate_plan_max_age(plan_max_age: object) -> float | None:
    return _optional_seconds(plan_max_age, "plan_max_age", MAX_PLAN_AGE_SECONDS)


def validate_workers(workers: object) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or not MIN_WORKERS <= workers <= MAX_WORKERS:
        raise InvalidInput("workers must be an integer from %d to %d, got %r" % (MIN_WORKERS, MAX_WORKERS, workers), option="workers")
    return workers


def validate_deadline(deadline_seconds: object) -> float | None:
    return _optional_seconds(deadline_seconds, "deadline", MAX_DEADLINE_SECONDS)


def _optional_seconds(value: object, option: str, maximum: float) -> float | None:
    """None, or a finite number of seconds in (0, maximum]; anything else is refused naming ``option``."""
    if value is None:
        return None
    valid = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not valid or not 0 < t.cast(float, value) <= maximum:
        raise InvalidInput("%s must be a number of seconds greater than 0 and at most %s, got %r" % (option, maximum, value),
                           option=option)
    return float(t.cast(float, value))


def phase_settings(workers: object, deadline_seconds: object, record_dir: str | None, run_id: str,
                   sleep: t.Callable[[float], None] | None, on_node_done: NodeDone | None = None,
                   record_shared: bool = False) -> Settings:
    record = RunRecord(record_dir, run_id, shared=record_shared) if record_dir else None
    return Settings(validate_workers(workers), validate_deadline(deadline_seconds), record, sleep, on_node_done)


# ---- the worker pool ----

def _run_phase(settings: Settings, calls: list[tuple[NodeTarget, str]], group: str, check_mode: bool,
               recorded: bool, phase: str = APPLY_PHASE, observed: t.Mapping[str, bool] | None = None) -> dict[str, NodeResult]:
    """``ensure_group`` on every (node, state) in parallel; ``{node: compact result}`` in the order of ``calls``.

    ``observed``: each node's first read, made already (then ``ensure_group`` sends no first GET)."""
    node_task = functools.partial(_ensure_on_node, group=group, check_mode=check_mode, recorded=recorded,
                                  observed=observed or {})
    return run_node_phase(settings, calls, node_task, phase)


def run_node_phase(settings: Settings, calls: list[tuple[NodeTarget, str]], node_task: NodeTask,
                   phase: str) -> dict[str, NodeResult]:
    """``node_task(settings, pool, target, state, deadline)`` for every call, at most ``settings.workers`` at once."""
    if not calls:
        return {}
    deadline = None if settings.deadline_seconds is None else time.monotonic() + settings.deadline_seconds
    pool = SessionPool(min(settings.workers, len(calls)), len(calls))
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=min(settings.workers, len(calls)),
                                                     thread_name_prefix="clusterops-node")
    not_done: t.Set[concurrent.futures.Future] = set()
    try:
        futures = {
            executor.submit(_guarded, node_task, settings, pool, target, state, deadline): target.name
            for target, state in calls
        }
        if settings.on_node_done is not None:
            for future, node in futures.items():
                future.add_done_callback(_reporter(settings.on_node_done, phase, node))
        wait_seconds = None if deadline is None else settings.deadline_seconds + DEADLINE_GRACE_SECONDS
        done, not_done = concurrent.futures.wait(futures, timeout=wait_seconds)
        finished = {futures[future]: future.result() for future in done}
    finally:
        # every request attempt ends by the deadline (_request_deadline), so the workers are joined: none may keep the
        # process alive; only one stuck past the grace period (not in a request: a hung disk) is left behind
        executor.shutdown(wait=deadline is None or not not_done, cancel_futures=True)
        pool.close()
    return {target.name: finished.get(target.name, _not_finished(target, settings.deadline_seconds)) for target, _state in calls}


def _reporter(on_node_done: NodeDone, phase: str, node: str) -> t.Callable[[concurrent.futures.Future], None]:
    def report(future: concurrent.futures.Future) -> None:
        if not future.cancelled():
            on_node_done(phase, node, future.result())
    return report


def _not_finished(target: NodeTarget, deadline_seconds: float | None) -> dict[str, t.Any]:
    # no module answer: the policy falls back to the record (written before any write)
    return {"failed": True, "unreachable": True, "msg": NOT_FINISHED_MSG % (target.name, deadline_seconds)}


def _ensure_on_node(settings: Settings, pool: SessionPool, target: NodeTarget, state: str, deadline: float | None, *,
                    group: str, check_mode: bool, recorded: bool, observed: t.Mapping[str, bool]) -> dict[str, t.Any]:
    """One node, as ``clusterops.groups.group`` does it (record before the write), as a compact result."""
    base = dict(EnsureResult().to_result(), group=group, state=state)
    if deadline is not None and time.monotonic() >= deadline:
        return _compact(dict(base, failed=True, msg=NOT_FINISHED_MSG % (target.name, settings.deadline_seconds)))
    client = node_client(pool, target, settings, deadline)
    recorder = NodeRecorder(settings.record if recorded else None, target.name, client.node_url, group, state)
    try:
        outcome = ensure_group(client, group, state, check_mode=check_mode, before_write=recorder.intent,
                               existed_before=observed.get(target.name))
    except ClusterOpsError as error:
        error.add_facts(**base)
        recorder.outcome_after_failure(error)
        return _compact(dict(error.to_result(), failed=True))
    result = dict(outcome.to_result(), group=group, state=state)
    try:
        recorder.outcome(result)
    except ClusterOpsError as error:
        # the node is in the wanted state but the record is not: fail, with the facts the policy needs
        return _compact(dict(error.add_facts(**result).to_result(), failed=True))
    return _compact(result)


def read_every_node(settings: Settings, targets: list[NodeTarget], group: str) -> dict[str, NodeResult]:
    """``read_on_node`` on every node, at most ``settings.workers`` at once: ``{node: read}`` (GETs only)."""
    return run_node_phase(settings, [(target, "") for target in targets], functools.partial(read_on_node, group=group),
                          READ_PHASE)


def read_on_node(settings: Settings, pool: SessionPool, target: NodeTarget, _state: str, deadline: float | None, *,
                 group: str) -> dict[str, t.Any]:
    """One node's conclusive read of the group (GET only): ``{exists, requests}``, or ``{failed, exists: None, msg}``."""
    if deadline is not None and time.monotonic() >= deadline:
        return {"failed": True, "exists": None, "msg": NOT_FINISHED_MSG % (target.name, settings.deadline_seconds)}
    client = node_client(pool, target, settings, deadline)
    try:
        reply = read_group_reply(client, group)
    except ClusterOpsError as error:
        return {"failed": True, "exists": None, "msg": error.to_result().get("msg", str(error))}
    return {"exists": reply.status != 404, "requests": client.request_count}


def _guarded(node_task: NodeTask, settings: Settings, pool: SessionPool, target: NodeTarget, *args: t.Any) -> dict[str, t.Any]:
    """A bug must not end the run before compensation: an unexpected error makes the node's answer unknown."""
    try:
        return node_task(settings, pool, target, *args)
    except Exception as error:  # pylint: disable=broad-exception-caught
        # no module answer: the policy falls back to the record, as for a node that never answered
        return {"failed": True, "unreachable": True, "msg": "node %s: unexpected %s: %s" % (target.name, type(error).__name__, error)}


def _compact(result: dict[str, t.Any]) -> dict[str, t.Any]:
    return {key: result[key] for key in COMPACT_RESULT_FIELDS if key in result}


def node_client(pool: SessionPool, target: NodeTarget, settings: Settings, deadline: float | None) -> NodeClient:
    """A client for ``target`` with ITS connection settings, on this thread's Session for its TLS settings."""
    return NodeClient(session=pool.session(verify_setting(target.connection)), sleep=settings.sleep, deadline=deadline,
                      **client_settings(dict(target.connection, api_url=target.api_url)))
