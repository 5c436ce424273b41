#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: group
short_description: Make a group present or absent on one cluster node, exactly once
version_added: 0.1.0
description:
  - Reads the group on one node through the node's REST API and creates (C(POST /v1/group/)) or deletes
    (C(DELETE /v1/group/)) it only when needed.
  - The node API is unreliable. A write answered by HTTP 5xx, a timeout or a reset is resolved with a GET before it is
    retried, so a write that was applied although it was reported failed counts as this run's change
    (RV(changed=true)) and is never repeated blindly.
  - A failure says plainly whether the node's final state is known (RV(state_known)) and whether a write was sent
    (RV(write_attempted)), so a playbook can roll back exactly what this run changed.
  - With O(record_dir) and O(run_id), the node's prior state is written to a durable record before the first write.
  - One inventory host is one node; the module runs on the controller.
author:
  - clusterops maintainers (@clusterops)
extends_documentation_fragment:
  - clusterops.groups.attributes
  - clusterops.groups.connection
  - clusterops.groups.group_name
  - clusterops.groups.record_dir_shared
options:
  state:
    description:
      - V(present) creates the group if it is missing; V(absent) deletes it if it exists.
    type: str
    choices: [present, absent]
    default: present
  record_dir:
    description:
      - Directory of durable run records. When set (with O(run_id)), the module writes
        C(<record_dir>/<run_id>/nodes/<node>.json) before its first write to the node and updates it with the outcome.
      - Nothing is recorded when no write is needed.
    type: path
  run_id:
    description:
      - Identifier of the run in O(record_dir); 1-128 characters of C(A-Z a-z 0-9 . _ -). Required with O(record_dir).
    type: str
  node:
    description:
      - Name of the node in the run record, usually C({{ inventory_hostname }}).
      - Defaults to the host, port and path of O(api_url).
    type: str
attributes:
  check_mode:
    support: full
    description: Sends only GET requests and reports what it would do.
  diff_mode:
    support: full
    description: Shows whether the group exists before and after.
notes:
  - Idempotent per node. Deleting an absent group or creating an existing one reports RV(changed=false).
  - Decisions use HTTP status codes only, never response bodies.
seealso:
  - module: clusterops.groups.group_info
"""

EXAMPLES = r"""
- name: Create group analytics on every node (one inventory host per node)
  clusterops.groups.group:
    name: analytics
    state: present
    api_url: "https://{{ inventory_hostname }}:8443"
    ca_path: /etc/pki/clusterops/ca.pem
  delegate_to: localhost
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"

- name: Set the connection options once for both modules
  module_defaults:
    group/clusterops.groups.cluster:
      api_url: "https://{{ inventory_hostname }}:8443"
      ca_path: /etc/pki/clusterops/ca.pem
      timeout: 5
      retries: 5
  block:
    - name: Delete group analytics, recording the prior state first
      clusterops.groups.group:
        name: analytics
        state: absent
        record_dir: /var/lib/clusterops/runs
        # an id of your choosing for this run (1-128 of A-Z a-z 0-9 . _ -), the same on every node
        run_id: "{{ clusterops_run_id }}"
        node: "{{ inventory_hostname }}"
      register: clusterops_group_result
"""

RETURN = r"""
changed:
  description: This run changed the node (including a write of ours that was reported failed but was applied).
  returned: always
  type: bool
group:
  description: The group id.
  returned: always
  type: raw
  sample: analytics
state:
  description: The requested state.
  returned: always
  type: str
  sample: present
action:
  description: What the module did (or in check mode would do) - V(create), V(delete) or V(none).
  returned: always
  type: str
  sample: create
existed_before:
  description: Whether the group existed before this run; V(null) when the first read never succeeded.
  returned: always
  type: bool
  sample: false
exists:
  description:
    - Whether the group exists at the end; V(null) when the final state could not be established.
    - In check mode, the state the write would produce.
  returned: always
  type: bool
  sample: true
state_known:
  description: False when RV(exists) is V(null); treat the node conservatively then.
  returned: always
  type: bool
  sample: true
write_attempted:
  description: A POST or DELETE was sent, so the node may have changed even if the module failed.
  returned: always
  type: bool
  sample: true
write_may_have_landed:
  description:
    - A write of this run got a 2xx or an ambiguous answer (timeout, reset, 5xx), so the node may hold this run's change.
    - V(false) when every write was refused (C(400)/C(409) "already exists", C(404) "not found", a hard 4xx); then a
      rollback never touches the node, even if another writer made it look as asked meanwhile.
  returned: always
  type: bool
  sample: true
requests:
  description: Number of HTTP requests sent (at most (retries + 1) * (retries + 3), plus redirect hops).
  returned: always
  type: int
  sample: 2
