"""Client-level trials: the transaction in-process against an in-process simulated cluster (no backoff sleeps).

``fast`` runs the cluster engine (``_cluster_transaction.run_cluster_transaction`` and, for an incomplete
rollback, ``finish_cluster_transaction``). ``per-host`` runs what the role does, in-process: the module's
``execute_module`` of the group module per node in parallel, then the SAME policy functions the role's filter calls.
"""
from __future__ import annotations

import concurrent.futures
import tempfile
import threading
import typing as t

from ansible_collections.clusterops.groups.plugins.module_utils import _transaction, _transport
from ansible_collections.clusterops.groups.plugins.module_utils._errors import ClusterOpsError
from ansible_collections.clusterops.groups.plugins.modules.group import execute_module
from ansible_collections.clusterops.groups.plugins.module_utils._run_record import RunRecord
from simulator import SimulatedCluster

from .common import TrialOutcome, faulted_nodes, faulted_requests, node_errors, secret_leaks, settle
from .invariant import INCOMPLETE, check_finished, check_run
from .scenario import Scenario, install, second_writer_nodes, snapshot, window_nodes

OPERATION_BY_STATE = {"present": "create", "absent": "delete"}
FINISH_ATTEMPTS = 3


def no_sleep(_seconds: float) -> None:
    """Backoff replaced: retries happen at once."""


def connection_options(scenario: Scenario, token: str | None) -> dict[str, t.Any]:
    return {"api_token": token, "timeout": scenario.timeout, "retries": scenario.retries, "backoff_base": 0.0, "backoff_max": 0.0}


