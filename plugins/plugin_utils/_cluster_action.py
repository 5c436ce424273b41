# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""The controller side of the cluster-wide modules (cluster_group, cluster_group_info): one action, every node.

Why an action plugin: it runs in the controller, so the node list is built in Python from the play's inventory
(``hosts``: each host's ``cluster_api_url`` and its own connection options, ``_inventory_nodes``; no Jinja loop over
hostvars, no per-host task), the engine runs in this
process (no module subprocess holding a JSON copy of every node) and a long run prints live progress.
The argument spec, the engine and the error boundary are the modules' own; only the entry point differs.
"""
from __future__ import annotations

import threading
import typing as t

from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput
from ansible_collections.clusterops.groups.plugins.plugin_utils._controller_action import ControllerModuleAction, display
from ansible_collections.clusterops.groups.plugins.plugin_utils._inventory_nodes import inventory_nodes, play_level_role_options, templated

DEFAULT_PROGRESS_INTERVAL = 5.0


class NodeProgress:
    """Counts nodes done per phase (from the worker threads) and prints a line every ``interval`` seconds."""

    def __init__(self, label: str, node_count: int, interval: float) -> None:
        self.label, self.node_count, self.interval = label, node_count, interval
        self.counts: dict[str, list[int]] = {}  # phase -> [done, failed], in phase order
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.ticker = threading.Thread(target=self._tick, name="clusterops-progress", daemon=True)

    def __enter__(self) -> "NodeProgress":
        if self.interval > 0:
            self.ticker.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopped.set()
        if self.ticker.is_alive():
            self.ticker.join()

    def node_done(self, phase: str, _node: str, result: t.Mapping[str, t.Any]) -> None:
        with self.lock:
            counts = self.counts.setdefault(phase, [0, 0])
            counts[0] += 1
            counts[1] += 1 if result.get("failed") else 0

    def line(self) -> str:
        with self.lock:
            phases = ["%s %d%s done, %d failed" % (phase, done, "/%d" % self.node_count if index == 0 else "", failed)
                      for index, (phase, (done, failed)) in enumerate(self.counts.items())]
        return "%s: %s" % (self.label, "; ".join(phases) or "starting on %d nodes" % self.node_count)

    def _tick(self) -> None:
        while not self.stopped.wait(self.interval):
            display.display(self.line())


class ClusterAction(ControllerModuleAction):
    """A cluster-wide module: ``hosts`` resolved to ``nodes`` from the inventory, live progress while it runs."""

    def progress_label(self, params: dict[str, t.Any]) -> str:
        raise NotImplementedError

    def execute_with_progress(self, params: dict[str, t.Any], check_mode: bool, progress: NodeProgress) -> dict[str, t.Any]:
        raise NotImplementedError

    def node_count(self, params: dict[str, t.Any]) -> int:
        return len(params.get("nodes") or [])

    def execute(self, params: dict[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
        interval = params.get("progress_interval")
        interval = DEFAULT_PROGRESS_INTERVAL if interval is None else interval
        with NodeProgress(self.progress_label(params), self.node_count(params), interval) as progress:
            return self.execute_with_progress(params, check_mode, progress)

    def prepare_args(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        """``hosts`` (inventory host names) -> ``nodes``, each with its host's own connection options (the task's
        options stay the defaults of a node that sets nothing)."""
        hostvars = task_vars.get("hostvars") or {}
        hosts = args.pop("hosts", None)
        if hosts is None:
            # state=finished: the recorded nodes that are inventory hosts get their own options, unless nodes is given
            inventory_hosts = [host for host in self.connection_hosts(args) if host in hostvars]
            if inventory_hosts and args.get("nodes") is None:
                args["nodes"] = self.inventory_nodes(inventory_hosts, args, task_vars)
            return args
        if args.get("nodes") is not None:
            raise InvalidInput("hosts and nodes are mutually exclusive: pass one of them", option="hosts")
        if not isinstance(hosts, list) or not hosts or not all(isinstance(host, str) and host for host in hosts):
            raise InvalidInput("hosts must be a non-empty list of inventory host names, got %r" % (hosts,), option="hosts")
        unknown = [host for host in hosts if host not in hostvars]
        if unknown:
            raise InvalidInput("hosts names %d hosts that are not in the inventory: %s" % (len(unknown), ", ".join(unknown[:10])),
                               option="hosts")
        args["nodes"] = self.inventory_nodes(hosts, args, task_vars)
        return args

    @staticmethod
    def inventory_nodes(hosts: list[str], args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        """The nodes of ``hosts``, each with its own connection options; a templated role variable set for the play refused."""
        play_options = play_level_role_options(task_vars)
        refused = templated(play_options)
        if refused and args.get("validate_only"):
            # the check before the per-host path: there each host evaluates the template itself and its task checks it
            play_options = {option: value for option, value in play_options.items() if "group_transaction_" + option not in refused}
        elif refused:
            raise InvalidInput("%s is set for the play (play vars, role or include parameters) as a template: on the "
                               "cluster-wide path it would be evaluated on one host for every node; set it per host in the "
                               "inventory (host_vars, group_vars), nothing was sent" % ", ".join(refused), option="hosts")
        return inventory_nodes(hosts, task_vars.get("hostvars") or {}, args, play_options)

    def connection_hosts(self, args: dict[str, t.Any]) -> list[str]:
        """Without ``hosts``: the inventory hosts that get their own connection options (none)."""
        return []