history:
  description: One entry per HTTP request, in order; no headers, no token.
  returned: always
  type: list
  elements: dict
  contains:
    method:
      description: HTTP method.
      type: str
      sample: GET
    path:
      description: Request path (URL-encoded group id).
      type: str
      sample: /v1/group/analytics/
    status:
      description: HTTP status, or V(null) when no response arrived.
      type: int
      sample: 404
    outcome:
      description: V(ok), V(decide) (only a GET can tell), V(ambiguous) (retried), V(hard) (not retried) or V(redirect).
      type: str
      sample: ok
    error:
      description: Transport error or status summary, V(null) when conclusive.
      type: str
      sample: "timed out after 10.0s (ReadTimeout)"
diff:
  description:
    - Whether the group exists before and after.
    - When the module ends normally, C(before_header) and C(after_header) name the group and the node (what C(--diff) prints).
  returned: always
  type: dict
  sample: {"before": {"exists": false}, "after": {"exists": true},
           "before_header": "group 'analytics' on node1", "after_header": "group 'analytics' on node1"}
msg:
  description: One line saying what happened, or what failed and what to do.
  returned: always
  type: str
  sample: "group 'analytics' created on http://node1.example.com"
error_kind:
  description:
    - On failure, V(invalid_input), V(node_request_failed), V(node_unavailable), V(state_unknown) or V(run_record).
    - V(record_untrusted) when O(record_dir) or a file of the run is not ours (see O(record_dir_shared)); nothing was sent.
  returned: failure
  type: str
  sample: node_unavailable
"""

import typing as t

from ..module_utils._connection_options import build_client, tls_warnings
from ..module_utils._errors import ClusterOpsError
from ..module_utils._group_name import validate_group_name
from ..module_utils._group_state import EnsureResult, ensure_group, validate_state
from ..module_utils._module_base import module_argument_spec, run_module
from ..module_utils._run_record import NodeRecorder, RunRecord, validate_node_name

ARGUMENT_RULES = {"required_together": [("record_dir", "run_id")]}
# (action, check mode) -> msg; a node left as asked says so, and a write another writer won says whose change it is
MESSAGES = {
    ("create", False): "group '%s' created on %s",
    ("delete", False): "group '%s' deleted on %s",
    ("create", True): "group '%s' would be created on %s (check mode)",
    ("delete", True): "group '%s' would be deleted on %s (check mode)",
    ("none", "present"): "group '%s' already present on %s",
    ("none", "absent"): "group '%s' already absent on %s",
    ("found", "present"): "group '%s' already present on %s (our create was refused: it was created by another writer "
                          "or the first read was stale; not this run's change)",
    ("found", "absent"): "group '%s' already absent on %s (our delete was refused: it was deleted by another writer "
                         "or the first read was stale; not this run's change)",
}


def argument_spec() -> dict:
    return module_argument_spec(
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        record_dir={"type": "path"},
        record_dir_shared={"type": "bool", "default": False},
        run_id={"type": "str"},
        node={"type": "str"},
    )


def execute_module(params: dict[str, t.Any], check_mode: bool, sleep: t.Callable[[float], None] | None = None) -> dict[str, t.Any]:
    """Validate every input, read the node, write only when needed (the node's record first), say what happened."""
    base = dict(EnsureResult().to_result(), group=params.get("name"), state=params.get("state"))
    try:
        name = validate_group_name(params.get("name"))
        client = build_client(params, sleep=sleep)
        record = (RunRecord(params["record_dir"], params["run_id"], shared=bool(params.get("record_dir_shared")))
                  if params.get("record_dir") else None)
        node = validate_node_name(params.get("node") or client.node_url.split("://", 1)[1])
        state = validate_state(params.get("state", "present"))
        if record is not None:  # a record another user could have written is refused before the first request
            record.verify(node)
    except ClusterOpsError as error:
        raise error.add_facts(**base)
    warnings = tls_warnings(client.validate_certs, [client.node_url])
    recorder = NodeRecorder(record, node, client.node_url, name, state)
    try:
        outcome = ensure_group(client, name, state, check_mode=check_mode, before_write=recorder.intent)
    except ClusterOpsError as error:
        error.add_facts(warnings=warnings, **base)
        recorder.outcome_after_failure(error)
        raise
    if outcome.found_as_asked:
        key = ("found", state)
    else:
        key = (outcome.action, state) if outcome.action == "none" else (outcome.action, check_mode)
    # --diff prints the headers as its ---/+++ lines: which group on which node
    header = "group '%s' on %s" % (name, node)
    result = dict(outcome.to_result(), group=name, state=state, msg=MESSAGES[key] % (name, client.node_url),
                  warnings=warnings)
    result["diff"] = dict(result["diff"], before_header=header, after_header=header)
    try:
        recorder.outcome(result)
    except ClusterOpsError as error:
        raise error.add_facts(**result)
    return result


def main() -> None:
    run_module(argument_spec(), execute_module, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()