class TimeoutCounter:
    """Counts the client's read/connect timeouts per node URL, to tell the faults we injected from the machine's
    load: a starved process can miss a short timeout on a request the node answered at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_url: dict[str, int] = {}
        self.original = _transport.NodeClient._send_once  # pylint: disable=protected-access
        counter = self

        def counting_send_once(client: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
            reply = counter.original(client, *args, **kwargs)
            if reply.status is None and "timed out" in (reply.error or ""):
                with counter.lock:
                    counter.by_url[client.node_url] = counter.by_url.get(client.node_url, 0) + 1
            return reply

        _transport.NodeClient._send_once = counting_send_once  # type: ignore[method-assign]  # pylint: disable=protected-access

    def reset(self) -> None:
        with self.lock:
            self.by_url.clear()

    def unplanned(self, cluster: t.Any) -> dict[str, int]:
        """Per node: client timeouts beyond the timeout faults the simulator really applied."""
        extra = {}
        for name, node in cluster.nodes.items():
            injected = sum(1 for entry in list(node.log) if entry.fault is not None and entry.fault.value.startswith("timeout"))
            seen = self.by_url.get(node.url, 0)
            if seen > injected:
                extra[name] = seen - injected
        return extra


_TIMEOUTS: TimeoutCounter | None = None


def timeout_counter() -> TimeoutCounter:
    global _TIMEOUTS  # pylint: disable=global-statement
    if _TIMEOUTS is None:
        _TIMEOUTS = TimeoutCounter()
    return _TIMEOUTS


def run_client_trial(scenario: Scenario, path: str, token: str | None) -> TrialOutcome:
    with tempfile.TemporaryDirectory(prefix="clusterops-trial-") as record_dir, \
            SimulatedCluster(node_count=len(scenario.nodes), token=token, seed=scenario.seed) as cluster:
        install(cluster, scenario)
        engine = FastEngine() if path == "fast" else PerHostEngine()
        options = connection_options(scenario, token)
        nodes = [{"name": name, "api_url": url} for name, url in cluster.urls().items()]
        run_id = "trial-%d-%d" % (scenario.seed, scenario.index)
        timeouts = timeout_counter()
        timeouts.reset()
        account = engine.apply(nodes, scenario, options, record_dir, run_id)
        busy = settle(cluster)
        outcome = TrialOutcome(str(account.get("outcome")))
        outcome.unplanned_timeouts = timeouts.unplanned(cluster)
        second_writers = second_writer_nodes(cluster, scenario)
        outcome.violations = busy + check_run(scenario, account, snapshot(cluster, scenario),
                                              load_noise=bool(outcome.unplanned_timeouts), faulted_nodes=faulted_nodes(cluster),
                                              second_writers=second_writers,
                                              in_the_window=window_nodes(scenario, outcome.unplanned_timeouts))
        if outcome.violations:
            outcome.violations += node_errors(account)
        if account.get("outcome") == INCOMPLETE:
            cluster.clear_faults()
            finish = _finish_until_converged(engine, cluster, scenario, options, RunRecord(record_dir, run_id), outcome,
                                             second_writers)
            account = dict(account, finish=finish)
        outcome.violations += secret_leaks(token, {"account": repr(account)}, [record_dir])
        outcome.faulted_requests = faulted_requests(cluster)
        return outcome


def _finish_until_converged(engine: t.Any, cluster: t.Any, scenario: Scenario, options: dict[str, t.Any], record: RunRecord,
                            outcome: TrialOutcome, second_writers: t.Collection[str]) -> dict[str, t.Any]:
    """Run the finish (faults cleared) until the nodes converge. A finish that did not converge is a violation,
    unless the client timed out meanwhile (no fault is left, so the machine's load did it): then, as an operator
    would, run it again (at most FINISH_ATTEMPTS times; counted in the report)."""
    timeouts = timeout_counter()
    finish: dict[str, t.Any] = {}
    for attempt in range(FINISH_ATTEMPTS):
        timeouts.reset()
        finish = engine.finish(record.load(), options, record.record_dir)
        problems = settle(cluster) + check_finished(scenario, snapshot(cluster, scenario), second_writers=second_writers)
        if finish.get("outcome") != "finished":
            problems.append("the finish ended %r with faults cleared" % finish.get("outcome"))
        outcome.finish_ran = True
        if not problems:
            return finish
        if not timeouts.by_url or attempt == FINISH_ATTEMPTS - 1:
            outcome.violations += problems + node_errors(finish)
            return finish
        outcome.finish_reruns += 1
    return finish


class FastEngine:
    """The cluster engine (the fast path), exactly as the module cluster_group calls it."""

    def apply(self, nodes: list[dict[str, t.Any]], scenario: Scenario, options: dict[str, t.Any], record_dir: str,
              run_id: str) -> dict[str, t.Any]:
        from ansible_collections.clusterops.groups.plugins.module_utils import _cluster_transaction  # pylint: disable=import-outside-toplevel
        return _cluster_transaction.run_cluster_transaction(nodes, scenario.group, scenario.state, options, workers=len(nodes),
                                                            record_dir=record_dir, run_id=run_id, sleep=no_sleep)

    def finish(self, record: dict[str, t.Any], options: dict[str, t.Any], record_dir: str) -> dict[str, t.Any]:
        from ansible_collections.clusterops.groups.plugins.module_utils import _cluster_transaction  # pylint: disable=import-outside-toplevel
        return _cluster_transaction.finish_cluster_transaction(record, options, record_dir=record_dir, sleep=no_sleep)


class PerHostEngine:
    """What the role does, in-process: one module call per node (in parallel, like forks), the shared policy."""

    def apply(self, nodes: list[dict[str, t.Any]], scenario: Scenario, options: dict[str, t.Any], record_dir: str,
              run_id: str) -> dict[str, t.Any]:
        urls = {node["name"]: node["api_url"] for node in nodes}
        recorded = {"record_dir": record_dir, "run_id": run_id}
        results = _call_nodes({name: scenario.state for name in urls}, urls, scenario.group, options, recorded)
        record = RunRecord(record_dir, run_id).load()
        put_back = _transaction.put_back_targets(results, record)
        compensation = _call_nodes(put_back, urls, scenario.group, options, recorded)
        account = _transaction.build_account(scenario.operation, scenario.group, run_id, results, put_back, compensation, record)
        RunRecord(record_dir, run_id).record_run_outcome(account["record"]["run"])
        return account

    def finish(self, record: dict[str, t.Any], options: dict[str, t.Any], record_dir: str) -> dict[str, t.Any]:
        put_back = _transaction.finish_targets(record)
        urls = {node: target["api_url"] for node, target in put_back.items()}
        group = _transaction.record_group(record) or ""
        results = _call_nodes({node: target["state"] for node, target in put_back.items()}, urls, group, options, {})
        return _transaction.finish_account(record, results)


def _call_nodes(states: t.Mapping[str, str], urls: t.Mapping[str, str], group: str, options: dict[str, t.Any],
                recorded: dict[str, str]) -> dict[str, dict[str, t.Any]]:
    if not states:
        return {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(states)) as pool:
        futures = {node: pool.submit(_module_call, dict(options, **recorded, name=group, state=state, node=node, api_url=urls[node]))
                   for node, state in states.items()}
        return {node: future.result() for node, future in futures.items()}


def _module_call(params: dict[str, t.Any]) -> dict[str, t.Any]:
    """The module's result, success or failure, as the role registers it."""
    try:
        return execute_module(params, check_mode=False, sleep=no_sleep)
    except ClusterOpsError as error:
        return dict(error.to_result(), failed=True)
