"""Playbook-level trials: real ansible-playbook processes against an in-process simulated cluster.

A crash trial starts the apply in its own process group, kills the whole group (SIGTERM or SIGKILL) once
the nodes have logged ``after_writes`` writes, then runs finish_rollback.yml with the run's id.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import typing as t

from playbook_runner import (REPO_ROOT, PlaybookRun, descendants, kill_playbook, playbook_command, playbook_environment,
                             run_playbook, write_inventory)
from simulator import SimulatedCluster

from .common import TrialOutcome, faulted_nodes, faulted_requests, node_errors, secret_leaks, settle, timeouts_without_fault
from .invariant import check_finished, check_run
from .scenario import Scenario, install, second_writer_nodes, snapshot, window_nodes

PLAYBOOK_TIMEOUT_SECONDS = 300.0
CRASH_POLL_SECONDS = 0.02
CRASH_EXIT_SECONDS = 30.0
FINISH_ATTEMPTS = 3
PLAYBOOK_BY_OPERATION = {"create": "create_group.yml", "delete": "delete_group.yml"}


def run_playbook_trial(scenario: Scenario, path: str, token: str | None, evidence_dir: str | None = None) -> TrialOutcome:
    with tempfile.TemporaryDirectory(prefix="clusterops-trial-") as work_dir, \
            SimulatedCluster(node_count=len(scenario.nodes), token=token, seed=scenario.seed) as cluster:
        install(cluster, scenario)
        trial = _PlaybookTrial(scenario, path, token, work_dir, cluster)
        trial.evidence_dir = evidence_dir
        return trial.run()


class _PlaybookTrial:
    def __init__(self, scenario: Scenario, path: str, token: str | None, work_dir: str, cluster: t.Any) -> None:
        self.scenario, self.token, self.work_dir, self.cluster = scenario, token, work_dir, cluster
        self.record_dir = os.path.join(work_dir, "records")
        self.run_id = "trial-%d-%d" % (scenario.seed, scenario.index)
        self.inventory = write_inventory(work_dir, cluster.urls(), group_vars={
            "cluster_timeout": scenario.timeout, "cluster_retries": scenario.retries,
            "cluster_backoff_base": 0.0, "cluster_backoff_max": 0.0})
        self.fast_vars = {"group_transaction_fast_path": True} if path == "fast" else {}
        self.env = {"CLUSTEROPS_API_TOKEN": token} if token else {}
        self.outputs: dict[str, str] = {}
        self.evidence_dir: str | None = None

    def run(self) -> TrialOutcome:
        extra_vars = dict(self.fast_vars, group=self.scenario.group, group_transaction_run_id=self.run_id)
        playbook = PLAYBOOK_BY_OPERATION[self.scenario.operation]
        if self.scenario.crash:
            return self._crash_trial(playbook, extra_vars)
        run = run_playbook(playbook, self.inventory, self.record_dir, extra_vars=extra_vars, extra_env=self.env,
                           timeout=PLAYBOOK_TIMEOUT_SECONDS)
        self._keep_output("apply", run)
        return self._close(self._checked_run(run))

    def _checked_run(self, run: PlaybookRun) -> TrialOutcome:
        """The invariant of a run that ended on its own (and its finish when the rollback was incomplete)."""
        busy = settle(self.cluster)
        account = run.result
        outcome = TrialOutcome(str((account or {}).get("outcome", "no_account")))
        outcome.unplanned_timeouts = timeouts_without_fault(self.cluster, account)
        outcome.violations = busy + check_run(self.scenario, account, snapshot(self.cluster, self.scenario),
                                              load_noise=bool(outcome.unplanned_timeouts), faulted_nodes=faulted_nodes(self.cluster),
                                              second_writers=second_writer_nodes(self.cluster, self.scenario),
                                              in_the_window=window_nodes(self.scenario, outcome.unplanned_timeouts))
        if outcome.violations:
            outcome.violations += node_errors(account)
        if (run.rc == 0) != (outcome.outcome == "success"):
            outcome.violations.append("exit code %d does not match outcome %s" % (run.rc, outcome.outcome))
        if outcome.outcome == "rollback_incomplete":
            outcome.violations += self._finish(outcome, allow_desired=False)
        return outcome

    def _crash_trial(self, playbook: str, extra_vars: dict[str, t.Any]) -> TrialOutcome:
        crash = t.cast(dict, self.scenario.crash)
        killed, returncode = self._run_and_kill(playbook, extra_vars, crash["after_writes"], getattr(signal, crash["signal"]))
        if not killed:
            # it ended before the kill point: checked exactly as a run that was never meant to crash
            outcome = self._checked_run(PlaybookRun(returncode, self.outputs["apply (crashed)"], ""))
            outcome.outcome = "crash_missed_%s" % outcome.outcome
            return self._close(outcome)
        busy = settle(self.cluster)
        run_outcome = self._recorded_outcome()
        outcome = TrialOutcome("crash_%s" % (run_outcome or "midway"), crash=crash["signal"])
        outcome.violations = busy + self._finish(outcome, allow_desired=run_outcome == "success")
        return self._close(outcome)

    def _run_and_kill(self, playbook: str, extra_vars: dict[str, t.Any], after_writes: int, kill_signal: int) -> tuple[bool, int]:
        """(killed while running, exit code): killed is False when the run ended before the kill point."""
        command = playbook_command(playbook, self.inventory, extra_vars)
        log_path = os.path.join(self.work_dir, "apply.log")
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(command, cwd=REPO_ROOT,
                                       env=playbook_environment(self.record_dir, self.env), stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            killed = self._kill_after(process, after_writes, kill_signal)
        with open(log_path, encoding="utf-8", errors="replace") as log:
            self.outputs["apply (crashed)"] = log.read()
        return killed, process.returncode

    def _kill_after(self, process: subprocess.Popen, after_writes: int, kill_signal: int) -> bool:
        deadline = time.monotonic() + PLAYBOOK_TIMEOUT_SECONDS
        while process.poll() is None and time.monotonic() < deadline:
            if self._writes_seen() >= after_writes:
                _kill_group(process, kill_signal)
                return True
            time.sleep(CRASH_POLL_SECONDS)
        if process.poll() is None:
            _kill_group(process, signal.SIGKILL)
            return True
        return False

    def _writes_seen(self) -> int:
        return sum(1 for node in self.cluster.nodes.values() for entry in list(node.log) if entry.method in ("POST", "DELETE"))

    def _recorded_outcome(self) -> str | None:
        try:
            with open(os.path.join(self.record_dir, self.run_id, "run.json"), encoding="utf-8") as handle:
                return json.load(handle).get("outcome")
        except (OSError, ValueError):
            return None

    def _finish(self, outcome: TrialOutcome, allow_desired: bool) -> list[str]:
        """Clear every fault, run finish_rollback.yml for this run, check that the nodes converged; re-run it (as an
        operator would) only when it failed on timeouts, which with no fault left are the machine's load."""
        self.cluster.clear_faults()
        outcome.finish_ran = True
        problems: list[str] = []
        for attempt in range(FINISH_ATTEMPTS):
            run = run_playbook("finish_rollback.yml", None, self.record_dir,
                               extra_vars=dict(self.fast_vars, run_id=self.run_id, group=self.scenario.group),
                               extra_env=self.env, timeout=PLAYBOOK_TIMEOUT_SECONDS)
            self._keep_output("finish %d" % attempt, run)
            problems = settle(self.cluster) + check_finished(self.scenario, snapshot(self.cluster, self.scenario), allow_desired,
                                                             second_writer_nodes(self.cluster, self.scenario))
            no_record = run.rc != 0 and "no record of run" in run.stdout
            if run.rc != 0 and not no_record:
                problems.append("finish_rollback.yml failed with faults cleared (rc %d): %s" % (run.rc, _tail(run)))
            if not problems or "timed out" not in run.stdout:
                return problems
            outcome.finish_reruns += 1
        return problems

    def _keep_output(self, name: str, run: PlaybookRun) -> None:
        self.outputs[name + " stdout"] = run.stdout
        self.outputs[name + " stderr"] = run.stderr

    def _close(self, outcome: TrialOutcome) -> TrialOutcome:
        outcome.violations += secret_leaks(self.token, self.outputs, [self.record_dir])
        outcome.faulted_requests = faulted_requests(self.cluster)
        if outcome.violations and self.evidence_dir:
            self._keep_evidence()
        return outcome

    def _keep_evidence(self) -> None:
        """The playbook outputs and the record of a violating trial, for the investigation (token scrubbed)."""
        directory = os.path.join(self.evidence_dir, self.run_id)
        os.makedirs(directory, exist_ok=True)
        for name, text in self.outputs.items():
            with open(os.path.join(directory, name.replace(" ", "_") + ".txt"), "w", encoding="utf-8") as handle:
                handle.write(text.replace(self.token, "<token>") if self.token else text)
        shutil.copytree(self.record_dir, os.path.join(directory, "records"), dirs_exist_ok=True)


def _kill_group(process: subprocess.Popen, kill_signal: int) -> None:
    """SIGKILL: a controller crash; every process of the run dies at once (ansible's workers call setsid(), so
    killing the process group alone would leave them running and writing). SIGTERM: a job cancel; the process
    group gets it, and the run counts as over only when every process it had started has exited (bounded)."""
    if kill_signal == signal.SIGKILL:
        kill_playbook(process)
        return
    tree = [process.pid] + descendants(process.pid)
    try:
        os.killpg(process.pid, kill_signal)
        process.wait(timeout=CRASH_EXIT_SECONDS)
    except subprocess.TimeoutExpired:
        kill_playbook(process)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + CRASH_EXIT_SECONDS
    while any(_alive(pid) for pid in tree) and time.monotonic() < deadline:
        time.sleep(CRASH_POLL_SECONDS)
    for pid in filter(_alive, tree):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _alive(pid: int) -> bool:
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _tail(run: PlaybookRun) -> str:
    return " | ".join(run.stdout.strip().splitlines()[-6:])[-800:]
