#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_group_info
short_description: Read the state of a group on every node of a cluster in one task
version_added: 0.1.0
description:
  - The cluster-wide read of C(clusterops.groups.group_status). Runs once on the controller and reads the group on
    every node (C(GET) only, with the retry policy of M(clusterops.groups.group_info)) over a bounded pool of workers
    with pooled HTTP connections.
  - Fails when the cluster is divergent (the group on some nodes only) or a node could not be read.
author:
  - clusterops maintainers (@clusterops)
extends_documentation_fragment:
  - clusterops.groups.attributes
  - clusterops.groups.cluster_nodes
  - clusterops.groups.connection
  - clusterops.groups.group_name
options:
  hosts:
    description:
      - Every node of the cluster as inventory host names; the node list is built on the controller from each host's
        C(group_transaction_api_url), else C(cluster_api_url), else C(http://<host>).
      - Each host's connection options are its own, as on the per-host path (see O(nodes)).
      - Exactly one of O(hosts) and O(nodes) is required.
    type: list
    elements: str
    version_added: 0.1.0
  api_url:
    description:
      - Ignored; every node's URL comes from O(hosts) or O(nodes).
      - Accepted so that C(module_defaults) for C(group/clusterops.groups.cluster) do not break this module.
    type: str
    required: false
  workers:
    description:
      - Number of nodes handled at the same time (threads, each with its own HTTP connection pool), from 1 to 256.
    type: int
    default: 20
  deadline:
    description:
      - Time budget in seconds for the read.
      - No request starts after it; request timeouts and backoff waits are cut to the time left, and a request still
        in flight at the deadline is cut then. A node not read by then counts as V(unknown).
      - Unset, each phase ends when every node has answered or used up its retries.
    type: float
  validate_only:
    description:
      - Only check every node's connection settings (each node's own, the task's as defaults, see O(nodes)) and the
        node list, then return; no request is sent. Fails naming every node whose settings are refused.
      - The playbooks run it before the per-host path, so a bad value on one host stops the run before any node is
        written (the cluster-wide path checks them in its own task).
      - A role connection variable set for the play as a template is left to each host's own task on the per-host
        path (it is evaluated per host there), so it is not checked here.
    type: bool
    default: false
    version_added: 0.2.0
  plan_state:
    description:
      - Also make the saved plan of setting the group to this state on every node (V(present) plans a create,
        V(absent) a delete). The plan holds each node's observed state, its planned action and a fingerprint of the
        whole plan, returned as RV(plan). Still C(GET) only.
      - M(clusterops.groups.cluster_group) with O(clusterops.groups.cluster_group#module:saved_plan) applies exactly
        that plan, or refuses it when the cluster moved. C(clusterops.groups.plan_group) is the playbook for it.
      - The task fails when a node could not be read (the plan is returned, with outcome V(not_applicable), and
        cannot be applied).
    type: str
    choices: [present, absent]
    version_added: 0.2.0
  progress_interval:
    description:
      - On a long run, a line with the number of nodes done and failed per phase is printed every this many seconds
        (also in AWX job output). V(0) prints none.
    type: float
    default: 5
    version_added: 0.1.0
attributes:
  check_mode:
    support: full
    description: Only reads, so it runs the same in check mode.
  diff_mode:
    support: none
    description: Reads only, there is nothing to diff.
notes:
  - Runs on the controller (C(requests) must be importable by ansible-playbook's Python); run it once (C(run_once) or
    a play on C(localhost)). The connection options are the defaults of every node; a node's own options
    (O(nodes), or its inventory variables with O(hosts)) beat them.
seealso:
  - module: clusterops.groups.group_info
  - module: clusterops.groups.cluster_group
"""

EXAMPLES = r"""
- name: Read group analytics on every node of the play in one task
  clusterops.groups.cluster_group_info:
    name: analytics
    hosts: "{{ ansible_play_hosts_all }}"
  run_once: true
  register: clusterops_status

- name: Say whether the group is on every node
  ansible.builtin.debug:
    msg: "{{ clusterops_status.result.outcome }}"
  run_once: true

- name: Plan the create of group analytics (reads only); cluster_group saved_plan applies it
  clusterops.groups.cluster_group_info:
    name: analytics
    hosts: "{{ ansible_play_hosts_all }}"
    plan_state: present
  run_once: true
  register: clusterops_plan
"""

RETURN = r"""
changed:
  description: Always V(false).
  returned: always
  type: bool
msg:
  description: One line with the outcome; on failure a headline and one line per node.
  returned: always
  type: str
  sample: "status of group 'analytics': present on every node"
result:
  description: The status account, the artifact C(clusterops.groups.group_status) publishes as C(clusterops_groups_result).
  returned: without O(plan_state), on success and when the cluster is divergent or a node could not be read
  type: dict
  contains:
    operation:
      description: V(status).
      type: str
      sample: status
    group:
      description: The group id.
      type: str
      sample: analytics
    outcome:
      description: V(present), V(absent) (on every node), V(divergent) or V(unknown) (a node could not be read).
      type: str
      sample: present
    nodes:
      description: "Per node: C(state) (V(present), V(absent) or V(unknown)) and C(error) when it could not be read."
      type: dict
      sample: {"node1": {"state": "present"}}
plan:
  description:
    - With O(plan_state), the saved plan; pass it (or the file C(clusterops.groups.plan_group) writes) to
      O(clusterops.groups.cluster_group#module:saved_plan).
  returned: when O(plan_state) is set
  type: dict
  contains:
    kind:
      description: V(clusterops.groups.saved_plan).
      type: str
    version:
      description: Format version of the plan, V(1).
      type: int
    operation:
      description: V(create) or V(delete).
      type: str
    group:
      description: The group id.
      type: str
    outcome:
      description: V(changes_planned), V(nothing_to_do) or V(not_applicable) (a node could not be read).
      type: str
    changes:
      description: Number of nodes with a planned create or delete.
      type: int
    created:
      description: When the plan was made, UTC, ISO 8601.
      type: str
    created_epoch:
      description: The same, in seconds since the epoch (what O(clusterops.groups.cluster_group#module:plan_max_age) compares).
      type: float
    plan_id:
      description: The plan's id (its time to the microsecond), also in the default file name of C(clusterops.groups.plan_group).
      type: str
    fingerprint:
      description: Hash (sha256) of every other field of the plan; an edited plan is refused as damaged.
      type: str
    nodes:
      description:
        - "Per node: C(state) (V(present), V(absent), V(unknown)), C(planned) (V(create), V(delete), V(none),
          V(unreachable)), C(url) (normalised) and C(error) when it could not be read."
      type: dict
      sample: {"node1": {"state": "absent", "planned": "create", "url": "http://127.0.0.1:8001"}}
nodes:
  description: With O(validate_only), the number of nodes whose connection settings were checked.
  returned: when O(validate_only) is true
  type: int
  sample: 3
  version_added: 0.2.0
error_kind:
  description: On invalid input, V(invalid_input) (nothing was sent).
  returned: failure
  type: str
  sample: invalid_input
"""

import typing as t

from ..module_utils._cluster_status import plan_cluster, read_cluster_status
from ..module_utils._cluster_transaction import DEFAULT_WORKERS, NodeDone, cluster_connection_options, validate_nodes
from ..module_utils._connection_options import tls_warnings
from ..module_utils._module_base import module_argument_spec, run_module
from ..module_utils._node_connections import insecure_node_urls, nodes_argument_spec

ARGUMENT_RULES = {"required_one_of": [("hosts", "nodes")], "mutually_exclusive": [("hosts", "nodes")]}


def argument_spec() -> dict:
    return module_argument_spec(
        api_url={"type": "str"},
        hosts={"type": "list", "elements": "str"},
        nodes=nodes_argument_spec(),
        workers={"type": "int", "default": DEFAULT_WORKERS},
        deadline={"type": "float"},
        plan_state={"type": "str", "choices": ["present", "absent"]},
        validate_only={"type": "bool", "default": False},
        progress_interval={"type": "float", "default": 5.0},
    )


def execute_module(params: dict[str, t.Any], check_mode: bool, sleep: t.Callable[[float], None] | None = None,
                   on_node_done: NodeDone | None = None) -> dict[str, t.Any]:
    """Read the group on every node (GETs only, the same in check mode), then the cluster's status account, or with
    plan_state the saved plan."""
    options = cluster_connection_options(params, "cluster_group_info")
    if params.get("validate_only"):
        nodes = validate_nodes(params.get("nodes"), options)
        return {"changed": False, "failed": False, "nodes": len(nodes),
                "msg": "connection settings of %d nodes checked, nothing was sent" % len(nodes)}
    common = {"workers": DEFAULT_WORKERS if params.get("workers") is None else params["workers"],
              "deadline_seconds": params.get("deadline"), "sleep": sleep, "on_node_done": on_node_done}
    if params.get("plan_state") is not None:
        outcome = plan_cluster(params.get("nodes"), params.get("name"), params["plan_state"], options, **common)
        returned = "plan"
    else:
        outcome = read_cluster_status(params.get("nodes"), params.get("name"), options, **common)
        returned = "result"
    account = {key: value for key, value in outcome.items() if key not in ("changed", "failed", "msg")}
    return {"warnings": tls_warnings(False, insecure_node_urls(params.get("nodes") or [], params.get("validate_certs"))),
            "changed": False, "failed": outcome["failed"], "msg": outcome["msg"], returned: account}


def main() -> None:
    run_module(argument_spec(), execute_module, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()
