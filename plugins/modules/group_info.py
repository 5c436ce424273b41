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
  - clusterops.groups.connection
  - clusterops.groups.group_name
attributes:
  check_mode:
    support: full
    description: Only reads, so it runs the same in check mode.
  diff_mode:
    support: none
    description: Reads only, there is nothing to diff.
  action_group:
    support: full
    description: Use C(group/clusterops.groups.cluster) in O(ignore:module_defaults) to set the connection options once.
    membership:
      - clusterops.groups.cluster
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

from ..module_utils._connection_options import connection_argument_spec
from ..module_utils._group_module import run_group_info_task
from ..module_utils._module_boundary import run_module


def argument_spec() -> dict:
    spec = connection_argument_spec()
    spec.update(name={"type": "raw", "required": True, "aliases": ["group"]})
    return spec


def main() -> None:
    run_module(argument_spec(), lambda module: run_group_info_task(module.params))


if __name__ == "__main__":
    main()
