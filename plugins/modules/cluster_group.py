#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_group
short_description: Make a group present or absent on every node of a cluster, all or nothing, in one task
version_added: 0.1.0
description:
  - The cluster-wide fast path of the C(clusterops.groups.group_transaction) role. Runs once on the controller and
    performs the whole transaction over a bounded pool of workers with pooled HTTP connections.
  - Applies the state on every node in O(nodes) exactly as M(clusterops.groups.group) does (read, write only when
    needed, resolve an ambiguous write with a GET, record the prior state before the first write).
  - If any node fails or its outcome is unknown, every node this run changed (or may have changed) is put back to
    the state it had before the run, and the module fails with a per-node account. A group that existed before the
    run is never deleted by that rollback.
  - Uses the same transaction policy as the role, so both paths return the same account (RV(result)), the artifact
    the role publishes as C(clusterops_groups_result).
  - If the rollback cannot complete, RV(msg) names the nodes and their state and gives the command that finishes
    it (C(clusterops.groups.finish_rollback)), which works from the record in O(record_dir).
author:
  - clusterops maintainers (@clusterops)
extends_documentation_fragment:
  - clusterops.groups.attributes
  - clusterops.groups.cluster_nodes
  - clusterops.groups.connection
  - clusterops.groups.group_name
  - clusterops.groups.record_dir_shared
