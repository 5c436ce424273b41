# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""What the group and group_info modules run, internal to this collection: validate every input first, then talk
to the node through the group layer (``_group_state.py``), then say what happened in one line."""
from __future__ import annotations

import typing as t

from ansible_collections.clusterops.groups.plugins.module_utils._connection_options import build_client, insecure_tls_warning
from ansible_collections.clusterops.groups.plugins.module_utils._errors import ClusterOpsError
from ansible_collections.clusterops.groups.plugins.module_utils._group_name import validate_group_name
from ansible_collections.clusterops.groups.plugins.module_utils._group_state import (
    GroupOutcome, ensure_group, read_group_reply, validate_state,
)
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import NodeRecorder, RunRecord, validate_node_name
from ansible_collections.clusterops.groups.plugins.module_utils._transport import NodeClient

MESSAGES = {
    ("none", "present"): "group '%s' already present on %s",
    ("none", "absent"): "group '%s' already absent on %s",
    ("create", False): "group '%s' created on %s",
    ("delete", False): "group '%s' deleted on %s",
    ("create", True): "group '%s' would be created on %s (check mode)",
    ("found", "present"): "group '%s' already present on %s (our create was refused: it was created by another writer "
                          "or the first read was stale; not this run's change)",
    ("found", "absent"): "group '%s' already absent on %s (our delete was refused: it was deleted by another writer "
                         "or the first read was stale; not this run's change)",
    ("delete", True): "group '%s' would be deleted on %s (check mode)",
}


def run_group_task(params: dict[str, t.Any], check_mode: bool, sleep: t.Callable[[float], None] | None = None) -> dict[str, t.Any]:
    """The clusterops.groups.group module: result dict, or ClusterOpsError carrying the same fields."""
    base = dict(GroupOutcome().to_result(), group=params.get("name"), state=params.get("state"))
    try:
        name = validate_group_name(params.get("name"))
        client = build_client(params, sleep=sleep)
        record = RunRecord(params["record_dir"], params["run_id"]) if params.get("record_dir") else None
        node = validate_node_name(params.get("node") or client.node_url.split("://", 1)[1])
        state = validate_state(params.get("state", "present"))
    except ClusterOpsError as error:
        raise error.add_facts(**base)
    recorder = NodeRecorder(record, node, client.node_url, name, state)
    try:
        outcome = ensure_group(client, name, state, check_mode=check_mode, before_write=recorder.intent)
    except ClusterOpsError as error:
        error.add_facts(warnings=_tls_warnings(client), **base)
        recorder.outcome_after_failure(error)
        raise
    key = (outcome.action, state) if outcome.action == "none" else (outcome.action, check_mode)
    if outcome.found_as_asked:
        key = ("found", state)
    result = dict(outcome.to_result(), group=name, state=state, msg=MESSAGES[key] % (name, client.node_url),
                  warnings=_tls_warnings(client))
    # --diff prints these as its ---/+++ lines: which group on which node
    header = "group '%s' on %s" % (name, node)
    result["diff"] = dict(result["diff"], before_header=header, after_header=header)
    try:
        recorder.outcome(result)
    except ClusterOpsError as error:
        raise error.add_facts(**result)
    return result


def _tls_warnings(client: NodeClient) -> list[str]:
    return [] if client.validate_certs else [insecure_tls_warning([client.node_url])]


def run_group_info_task(params: dict[str, t.Any], sleep: t.Callable[[float], None] | None = None) -> dict[str, t.Any]:
    """The clusterops.groups.group_info module: one conclusive GET (with retries), never a write."""
    base = {"changed": False, "group": params.get("name"), "exists": None, "status": None, "requests": 0, "history": []}
    try:
        name = validate_group_name(params.get("name"))
        client = build_client(params, sleep=sleep)
    except ClusterOpsError as error:
        raise error.add_facts(**base)
    try:
        reply = read_group_reply(client, name)
    except ClusterOpsError as error:
        base.update(requests=client.request_count, history=list(client.history), warnings=_tls_warnings(client))
        raise error.add_facts(**base)
    exists = reply.status != 404
    base.update(exists=exists, status=reply.status, requests=client.request_count, history=list(client.history),
                msg="group '%s' %s on %s" % (name, "exists" if exists else "does not exist", client.node_url),
                warnings=_tls_warnings(client))
    return base
