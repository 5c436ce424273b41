# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attributes every module of this collection shares: it runs on the controller, in the action group."""
from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Documentation of the shared C(action) and C(action_group) attributes (meta/runtime.yml action_groups)."""

    DOCUMENTATION = r"""
attributes:
  action:
    support: full
    description: Runs on the controller as an action plugin; no module is sent to any host.
  action_group:
    support: full
    description: Use C(group/clusterops.groups.cluster) in O(ignore:module_defaults) to set the connection options once.
    membership:
      - clusterops.groups.cluster
"""
