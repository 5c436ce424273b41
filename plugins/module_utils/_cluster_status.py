# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""The cluster-wide read: the group's state on every node (GETs only), over the fast path's bounded worker pool.

The same conclusive read as ``clusterops.groups.group_info`` (``_group_state.read_group_reply``) and the same account
as the role's status path (``_transaction.status_account``): only the orchestration differs. ``plan_cluster`` makes
the saved plan (``_saved_plan.build_saved_plan``) from the same reads.
"""
from __future__ import annotations

import time
import typing as t

from ansible_collections.clusterops.groups.plugins.module_utils import _saved_plan, _summary, _transaction
from ansible_collections.clusterops.groups.plugins.module_utils._cluster_transaction import (
    DEFAULT_WORKERS, NodeDone, NodeTarget, phase_settings, read_every_node, validate_nodes,
)
from ansible_collections.clusterops.groups.plugins.module_utils._group_name import validate_group_name
from ansible_collections.clusterops.groups.plugins.module_utils._group_state import OPERATION_BY_STATE, validate_state


def read_cluster_status(nodes: list[dict[str, t.Any]], group: object, options: dict[str, t.Any],
                        workers: int = DEFAULT_WORKERS, deadline_seconds: float | None = None,
                        sleep: t.Callable[[float], None] | None = None, on_node_done: NodeDone | None = None,
                        run_coverage: t.Mapping[str, t.Any] | None = None) -> dict[str, t.Any]:
    """The status account (outcome present, absent, divergent or unknown) plus ``changed``, ``failed`` and ``msg``.

    Raises InvalidInput, before any request, on bad input. Never writes.
    """
    name = validate_group_name(group)
    targets = validate_nodes(nodes, options)
    results = _read_every_node(targets, name, workers, deadline_seconds, sleep, on_node_done)
    account = _transaction.status_account(name, results, run_coverage)
    return _with_message(account)


def plan_cluster(nodes: list[dict[str, t.Any]], group: object, state: object, options: dict[str, t.Any],
                 workers: int = DEFAULT_WORKERS, deadline_seconds: float | None = None,
                 sleep: t.Callable[[float], None] | None = None, on_node_done: NodeDone | None = None,
                 now: t.Callable[[], float] = time.time) -> dict[str, t.Any]:
    """The saved plan of making ``state`` of ``group`` on every node (GETs only) plus ``changed``, ``failed``, ``msg``.

    Failed (outcome not_applicable) when a node could not be read: such a plan is refused by the apply.
    """
    name = validate_group_name(group)
    operation = OPERATION_BY_STATE[validate_state(state)]
    targets = validate_nodes(nodes, options)
    reads = _read_every_node(targets, name, workers, deadline_seconds, sleep, on_node_done)
    plan = _saved_plan.build_saved_plan(operation, name, reads, {target.name: target.api_url for target in targets}, now())
    return _with_message(plan)


def _read_every_node(targets: list[NodeTarget], name: str, workers: int,
                     deadline_seconds: float | None, sleep: t.Callable[[float], None] | None,
                     on_node_done: NodeDone | None) -> dict[str, t.Any]:
    settings = phase_settings(workers, deadline_seconds, None, "", sleep, on_node_done)
    return read_every_node(settings, targets, name)


def _with_message(account: dict[str, t.Any]) -> dict[str, t.Any]:
    failure = _summary.failure_message(account, None)
    return dict(account, changed=False, failed=bool(failure), msg=failure or _summary.headline(account))