options:
  hosts:
    description:
      - Every node of the cluster as inventory host names; the node list is built on the controller from each host's
        C(group_transaction_api_url), else C(cluster_api_url), else C(http://<host>).
      - Each host's connection options are its own, as on the per-host path (see O(nodes)).
      - With O(state=present) or O(state=absent), exactly one of O(hosts) and O(nodes) is required.
      - With O(state=finished), the nodes come from O(record); each recorded node that is an inventory host gets its
        own connection options from its variables, as above (the action plugin passes them as O(nodes)).
    type: list
    elements: str
    version_added: 0.1.0
  api_url:
    description:
      - Ignored; every node's URL comes from O(nodes).
      - Accepted so that C(module_defaults) for C(group/clusterops.groups.cluster) that set it for the per-node modules
        do not break this module.
    type: str
    required: false
  state:
    description:
      - V(present) creates the group on every node that lacks it; V(absent) deletes it from every node that has it.
      - V(finished) finishes the rollback of an earlier run, as C(clusterops.groups.finish_rollback) does. Every
        node in O(record) that the run may have left changed is put back to its state before that run. The nodes come
        from O(record); each node's URL comes from O(nodes) when it is listed there, else from O(record). A record of
        another group than O(name) is refused before any request. Nothing is recorded again, and with O(record_dir)
        the finish outcome is kept in the run's C(run.json). Idempotent; no check mode.
      - With O(state=finished), O(nodes) only gives recorded nodes their own connection options (entries for nodes
        not in O(record) are ignored; a node whose URL differs from the record's is refused before any request).
      - With O(state=present) or O(state=absent), exactly one of O(hosts) and O(nodes) is required.
    type: str
    choices: [present, absent, finished]
    default: present
  record:
    description:
      - With O(state=finished), the record of the run to finish, as in RV(result.record) (the C(record) of a
        C(clusterops_groups_result) artifact) or as loaded from the run's directory under O(record_dir).
      - Required with O(state=finished), refused otherwise. A damaged record is refused before any request.
    type: dict
    version_added: 0.1.0
  workers:
    description:
      - Number of nodes handled at the same time (threads, each with its own HTTP connection pool), from 1 to 256.
    type: int
    default: 20
  deadline:
    description:
      - Time budget in seconds for the apply phase, and again for the rollback phase if one is needed.
      - No request starts after it; request timeouts and backoff waits are cut to the time left, and a request still
        in flight at the deadline is cut then, however slowly its node answers. A node not finished by then counts as
        failed with an unknown state, and is put back from its prior state if a write may have reached it.
      - Unset, each phase ends when every node has answered or used up its retries.
    type: float
  record_dir:
    description:
      - Directory of durable run records. When set, the module writes C(<record_dir>/<run_id>/nodes/<node>.json)
        before its first write to each node, updates it with the outcome, and writes the run's outcome to
        C(<record_dir>/<run_id>/run.json) (not in check mode).
      - Unset, nothing is recorded; an incomplete rollback can then only be finished from RV(result.record).
    type: path
  run_id:
    description:
      - Identifier of the run; 1-128 characters of C(A-Z a-z 0-9 . _ -). Unset, a new one (UTC time and a random
        suffix) is used.
      - With O(record_dir), a run id that already has a record there is refused before any request; only the finish
        of that run (O(state=finished)) reopens it.
    type: str
  allow_unfinished:
    description:
      - With O(record_dir), a run refuses to start, before any request, while the group has an unfinished run there
        (interrupted, or V(rollback_incomplete) and not finished), because its changes would count as this run's state
        before and nothing would ever finish them. The error names each run and its finish command.
      - V(true) starts anyway; set it only once you have checked the cluster (for example with
        C(clusterops.groups.group_status)) and accept leaving those runs unfinished.
    type: bool
    default: false
  lock_wait:
    description:
      - With O(record_dir), the run takes the lock of the group in O(record_dir) before any write (one run per group and
        record directory on one controller); this is how long, in seconds, it waits for another run holding it before it
        fails with nothing sent. A lock of a process that no longer runs on this host is taken over.
      - Inside the C(clusterops.groups.group_transaction) role the role already holds the lock; the module re-enters it.
    type: float
    default: 0
  progress_interval:
    description:
      - On a long run, a line with the number of nodes done and failed per phase is printed every this many seconds
        (also in AWX job output). V(0) prints none.
    type: float
    default: 5
    version_added: 0.1.0
  saved_plan:
    description:
      - Apply exactly this saved plan (RV(clusterops.groups.cluster_group_info#module:plan), as a dict, its JSON text,
        or the path of its file on the host that runs the module, which is the controller through the action plugin).
      - Before any request the plan is refused when it is for another operation or group, a node could not be read
        when it was made, it is older than O(plan_max_age), or the node set or a node's URL (normalised as for the
        duplicate-URL check) differs. The run takes its lock (then checks the age) and reads every node once (the run's first read);
        when any node's state differs from the plan, nothing is written and the error names each node that moved
        and how (planned create, now present). Otherwise the planned actions are applied, all or nothing.
      - Only with O(state=present) or O(state=absent).
    type: raw
    version_added: 0.2.0
  plan_max_age:
    description:
      - With O(saved_plan), refuse a plan made more than this many seconds ago (greater than 0, at most 366 days), or
        dated more than 300 seconds in the future. No default; unset, a plan never expires (it is still refused when
        the cluster moved). Checked after the run's lock is taken.
    type: float
    version_added: 0.2.0
attributes:
  check_mode:
    support: full
    description: Sends only GET requests and reports per node what it would do.
  diff_mode:
    support: full
    description: Shows each node's group state before and after.
notes:
  - Runs once per task host on the controller (C(requests) must be importable by ansible-playbook's Python); run it
    once (C(run_once) or a play on C(localhost)).
  - Idempotent. A second identical run reports RV(changed=false).
  - The connection options are the defaults of every node; a node's own options (O(nodes), or its inventory
    variables with O(hosts)) beat them.
seealso:
  - module: clusterops.groups.group
  - module: clusterops.groups.group_info
"""

EXAMPLES = r"""
- name: Create group analytics on every node of the play in one task, node URLs from the inventory
  clusterops.groups.cluster_group:
    name: analytics
    state: present
    hosts: "{{ ansible_play_hosts_all }}"
  run_once: true

- name: Create group analytics on every node of the play in one task, with an explicit node list
  clusterops.groups.cluster_group:
    name: analytics
    state: present
    # one {name, api_url} per host of the play, from each host's cluster_api_url
    nodes: >-
      {% set found = namespace(nodes=[]) %}{% for host in ansible_play_hosts_all %}{% set found.nodes = found.nodes
      + [{'name': host, 'api_url': hostvars[host].cluster_api_url}] %}{% endfor %}{{ found.nodes }}
    record_dir: /var/lib/clusterops/runs
    workers: 50
    deadline: 120
  run_once: true
  delegate_to: localhost
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"

- name: Delete group analytics on three nodes given explicitly
  clusterops.groups.cluster_group:
    name: analytics
    state: absent
    nodes:
      - {name: node1, api_url: "https://node1.example.com:8443"}
      - {name: node2, api_url: "https://node2.example.com:8443"}
      - {name: node3, api_url: "https://node3.example.com:8443"}
    ca_path: /etc/pki/clusterops/ca.pem
  # once for the whole cluster, on the controller, whatever the play's hosts are
  run_once: true
  delegate_to: localhost
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  register: clusterops_cluster_result

- name: Finish the rollback of that run if it could not complete (same as finish_rollback.yml)
  clusterops.groups.cluster_group:
    name: analytics
    state: finished
    record: "{{ clusterops_cluster_result.result.record }}"
    ca_path: /etc/pki/clusterops/ca.pem
  run_once: true
  delegate_to: localhost
  when: clusterops_cluster_result.result.outcome | default('') == 'rollback_incomplete'

- name: Plan the create of group analytics (GETs only; plan_group.yml also writes it to a file)
  clusterops.groups.cluster_group_info:
    name: analytics
    plan_state: present
    hosts: "{{ ansible_play_hosts_all }}"
  run_once: true
  register: clusterops_plan

- name: Apply exactly that plan, refused if it is older than an hour or a node moved since
  clusterops.groups.cluster_group:
    name: analytics
    state: present
    hosts: "{{ ansible_play_hosts_all }}"
    # or the path of the file plan_group.yml wrote
    saved_plan: "{{ clusterops_plan.plan }}"
    plan_max_age: 3600
  run_once: true
"""

RETURN = r"""
changed:
  description: This run changed at least one node (also when the change was rolled back afterwards).
  returned: always
  type: bool
msg:
  description:
    - On success, one line with the outcome. On failure, a headline, one line per node and, when the rollback is
      incomplete, the nodes not restored and the command that finishes the rollback.
  returned: always
  type: str
  sample: "create of group 'analytics': success"
result:
  description:
    - The per-node account, the same artifact the C(group_transaction) role publishes with C(set_stats) as
      C(clusterops_groups_result). Never contains the token.
  returned: success and when the transaction failed
  type: dict
  contains:
    operation:
      description: V(create) or V(delete).
      type: str
      sample: create
    group:
      description: The group id.
      type: str
      sample: analytics
    run_id:
      description: The run's id (in O(record_dir) and the finish command).
      type: str
      sample: 20261123T190000Z-123456
    outcome:
      description: V(success), V(rolled_back), V(failed) (no node was changed) or V(rollback_incomplete).
      type: str
      sample: success
    check_mode:
      description: The run was a check mode run.
      type: bool
      sample: false
    record:
      description: The record of the run (run outcome and per-node prior state), enough for C(finish_rollback).
      type: dict
    nodes:
      description:
        - "Per node: C(before), C(action), C(result) (V(ok), V(changed), V(would_change), V(failed), V(no_result)),
          C(rollback) (V(not_needed), V(restored), V(failed)), C(after), and C(restore_to), C(error) when relevant."
      type: dict
      sample: {"node1": {"before": "absent", "action": "create", "result": "changed", "rollback": "not_needed",
                         "after": "present"}}
    saved_plan:
      description: With O(saved_plan), the plan applied (C(created), C(fingerprint), C(changes)).
      type: dict
      returned: when O(saved_plan) is set and was applied
      version_added: 0.2.0
diff:
  description:
    - Each node's group state (V(present), V(absent) or V(unknown)) before and after.
    - C(before_header) and C(after_header) name the group (what C(--diff) prints).
  returned: success and when the transaction failed
  type: dict
  sample: {"before": {"node1": "absent"}, "after": {"node1": "present"},
           "before_header": "group 'analytics' on each node", "after_header": "group 'analytics' on each node"}
error_kind:
  description:
    - On invalid input, V(invalid_input) (nothing was sent); on a record failure, V(run_record).
    - When O(saved_plan) is refused (stale, another run, the node set changed, a node moved), V(saved_plan_refused)
      (nothing was written), with RV(refusals).
    - When another run holds the lock of the group in O(record_dir), V(run_lock_busy) (nothing was sent).
    - When O(record_dir), a run's directory or file, the lock or its guard is owned by another user, writable by
      others, or a symlink, V(record_untrusted) (nothing was sent).
  returned: failure
  type: str
  sample: invalid_input
refusals:
  description: Why O(saved_plan) was refused, one line per reason (every moved node, the node set, the age, ...).
  returned: when RV(error_kind) is V(saved_plan_refused)
  type: list
  elements: str
  sample: ["node7: planned create, now present"]
  version_added: 0.2.0
"""

import typing as t

from ..module_utils._cluster_transaction import (
    DEFAULT_WORKERS, FINISHED_STATE, NodeDone, cluster_connection_options, finish_cluster_transaction,
    run_cluster_transaction, validate_workers,
)
from ..module_utils._connection_options import tls_warnings
from ..module_utils._errors import InvalidInput
from ..module_utils._module_base import module_argument_spec, run_module
from ..module_utils._node_connections import insecure_node_urls, nodes_argument_spec

ARGUMENT_RULES = {
    "required_if": [("state", "present", ("hosts", "nodes"), True), ("state", "absent", ("hosts", "nodes"), True),
                    ("state", "finished", ("record",))],
    # with state=finished, nodes are the inventory's URLs and own connection options of the recorded nodes
    "mutually_exclusive": [("hosts", "nodes"), ("hosts", "record")],
}


def argument_spec() -> dict:
    return module_argument_spec(
        api_url={"type": "str"},
        hosts={"type": "list", "elements": "str"},
        progress_interval={"type": "float", "default": 5.0},
        nodes=nodes_argument_spec(),
        state={"type": "str", "choices": ["present", "absent", FINISHED_STATE], "default": "present"},
        record={"type": "dict"},
        workers={"type": "int", "default": DEFAULT_WORKERS},
        deadline={"type": "float"},
        record_dir={"type": "path"},
        record_dir_shared={"type": "bool", "default": False},
        allow_unfinished={"type": "bool", "default": False},
        run_id={"type": "str"},
        lock_wait={"type": "float", "default": 0.0},
        saved_plan={"type": "raw"},
        plan_max_age={"type": "float"},
    )


def execute_module(params: dict[str, t.Any], check_mode: bool, sleep: t.Callable[[float], None] | None = None,
                   on_node_done: NodeDone | None = None, announce: t.Callable[[str], None] | None = None) -> dict[str, t.Any]:
    """The transaction (or, with state=finished, the finish of an earlier run) over every node, then its account."""
    options = cluster_connection_options(params, "cluster_group")
    workers = DEFAULT_WORKERS if params.get("workers") is None else params["workers"]
    if params.get("state") == FINISHED_STATE:
        if params.get("saved_plan") is not None or params.get("plan_max_age") is not None:
            raise InvalidInput("saved_plan applies a create or delete, not state=finished", option="saved_plan")
        outcome = _finish(params, options, check_mode, workers, sleep, on_node_done)
    else:
        if params.get("record") is not None:
            raise InvalidInput("record is the run to finish, only with state=finished", option="record")
        outcome = run_cluster_transaction(
            params.get("nodes"), params.get("name"), params.get("state") or "present", options, check_mode=check_mode,
            workers=workers, deadline_seconds=params.get("deadline"), record_dir=params.get("record_dir"),
            run_id=params.get("run_id"), sleep=sleep, lock_wait_seconds=params.get("lock_wait") or 0.0,
            on_node_done=on_node_done, saved_plan=params.get("saved_plan"), plan_max_age=params.get("plan_max_age"),
            record_dir_shared=bool(params.get("record_dir_shared")), allow_unfinished=bool(params.get("allow_unfinished")),
            announce=announce)
    account = {key: value for key, value in outcome.items() if key not in ("changed", "failed", "msg")}
    nodes = account["nodes"]
    header = "group '%s' on each node" % account.get("group")
    return {
        "warnings": tls_warnings(False, insecure_node_urls(params.get("nodes") or [], params.get("validate_certs"))),
        "changed": outcome["changed"],
        "failed": outcome["failed"],
        "msg": outcome["msg"],
        "result": account,
        "diff": {"before": {node: entry["before"] for node, entry in nodes.items()},
                 "after": {node: entry["after"] for node, entry in nodes.items()},
                 "before_header": header, "after_header": header},
    }


def _finish(params: dict[str, t.Any], options: dict[str, t.Any], check_mode: bool, workers: object,
            sleep: t.Callable[[float], None] | None, on_node_done: NodeDone | None) -> dict[str, t.Any]:
    """state=finished: put the nodes of the run in ``record`` back (finish_rollback.yml on the cluster-wide path)."""
    if check_mode:
        raise InvalidInput("state=finished has no check mode: run finish_rollback.yml without --check", option="state")
    record = params.get("record")
    if not isinstance(record, dict):
        raise InvalidInput("state=finished needs record, the run record to finish (an artifact's record, or "
                           "finish_rollback.yml's loaded record), got %r" % (type(record).__name__,), option="record")
    return finish_cluster_transaction(record, options, workers=validate_workers(workers),
                                      deadline_seconds=params.get("deadline"), record_dir=params.get("record_dir"),
                                      sleep=sleep, on_node_done=on_node_done, group=params.get("name"),
                                      # the nodes come from record; nodes gives their inventory URLs and own connection options
                                      nodes=params.get("nodes"), record_dir_shared=bool(params.get("record_dir_shared")))


def main() -> None:
    run_module(argument_spec(), execute_module, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()
