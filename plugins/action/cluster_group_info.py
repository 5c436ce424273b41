# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""clusterops.groups.cluster_group_info on the controller: see plugins/plugin_utils/_cluster_action.py for why."""
from __future__ import annotations

import typing as t

from ansible_collections.clusterops.groups.plugins.modules.cluster_group_info import ARGUMENT_RULES, argument_spec, execute_module
from ansible_collections.clusterops.groups.plugins.plugin_utils._cluster_action import ClusterAction, NodeProgress


class ActionModule(ClusterAction):
    argument_rules = ARGUMENT_RULES

    def argument_spec(self) -> dict[str, t.Any]:
        return argument_spec()

    def progress_label(self, params: dict[str, t.Any]) -> str:
        if params.get("plan_state") is not None:
            return "saved plan of group '%s'" % params.get("name")
        return "status of group '%s'" % params.get("name")

    def execute_with_progress(self, params: dict[str, t.Any], check_mode: bool, progress: NodeProgress) -> dict[str, t.Any]:
        return execute_module(params, check_mode, on_node_done=progress.node_done)
