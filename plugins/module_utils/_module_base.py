# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""The base every module of this collection stands on: the argspec they share and the one error boundary.

``module_argument_spec`` is the group name and the connection options, plus a module's own options.
``run_module``: argument spec -> the missing-library check -> the module's ``execute_module`` -> our exceptions
rendered once into fail_json. ``execute_module`` returns its result dict; a result with ``failed`` true is reported
as a failure with all its fields, and its ``warnings`` (a list of lines) become Ansible warnings. The action plugins
(plugins/plugin_utils/_controller_action.py) run the same ``execute_module`` with the same boundary.
"""
from __future__ import annotations

import typing as t

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.clusterops.groups.plugins.module_utils._connection_options import connection_argument_spec
from ansible_collections.clusterops.groups.plugins.module_utils._errors import ClusterOpsError
from ansible_collections.clusterops.groups.plugins.module_utils._secrets import url_for_display
from ansible_collections.clusterops.groups.plugins.module_utils._transport import HAS_REQUESTS, REQUESTS_IMPORT_ERROR

# a module's execute_module(params, check_mode) -> result
ExecuteModule = t.Callable[[t.Dict[str, t.Any], bool], t.Dict[str, t.Any]]
# the one spec of the group name option (documented in plugins/doc_fragments/group_name.py)
GROUP_NAME_SPEC = {"type": "raw", "required": True, "aliases": ["group"]}


def module_argument_spec(**options: t.Dict[str, t.Any]) -> t.Dict[str, t.Dict[str, t.Any]]:
    """A fresh argspec: the shared name and connection options, then the module's own ``options`` (which may override)."""
    spec = connection_argument_spec()
    spec["name"] = dict(GROUP_NAME_SPEC)
    spec.update(options)
    return spec


def run_module(argument_spec: t.Dict[str, t.Any], execute_module: ExecuteModule, **module_options: t.Any) -> None:
    """Build the AnsibleModule (check mode supported), run ``execute_module`` and exit or fail exactly once."""
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **module_options)
    if not HAS_REQUESTS:
        redact_url_credentials(module.params)
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    try:
        result = execute_module(module.params, module.check_mode)
    except ClusterOpsError as error:
        result = dict(error.to_result(), failed=True)
    redact_url_credentials(module.params)
    for warning in result.pop("warnings", None) or []:
        module.warn(warning)
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


def redact_url_credentials(params: t.Dict[str, t.Any]) -> None:
    """Every api_url in ``params`` (top level and ``nodes``) as ``url_for_display`` shows it (no ``user:password@``,
    query or fragment), once the task is done.

    Such a URL is refused, but Ansible echoes the params as ``invocation.module_args`` (shown at -v and in AWX
    events). Not no_log_values: those mask the value everywhere in the result, and a short password ("p")
    would mangle every word that contains it.
    """
    holders = [params] + [node for node in params.get("nodes") or [] if isinstance(node, dict)]
    for holder in holders:
        url = holder.get("api_url")
        if isinstance(url, str):
            holder["api_url"] = url_for_display(url)
