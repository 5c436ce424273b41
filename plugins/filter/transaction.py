# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that bring the transaction policy (module_utils/_transaction.py) to the group_transaction role.

Each filter is documented in the plugins/filter/<filter name>.yml file next to this one.
"""
from __future__ import annotations

import json
import os
import typing as t

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.clusterops.groups.plugins.module_utils import _run_lock, _run_opening, _saved_plan, _summary, _transaction
from ansible_collections.clusterops.groups.plugins.module_utils._errors import ClusterOpsError
from ansible_collections.clusterops.groups.plugins.module_utils._group_name import GROUP_NAME_RULE, validate_group_name
from ansible_collections.clusterops.groups.plugins.module_utils._node_identity import duplicate_nodes_message, node_targets as _node_targets
from ansible_collections.clusterops.groups.plugins.module_utils._run_scope import (
    choose_path, coverage, run_scope_errors as _run_scope_errors,
)
from ansible_collections.clusterops.groups.plugins.module_utils._group_state import OPERATION_BY_STATE, validate_state
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import (
    RunRecord, is_default_record_path, new_run_id, prune_runs, record_path as _record_path, validate_run_id,
)
from ansible_collections.clusterops.groups.plugins.plugin_utils._untrusted import untrusted_result


def group_name_error(value: object) -> str:
    """Empty when ``value`` is a valid group name, else the sentence that says what is wrong."""
    if value is None or value == "":
        return "the group name is missing: pass it with -e group=<name> (%s)" % GROUP_NAME_RULE
    try:
        validate_group_name(_plain(value))
    except ClusterOpsError as error:
        return error.msg
    return ""


def _plain(value: object) -> object:
    """The plain Python value behind Ansible's tagged templating types (so messages say int, not a tag class)."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return value


def _flag(value: object, name: str) -> bool:
    """A role variable that must be a boolean (a string 'yes' from -e included), named in the error."""
    try:
        return boolean(_plain(value), strict=True)
    except TypeError as error:
        raise AnsibleFilterError("%s must be true or false: %s" % (name, error)) from None


def host_results(hosts: t.Iterable[str], hostvars: t.Mapping[str, t.Any], variable: str) -> dict[str, t.Any]:
    """``{host: hostvars[host][variable]}``, ``None`` for a host that never registered it (unreachable)."""
    results: dict[str, t.Any] = {}
    for host in hosts:
        host_variables = hostvars.get(host) or {}
        results[host] = host_variables.get(variable) if variable in host_variables else None
    return results


def node_targets(hosts: t.Iterable[str], hostvars: t.Mapping[str, t.Any]) -> list[dict[str, str]]:
    """``[{name, api_url}]``: each host's node URL as the role takes it (group_transaction_api_url, cluster_api_url)."""
    return _node_targets(hosts, hostvars)


def duplicate_nodes_error(targets: t.Iterable[t.Mapping[str, str]]) -> str:
    """Empty when every target names its own node, else the one line that says which hosts share one."""
    return duplicate_nodes_message({str(target["name"]): str(target["api_url"]) for target in targets})


def run_scope_errors(scope: t.Mapping[str, t.Any], hostvars: t.Optional[t.Mapping[str, t.Any]] = None) -> list[str]:
    """Every reason to refuse a run that does not cover the cluster (module_utils/_run_scope.py)."""
    plain = t.cast(t.Mapping[str, t.Any], _plain(dict(scope)))
    members = list(plain.get("members") or [])
    first_member = (hostvars or {}).get(members[0]) if members and hostvars is not None else None
    expected_count = (first_member or {}).get("cluster_node_count")
    try:
        return _run_scope_errors(plain, expected_count)
    except ValueError as error:
        raise AnsibleFilterError(str(error)) from error


def run_lock(record_dir: str, group: str, run_id: str, wait_seconds: object = 0, enabled: bool = True,
             shared: object = False) -> dict[str, t.Any]:
    """Take the group's run lock in ``record_dir``: ``{acquired, owned, path, holder}`` or ``{acquired: false, msg}``.

    Never raises for a busy lock or an untrusted record directory: the role fails with ``msg`` in its own task.
    Disabled (check mode): no lock. ``shared``: group_transaction_record_dir_shared (module_utils/_record_trust.py).
    """
    if not enabled:
        return {"acquired": True, "owned": False}
    try:
        return dict(_run_lock.acquire(os.path.expanduser(str(record_dir)), str(group), str(run_id), float(str(wait_seconds)),
                                      shared=_flag(shared, "group_transaction_record_dir_shared")),
                    acquired=True)
    except ClusterOpsError as error:
        return {"acquired": False, "owned": False, "msg": error.msg}


