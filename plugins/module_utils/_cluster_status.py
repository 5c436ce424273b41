# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""The cluster-wide read: the group's state on every node (GETs only), over the fast path's bounded worker pool.

The same conclusive read as ``clusterops.groups.group_info`` (``_group_state.read_group_reply``) and the same account
as the role's status path (``_transaction.status_account``): only the orchestration differs.
"""
from __future__ import annotations

import functools
import time
import typing as t

from ansible_collections.clusterops.groups.plugins.module_utils import _summary, _transaction
from ansible_collections.clusterops.groups.plugins.module_utils._cluster_transaction import (
    DEFAULT_WORKERS, NOT_FINISHED_MSG, NodeDone, NodeTarget, SessionPool, Settings, phase_settings, run_node_phase,
    validate_nodes,
)
from ansible_collections.clusterops.groups.plugins.module_utils._connection_options import client_settings
from ansible_collections.clusterops.groups.plugins.module_utils._errors import ClusterOpsError
from ansible_collections.clusterops.groups.plugins.module_utils._group_name import validate_group_name
from ansible_collections.clusterops.groups.plugins.module_utils._group_state import read_group_reply
from ansible_collections.clusterops.groups.plugins.module_utils._transport import NodeClient

READ_PHASE = "read"


def read_cluster_status(nodes: list[dict[str, t.Any]], group: object, options: dict[str, t.Any],
                        workers: int = DEFAULT_WORKERS, deadline_seconds: float | None = None,
                        sleep: t.Callable[[float], None] | None = None, on_node_done: NodeDone | None = None,
                        run_coverage: t.Mapping[str, t.Any] | None = None) -> dict[str, t.Any]:
    """The status account (outcome present, absent, divergent or unknown) plus ``changed``, ``failed`` and ``msg``.

    Raises InvalidInput, before any request, on bad input. Never writes.
    """
    name = validate_group_name(group)
    targets = validate_nodes(nodes)
    settings = phase_settings(options, targets, workers, deadline_seconds, None, "", sleep, on_node_done)
    node_task = functools.partial(_read_on_node, group=name)
    results = run_node_phase(settings, [(target, "") for target in targets], node_task, READ_PHASE)
    account = _transaction.status_account(name, results, run_coverage)
    failure = _summary.failure_message(account, None)
    return dict(account, changed=False, failed=bool(failure),
                msg=failure or _summary.headline(account))


def _read_on_node(settings: Settings, pool: SessionPool, target: NodeTarget, _state: str, deadline: float | None, *,
                  group: str) -> dict[str, t.Any]:
    if deadline is not None and time.monotonic() >= deadline:
        return {"failed": True, "exists": None, "msg": NOT_FINISHED_MSG % (target.name, settings.deadline_seconds)}
    client = NodeClient(session=pool.session(), sleep=settings.sleep, deadline=deadline,
                        **client_settings(dict(settings.connection, api_url=target.api_url)))
    try:
        reply = read_group_reply(client, group)
    except ClusterOpsError as error:
        return {"failed": True, "exists": None, "msg": error.to_result().get("msg", str(error))}
    return {"exists": reply.status != 404, "requests": client.request_count}
