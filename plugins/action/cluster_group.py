# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""clusterops.groups.cluster_group on the controller: see plugins/plugin_utils/_cluster_action.py for why."""
from __future__ import annotations

import typing as t

from ansible_collections.clusterops.groups.plugins.module_utils._cluster_transaction import FINISHED_STATE
from ansible_collections.clusterops.groups.plugins.module_utils._transaction import record_nodes
from ansible_collections.clusterops.groups.plugins.modules.cluster_group import ARGUMENT_RULES, argument_spec, execute_module
from ansible_collections.clusterops.groups.plugins.plugin_utils._cluster_action import ClusterAction, NodeProgress
from ansible_collections.clusterops.groups.plugins.plugin_utils._controller_action import display


class ActionModule(ClusterAction):
    argument_rules = ARGUMENT_RULES

    def argument_spec(self) -> dict[str, t.Any]:
        return argument_spec()

    def progress_label(self, params: dict[str, t.Any]) -> str:
        if params.get("state") == FINISHED_STATE:
            return "finish of the rollback of group '%s'" % (params.get("name"),)
        return "%s of group '%s'" % ("delete" if params.get("state") == "absent" else "create", params.get("name"))

    def node_count(self, params: dict[str, t.Any]) -> int:
        if params.get("state") == FINISHED_STATE:
            return len(record_nodes(params.get("record") or {}))
        return super().node_count(params)

    def connection_hosts(self, args: dict[str, t.Any]) -> list[str]:
        # state=finished: the recorded nodes, when they are inventory hosts (called before validation: any shape)
        nodes = record_nodes(args["record"]) if isinstance(args.get("record"), dict) else None
        return [node for node in nodes if isinstance(node, str)] if args.get("state") == FINISHED_STATE and isinstance(nodes, dict) else []

    def execute_with_progress(self, params: dict[str, t.Any], check_mode: bool, progress: NodeProgress) -> dict[str, t.Any]:
        return execute_module(params, check_mode, on_node_done=progress.node_done, announce=display.display)