def open_run(record_dir: str, group: str, run_id: str, operation: str, shared: bool = False,
             allow_unfinished: bool = False) -> dict[str, t.Any]:
    """Open the run under its lock, before its first write (``_run_opening.open_run``): ``{opened, line}`` (the line
    to print: run id, record, finish command) or ``{opened: false, msg}`` when it is refused. Never raises for a
    refusal: the role fails with ``msg`` in its own task."""
    directory = os.path.expanduser(str(record_dir))
    finish_dir = None if is_default_record_path(directory) else directory
    try:
        record = RunRecord(directory, str(run_id), shared=bool(shared))
        opened = _run_opening.open_run(record, str(group), str(operation),
                                       lambda opened_id: _summary.finish_command(opened_id, str(group), finish_dir),
                                       allow_unfinished=bool(allow_unfinished))
    except ClusterOpsError as error:
        return {"opened": False, "msg": error.msg}
    return {"opened": True, "line": _run_opening.run_line(record, opened)}


def run_lock_release(lock: t.Optional[t.Mapping[str, t.Any]]) -> dict[str, t.Any]:
    """Release what ``run_lock`` took (nothing when it took nothing); ``{released}``."""
    try:
        return {"released": _run_lock.release(_plain(dict(lock or {})))}  # type: ignore[arg-type]
    except ClusterOpsError as error:
        raise AnsibleFilterError(error.msg) from error


def run_record(record_dir: str, run_id: str, keep_damaged: bool = False, shared: object = False) -> dict[str, t.Any]:
    """The durable record of a run (``RunRecord.load()``), empty when no write was ever attempted.

    ``keep_damaged``: an unreadable node file becomes a damaged entry (``finish_record_errors`` names it).
    A directory or file another user could have written is an error (``shared``: module_utils/_record_trust.py).
    """
    empty: dict[str, t.Any] = {"run_id": run_id, "run": None, "nodes": {}}
    if not run_id:
        raise AnsibleFilterError("run_record needs a run id")
    directory = os.path.expanduser(str(record_dir))
    try:
        record = RunRecord(directory, str(run_id), shared=_flag(shared, "group_transaction_record_dir_shared"))
        if not record.verify():
            return empty
        return dict(record.load(keep_damaged=bool(keep_damaged)))
    except ClusterOpsError as error:
        raise AnsibleFilterError(error.msg) from error


def run_id(requested: object) -> str:
    """``requested`` checked as a run id, or a new run id when it is empty (the one format, ``_run_record.new_run_id``)."""
    try:
        return validate_run_id(_plain(requested)) if requested else new_run_id()
    except ClusterOpsError as error:
        raise AnsibleFilterError(error.msg) from error


def operation(state: object) -> str:
    """The operation of a requested state: present -> create, absent -> delete (``_group_state.OPERATION_BY_STATE``)."""
    try:
        return OPERATION_BY_STATE[validate_state(state)]
    except ClusterOpsError as error:
        raise AnsibleFilterError(error.msg) from error


def record_path(record_dir: object) -> str:
    """The absolute record directory: ``record_dir``, else env CLUSTEROPS_RECORD_DIR, else ~/.clusterops/records."""
    return _record_path(_plain(record_dir))


