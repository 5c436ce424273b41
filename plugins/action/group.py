# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""clusterops.groups.group on the controller: see plugins/plugin_utils/_controller_action.py for why."""
from __future__ import annotations

import typing as t

from ansible_collections.clusterops.groups.plugins.modules.group import ARGUMENT_RULES, argument_spec, execute_module
from ansible_collections.clusterops.groups.plugins.plugin_utils._controller_action import ControllerModuleAction


class ActionModule(ControllerModuleAction):
    argument_rules = ARGUMENT_RULES

    def argument_spec(self) -> dict[str, t.Any]:
        return argument_spec()

    def execute(self, params: dict[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
        return execute_module(params, check_mode)
