# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""The cluster-wide modules' node list from the inventory: each host's URL AND its own connection options.

Why each host's own: the per-host path of the role gives every host its own ``group_transaction_<option>``, else its
``cluster_<option>``; the cluster-wide path must give each node exactly that, never the first host's token to all.
Each host's variables are read once (at 10,000 hosts, computing a host's variables is the cost); hosts with the same
values are type-checked once (the module's own types, so ``-e cluster_timeout=5`` is 5.0 as on the per-host path) and
every host whose value is refused is named before any request.
"""
from __future__ import annotations

import typing as t

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.clusterops.groups.plugins.module_utils._node_connections import (
    NODE_CONNECTION_OPTIONS, Refusal, check_node_connections, node_connection_spec, own_options, refusal, settings_key,
)
from ansible_collections.clusterops.groups.plugins.module_utils._node_identity import node_targets

# a host's own option, highest first: the role's variable (as the per-host path reads it), then the inventory convention
ROLE_OPTION_PREFIX = "group_transaction_"
INVENTORY_OPTION_PREFIX = "cluster_"


def inventory_nodes(hosts: t.Sequence[str], hostvars: t.Mapping[str, t.Any], task_options: t.Mapping[str, t.Any],
                    play_options: t.Mapping[str, t.Any] | None = None) -> list[dict[str, t.Any]]:
    """``[{name, api_url, own connection options}]``, one per host, its options typed; InvalidInput naming every host
    whose settings are refused (a value of the wrong type, or out of range with the task's ``task_options``).

    ``play_options``: the role's variables set for the play, the same for every host, over each host's own (as play
    vars beat inventory variables on the per-host path)."""
    nodes = []
    for host in hosts:
        host_variables = hostvars.get(host) or {}
        node = node_targets([host], {host: host_variables})[0]
        node.update(host_connection_options(host_variables))
        node.update(play_options or {})
        nodes.append(node)
    refusals = typed_own_options(nodes)
    typed_task_options = _typed(task_options)
    if typed_task_options is not None:  # else the module's argument validation reports the task's own options
        refused = {name for names, _why in refusals for name in names}
        _validated, range_refusals = check_node_connections(
            [(node["name"], node["api_url"], own_options(node)) for node in nodes if node["name"] not in refused], typed_task_options)
        refusals += range_refusals
    if refusals:
        raise refusal(refusals)
    return nodes


def host_connection_options(host_variables: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The connection options a host sets itself: its ``group_transaction_<option>``, else its ``cluster_<option>``
    (null counts as unset, as on the per-host path)."""
    own: dict[str, t.Any] = {}
    for option in NODE_CONNECTION_OPTIONS:
        for variable in (ROLE_OPTION_PREFIX + option, INVENTORY_OPTION_PREFIX + option):
            value = host_variables[variable] if variable in host_variables else None
            if value is not None:
                own[option] = value
                break
    return own


def typed_own_options(nodes: list[dict[str, t.Any]]) -> list[Refusal]:
    """Each node's own options converted in place to the module's types (checked once per distinct set of values);
    ``(hosts, why)`` for each set that does not convert."""
    converted: dict[t.Any, tuple[str, dict[str, t.Any]]] = {}
    refused: dict[str, list[str]] = {}
    for node in nodes:
        own = own_options(node)
        key = settings_key(own)
        if key not in converted:
            validation = ArgumentSpecValidator(node_connection_spec()).validate(own)
            # the argspec's words name the option, never a no_log value
            converted[key] = ("; ".join(validation.error_messages), validation.validated_parameters)
        errors, values = converted[key]
        if errors:
            refused.setdefault(errors, []).append(node["name"])
            continue
        node.update((option, value) for option, value in values.items() if value is not None)
    return [(hosts, "inventory variable refused: %s" % errors) for errors, hosts in refused.items()]


def _typed(task_options: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
    """The task's connection options in the module's types, or None when they do not convert."""
    given = {name: task_options[name] for name in NODE_CONNECTION_OPTIONS if task_options.get(name) is not None}
    validation = ArgumentSpecValidator(node_connection_spec()).validate(given)
    if validation.error_messages:
        return None
    return {name: value for name, value in validation.validated_parameters.items() if value is not None}


def play_level_role_options(task_vars: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """``{option: raw value}`` of the role's connection variables set above the inventory (play vars, role or include
    parameters), which hostvars does not show: on the per-host path they beat every host's own variables."""
    hostvars = task_vars.get("hostvars") or {}
    raw_get = getattr(hostvars, "raw_get", None)
    run_host = task_vars.get("inventory_hostname")
    # raw (untemplated) on both sides: task_vars are raw, so an inventory template compares equal to itself
    run_host_variables = (raw_get(run_host) if raw_get is not None else hostvars.get(run_host)) if run_host in hostvars else {}
    found = {}
    for option in NODE_CONNECTION_OPTIONS:
        variable = ROLE_OPTION_PREFIX + option
        value = task_vars.get(variable)
        if value is not None and (variable not in run_host_variables or run_host_variables[variable] != value):
            found[option] = value
    return found


def templated(play_options: t.Mapping[str, t.Any]) -> list[str]:
    """The role variables among ``play_options`` whose value is a template: evaluated on the one host that runs the task
    it could be that host's (``{{ tokens[inventory_hostname] }}``) and would reach every node; the caller refuses."""
    return [ROLE_OPTION_PREFIX + option for option, value in play_options.items()
            if isinstance(value, str) and ("{{" in value or "{%" in value)]