def keep_run_outcome(account: t.Mapping[str, t.Any], record_dir: str, records_kept: object = 0,
                     shared: object = False) -> dict[str, t.Any]:
    """Keep the account's run outcome in the run's ``run.json`` through RunRecord, its only writer, then remove
    the settled runs beyond the newest ``records_kept`` (0: none removed).

    ``{kept, removed}``: kept is false when the file already held it (the fast path's module wrote it).
    """
    try:
        keep = int(records_kept)  # type: ignore[call-overload]
    except (TypeError, ValueError) as error:
        raise AnsibleFilterError("records_kept must be a whole number, got %r" % (records_kept,)) from error
    try:
        record = RunRecord(str(record_dir), str(account["run_id"]), shared=_flag(shared, "group_transaction_record_dir_shared"))
        kept = record.record_run_outcome(_plain(dict(account["record"]["run"])))  # type: ignore[arg-type]
        return {"kept": kept, "removed": prune_runs(str(record_dir), keep, current_run_id=record.run_id)}
    except ClusterOpsError as error:
        raise AnsibleFilterError(error.msg) from error
    except (KeyError, TypeError) as error:
        raise AnsibleFilterError("keep_run_outcome needs an account with run_id and record.run: %s" % error) from error


def put_back_targets(results: t.Mapping[str, t.Any], record: t.Optional[t.Mapping[str, t.Any]] = None,
                     check_mode: bool = False) -> dict[str, str]:
    return _transaction.put_back_targets(results, record, check_mode=bool(check_mode))


def transaction_account(results: t.Mapping[str, t.Any], operation: str, group: str, run_id: str,
                        put_back: t.Mapping[str, str], compensation_results: t.Mapping[str, t.Any],
                        record: t.Optional[t.Mapping[str, t.Any]] = None, check_mode: bool = False) -> dict[str, t.Any]:
    if operation not in OPERATION_BY_STATE.values():
        raise AnsibleFilterError("unknown operation %r" % operation)
    return _transaction.build_account(operation, group, run_id, results, put_back, compensation_results or {},
                                      record, check_mode=bool(check_mode))


def transaction_report(account: t.Mapping[str, t.Any], record_dir: t.Optional[str] = None) -> dict[str, t.Any]:
    """``{lines, failure, node_failures}``: the summary to print, the final failure message (empty on success) and,
    per node that needs attention in a failed run, the message its PLAY RECAP failure carries.

    ``record_dir`` is named in the finish command only when it is not the default one.
    """
    finish_record_dir = None if is_default_record_path(record_dir) else record_dir
    # the summary lists each node and its error once: the failure does not repeat them
    failure = _summary.failure_message(account, finish_record_dir, with_nodes=False)
    return {"lines": _summary.summary_lines(account), "failure": failure,
            "node_failures": _summary.node_failures(account, failure)}


def finish_targets(record: t.Mapping[str, t.Any],
                   inventory_nodes: t.Optional[t.Iterable[t.Mapping[str, t.Any]]] = None) -> dict[str, dict[str, str]]:
    """``{node: {api_url, state}}``; a node in ``inventory_nodes`` (``finish_inventory_nodes``) keeps the inventory's URL."""
    return _transaction.finish_targets(record, _plain(list(inventory_nodes or [])))  # type: ignore[arg-type]


def finish_inventory_nodes(record: t.Mapping[str, t.Any], hostvars: t.Mapping[str, t.Any]) -> list[dict[str, str]]:
    """``[{name, api_url}]``: the nodes a finish would send to that are inventory hosts, with the inventory's URL."""
    return _node_targets([node for node in _transaction.finish_targets(record) if node in hostvars], hostvars)


def finish_refusals(record: t.Mapping[str, t.Any], group: object,
                    inventory_nodes: t.Optional[t.Iterable[t.Mapping[str, t.Any]]] = None) -> list[str]:
    """Why a finish must send nothing: a record of another group, or a node's URL that is not the inventory's."""
    return _transaction.finish_refusals(_plain(dict(record)), _plain(group),  # type: ignore[arg-type]
                                        _plain(list(inventory_nodes or [])))  # type: ignore[arg-type]


def finish_record_errors(record: t.Mapping[str, t.Any], record_dir: t.Optional[str] = None) -> list[str]:
    """One line per node of the record that finish_rollback cannot trust, naming the node and its file."""
    run_id = str(record.get("run_id") or "")
    node_file = None
    if record_dir and run_id:
        files = RunRecord(os.path.expanduser(str(record_dir)), run_id)
        node_file = files.node_path
    return _transaction.record_damage(_plain(dict(record)), node_file)  # type: ignore[arg-type]


