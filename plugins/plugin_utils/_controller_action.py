# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""Every module of this collection runs on the controller as an action plugin of the same name, in the worker.

Why: the modules only ever ran on the controller (connection local, ansible-playbook's own Python), and as a module
each node's call paid a new Python process that imports ``requests`` (about 0.2 s per node and task). The action
runs the module file's own ``execute_module`` in the worker Ansible has forked already. The module file
holds the documentation, the argument spec, ``execute_module`` and a ``main()`` that runs it on its own.
"""
from __future__ import annotations

import typing as t

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.clusterops.groups.plugins.module_utils._errors import ClusterOpsError, InvalidInput
from ansible_collections.clusterops.groups.plugins.module_utils._transport import HAS_REQUESTS

display = Display()


class ControllerModuleAction(ActionBase):
    """Validate with the module's own argument spec, run ``execute`` once, in this process; our errors as results."""

    TRANSFERS_FILES = False
    _requires_connection = False
    # the module's required_one_of / required_together / mutually_exclusive, checked as AnsibleModule checks them
    argument_rules: dict[str, t.Any] = {}

    def argument_spec(self) -> dict[str, t.Any]:
        raise NotImplementedError

    def execute(self, params: dict[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
        raise NotImplementedError

    def prepare_args(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        return args

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        if not HAS_REQUESTS:
            return dict(result, failed=True, msg=missing_required_lib("requests") + " (on the controller, in ansible-playbook's Python)")
        try:
            params = self._validated(self.prepare_args(dict(self._task.args), task_vars or {}))
            outcome = self.execute(params, bool(self._task.check_mode))
        except ClusterOpsError as error:
            outcome = dict(error.to_result(), failed=True)
        for warning in outcome.pop("warnings", None) or []:
            display.warning(warning)
        result.update(outcome)
        return result

    def _validated(self, args: dict[str, t.Any]) -> dict[str, t.Any]:
        validation = ArgumentSpecValidator(self.argument_spec(), **self.argument_rules).validate(args)
        if validation.error_messages:
            raise InvalidInput("invalid arguments for %s, nothing was sent: %s"
                               % (self._task.action, "; ".join(validation.error_messages)))
        return validation.validated_parameters
