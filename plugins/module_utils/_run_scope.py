# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""Does this run cover the whole cluster? The refusals that come before any request (docs/transaction.md).

All or nothing holds only over the nodes a run sees. A ``--limit`` (AWX: Limit), a ``hosts`` pattern narrower
than the cluster group, an AWX job slice, an empty or mistyped cluster group, or stray words in ``-e`` each
make a run that looks green while the cluster is not what was asked. Pure functions over what the play knows;
the role reaches them through the ``run_scope_errors`` and ``run_scope`` filters.
"""
from __future__ import annotations

import typing as t

PARTIAL_OPT_IN = "allow_partial_cluster"
OPERATIONS = ("create", "delete", "finish_rollback", "status")
NAMES_SHOWN = 5


def _names(names: t.Sequence[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    return shown + (" and %d more" % (len(names) - NAMES_SHOWN) if len(names) > NAMES_SHOWN else "")


def _count(value: object) -> int | None:
    """An integer from an extra var or inventory var (maybe a string), None when absent or not a number."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def coverage(members: t.Iterable[str], play_hosts: t.Iterable[str]) -> dict[str, list[str]]:
    """``{members, covered, missing}``: the cluster's hosts, those this play runs on, those it does not."""
    playing = set(play_hosts)
    member_list = list(dict.fromkeys(members))
    return {"members": member_list, "covered": [host for host in member_list if host in playing],
            "missing": [host for host in member_list if host not in playing]}


def stray_words_error(stray_words: object) -> str:
    if not stray_words:
        return ""
    return ("-e got words that are not key=value (%r): Ansible split a value at a space and kept only its first word; "
            "quote the value for Ansible too, e.g. -e '{\"group\": \"<name>\"}'" % str(stray_words))


def slice_error(slice_count: object, slice_number: object) -> str:
    count = _count(slice_count)
    if count is None or count <= 1:
        return ""
    return ("this job is slice %s of %d of an AWX sliced job: each slice sees only part of the inventory and cannot roll "
            "back another slice; set the job template's Job Slicing to 1" % (_count(slice_number) or "?", count))


def empty_cluster_error(cluster: str, members: t.Sequence[str], expected_count: object) -> str:
    if not members:
        return ("cluster group %r has no hosts: pass an inventory (-i) whose group %r holds the nodes, or name the "
                "group with -e cluster_hosts=<group>" % (cluster, cluster))
    expected = _count(expected_count)
    if expected is not None and expected != len(members):
        return ("cluster group %r has %d hosts but cluster_node_count says %d: the inventory is incomplete or filtered "
                "(an AWX sliced job, a smart inventory); run on the whole inventory" % (cluster, len(members), expected))
    return ""


def partial_error(operation: str, cluster: str, covered: dict[str, list[str]], limit: object, allow_partial: bool) -> str:
    missing = covered["missing"]
    if not missing or allow_partial or operation == "status":
        return ""
    cause = "--limit %s" % limit if limit else "the play's hosts pattern"
    return ("%s refused: this run covers %d of the %d hosts of cluster %r (%s leaves out %s), so it could not be all or "
            "nothing; drop the limit and run on the whole cluster, or pass -e %s=true to give up all-or-nothing for the "
            "hosts left out" % (operation, len(covered["covered"]), len(covered["members"]), cluster, cause,
                                _names(missing), PARTIAL_OPT_IN))


def finish_limit_error(limit: object, play_hosts: t.Sequence[str], allow_partial: bool) -> str:
    """finish_rollback takes its nodes from the record: any limit may skip one of them."""
    if not limit:
        return ""
    if "localhost" not in play_hosts:
        return ("finish_rollback refused: --limit %s leaves out localhost, where the record is read; drop the limit" % limit)
    if allow_partial:
        return ""
    return ("finish_rollback refused: it puts back every node of the record, --limit %s could skip some; drop the limit, "
            "or pass -e %s=true (the nodes left out stay unrestored and the run is not finished)" % (limit, PARTIAL_OPT_IN))


def run_scope_errors(scope: t.Mapping[str, t.Any], expected_count: object = None) -> list[str]:
    """Every reason to refuse this run, one line each (empty: go on).

    ``scope``: operation, cluster (the pattern), members (its hosts in the whole inventory), play_hosts, limit,
    allow_partial, slice_count, slice_number, stray_words. ``expected_count``: the inventory's cluster_node_count.
    """
    operation = str(scope.get("operation"))
    if operation not in OPERATIONS:
        raise ValueError("unknown operation %r" % operation)
    play_hosts = list(scope.get("play_hosts") or [])
    allow_partial = bool(scope.get("allow_partial"))
    errors = [stray_words_error(scope.get("stray_words")), slice_error(scope.get("slice_count"), scope.get("slice_number"))]
    if operation == "finish_rollback":
        errors.append(finish_limit_error(scope.get("limit"), play_hosts, allow_partial))
    else:
        cluster = str(scope.get("cluster"))
        covered = coverage(scope.get("members") or [], play_hosts)
        errors.append(empty_cluster_error(cluster, covered["members"], expected_count))
        if covered["members"]:
            errors.append(partial_error(operation, cluster, covered, scope.get("limit"), allow_partial))
    return [error for error in errors if error]


PATH_CLUSTER_WIDE = "cluster_wide"
PATH_PER_HOST = "per_host"
FAST_PATH_AUTO = "auto"
TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")


def choose_path(setting: object, node_count: int, auto_above: object) -> str:
    """``cluster_wide`` or ``per_host`` for ``group_transaction_fast_path`` (true, false or auto).

    auto takes the cluster-wide path when the run covers more than ``auto_above`` nodes: the per-host path costs
    Ansible tasks per node, which at hundreds of nodes is minutes where the cluster-wide path takes seconds.
    Raises ValueError, naming the variable, for any other setting.
    """
    word = str(setting).strip().lower() if not isinstance(setting, bool) else ("true" if setting else "false")
    threshold = _count(auto_above)
    if threshold is None or threshold < 0:
        raise ValueError("group_transaction_fast_path_auto_above must be a whole number of nodes >= 0, got %r" % (auto_above,))
    if word in TRUE_WORDS:
        return PATH_CLUSTER_WIDE
    if word in FALSE_WORDS:
        return PATH_PER_HOST
    if word == FAST_PATH_AUTO:
        return PATH_CLUSTER_WIDE if node_count > threshold else PATH_PER_HOST
    raise ValueError("group_transaction_fast_path must be true, false or auto, got %r" % (setting,))
