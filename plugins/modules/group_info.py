#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: group_info
short_description: Tell whether a group exists on one cluster node
version_added: 0.1.0
description:
  - Reads the group on one node with C(GET /v1/group/{groupId}/), with the same retry policy as M(clusterops.groups.group).
  - Never changes anything.
author:
  - clusterops maintainers (@clusterops)
extends_documentation_fragment:
  - clusterops.groups.attributes
  - clusterops.groups.connection
  - clusterops.groups.group_name
attributes:
  check_mode:
    support: full
    description: Only reads, so it runs the same in check mode.
  diff_mode:
    support: none
    description: Reads only, there is nothing to diff.
seealso:
  - module: clusterops.groups.group
"""

EXAMPLES = r"""
- name: Does group analytics exist on this node?
  clusterops.groups.group_info:
    name: analytics
    api_url: "http://{{ inventory_hostname }}"
  delegate_to: localhost
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  register: clusterops_group_info

- name: Show it
  ansible.builtin.debug:
    msg: "{{ clusterops_group_info.exists }}"
"""

RETURN = r"""
exists:
  description: Whether the group exists on the node; V(null) on failure.
  returned: always
  type: bool
  sample: true
status:
  description: HTTP status of the conclusive GET (V(200) or V(404) on success); V(null) on failure.
  returned: always
  type: int
  sample: 200
group:
  description: The group id.
  returned: always
  type: raw
  sample: analytics
requests:
  description: Number of HTTP requests sent.
  returned: always
  type: int
  sample: 1
history:
  description: One entry per HTTP request (keys C(method), C(path), C(status), C(outcome), C(error)); no headers, no token.
  returned: always
  type: list
  elements: dict
msg:
  description: One line saying what was found, or what failed.
  returned: always
  type: str
error_kind:
  description: On failure, V(invalid_input), V(node_request_failed) or V(node_unavailable).
  returned: failure
  type: str
"""

import typing as t

from ..module_utils._connection_options import build_client, tls_warnings
from ..module_utils._errors import ClusterOpsError
from ..module_utils._group_name import validate_group_name
from ..module_utils._group_state import read_group_reply
from ..module_utils._module_base import module_argument_spec, run_module


def argument_spec() -> dict:
    return module_argument_spec()


def execute_module(params: dict[str, t.Any], check_mode: bool, sleep: t.Callable[[float], None] | None = None) -> dict[str, t.Any]:
    """Validate every input, then one conclusive GET (with retries), never a write: the same in check mode."""
    result = {"changed": False, "group": params.get("name"), "exists": None, "status": None, "requests": 0, "history": []}
    try:
        name = validate_group_name(params.get("name"))
        client = build_client(params, sleep=sleep)
    except ClusterOpsError as error:
        raise error.add_facts(**result)
    result["warnings"] = tls_warnings(client.validate_certs, [client.node_url])
    try:
        reply = read_group_reply(client, name)
    except ClusterOpsError as error:
        result.update(requests=client.request_count, history=list(client.history))
        raise error.add_facts(**result)
    exists = reply.status != 404
    result.update(exists=exists, status=reply.status, requests=client.request_count, history=list(client.history),
                  msg="group '%s' %s on %s" % (name, "exists" if exists else "does not exist", client.node_url))
    return result


def main() -> None:
    run_module(argument_spec(), execute_module)


if __name__ == "__main__":
    main()