def finish_account(record: t.Mapping[str, t.Any], results: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return _transaction.finish_account(record, results)


def status_account(results: t.Mapping[str, t.Any], group: str,
                   run_coverage: t.Optional[t.Mapping[str, t.Any]] = None) -> dict[str, t.Any]:
    return _transaction.status_account(group, results, run_coverage)


def status_coverage(account: t.Mapping[str, t.Any], run_coverage: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The status account with the hosts a run left out (``_transaction.with_status_coverage``)."""
    return _transaction.with_status_coverage(t.cast(t.Mapping[str, t.Any], _plain(dict(account))),
                                             t.cast(t.Mapping[str, t.Any], _plain(dict(run_coverage))))


def transaction_path(setting: object, node_count: int, auto_above: object) -> str:
    """``cluster_wide`` or ``per_host``: which path a run takes (``_run_scope.choose_path``)."""
    try:
        return choose_path(_plain(setting), int(node_count), _plain(auto_above))
    except ValueError as error:
        raise AnsibleFilterError(str(error)) from error


def run_coverage(members: t.Iterable[str], play_hosts: t.Iterable[str]) -> dict[str, list[str]]:
    """``{members, covered, missing}``: the cluster's hosts, those this play runs on, those it leaves out."""
    return coverage(list(members), list(play_hosts))


def plan_exit_hosts(plan: t.Mapping[str, t.Any] | None, error: object = "", detailed: object = False) -> str:
    """The hosts of plan_group.yml's last play, which make its exit code: ``!all`` (0), ``localhost`` (its one task
    fails: 2, changes planned); an error is raised (1) when the plan could not be made. Not detailed: ``!all``."""
    try:
        detailed = boolean(_plain(detailed), strict=True)
    except TypeError as type_error:
        raise AnsibleFilterError("plan_detailed_exitcode must be true or false: %s" % type_error) from None
    if not detailed:
        return "!all"
    code, why = _saved_plan.detailed_exit_code(_plain(plan) or None, str(_plain(error) or ""))  # type: ignore[arg-type]
    if code == _saved_plan.PLAN_ERROR:
        # ansible-playbook ends with its own error code for this: 1 up to ansible-core 2.18, 4 from 2.19
        raise AnsibleFilterError("the plan failed (plan_detailed_exitcode: an error, neither 0 nor 2): %s" % why)
    return "localhost" if code == _saved_plan.EXIT_CHANGES_PLANNED else "!all"


def saved_plan_errors(saved_plan: object, given: t.Mapping[str, t.Any] | None = None, plan_max_age: object = "") -> list[str]:
    """The refusals of the role's plan arguments (``_saved_plan.saved_plan_argument_errors``); ``given`` says which of
    ``plan`` and ``plan_max_age`` the playbook's caller passed as extra vars."""
    given = _plain(given) or {}  # type: ignore[assignment]
    return _saved_plan.saved_plan_argument_errors(_plain(saved_plan), bool(given.get("plan")), _plain(plan_max_age),  # type: ignore[union-attr]
                                                  bool(given.get("plan_max_age")))  # type: ignore[union-attr]


class FilterModule:
    """The transaction policy as filters (clusterops.groups.<name>); every result is data, never a template
    (plugin_utils/_untrusted.py: it carries text from nodes and record files)."""

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {name: untrusted_result(function) for name, function in {
            "group_name_error": group_name_error,
            "transaction_path": transaction_path,
            "run_coverage": run_coverage,
            "status_coverage": status_coverage,
            "host_results": host_results,
            "node_targets": node_targets,
            "duplicate_nodes_error": duplicate_nodes_error,
            "run_scope_errors": run_scope_errors,
            "run_lock": run_lock,
            "run_lock_release": run_lock_release,
            "open_run": open_run,
            "run_record": run_record,
            "run_id": run_id,
            "operation": operation,
            "record_path": record_path,
            "keep_run_outcome": keep_run_outcome,
            "put_back_targets": put_back_targets,
            "transaction_account": transaction_account,
            "transaction_report": transaction_report,
            "finish_targets": finish_targets,
            "finish_inventory_nodes": finish_inventory_nodes,
            "finish_refusals": finish_refusals,
            "finish_account": finish_account,
            "finish_record_errors": finish_record_errors,
            "status_account": status_account,
            "plan_exit_hosts": plan_exit_hosts,
            "saved_plan_errors": saved_plan_errors,
        }.items()}
