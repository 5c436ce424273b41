"""The soak report: trials, faults injected by kind, outcomes, violations (with reproductions), wall time."""
from __future__ import annotations

import json
import typing as t
from collections import Counter

from .common import TrialOutcome
from .scenario import Scenario


class Report:
    def __init__(self, tier: str, path: str, seed: int, trials: int) -> None:
        self.tier, self.path, self.seed, self.trials = tier, path, seed, trials
        self.done = 0
        self.planned_faults: Counter[str] = Counter()
        self.faulted_requests: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.crashes: Counter[str] = Counter()
        self.liveness_trials = 0
        self.finish_runs = 0
        self.finish_reruns = 0
        self.violations: list[tuple[Scenario, list[str]]] = []
        self.load_noise_trials: list[int] = []

    def add(self, scenario: Scenario, outcome: TrialOutcome) -> None:
        self.done += 1
        self.planned_faults.update(scenario.fault_counts())
        self.faulted_requests.update(outcome.faulted_requests)
        self.outcomes[outcome.outcome] += 1
        if outcome.crash:
            self.crashes[outcome.crash] += 1
        if outcome.unplanned_timeouts:
            self.load_noise_trials.append(scenario.index)
        self.liveness_trials += scenario.must_succeed() and not outcome.unplanned_timeouts
        self.finish_runs += outcome.finish_ran
        self.finish_reruns += outcome.finish_reruns
        if outcome.violations:
            self.violations.append((scenario, outcome.violations))

    def lines(self, wall_seconds: float, rerun_command: t.Callable[[Scenario], str]) -> list[str]:
        lines = ["== clusterops.groups trial report ==",
                 "tier=%s path=%s seed=%d trials=%d/%d wall=%.1fs (%.3fs/trial)" % (
                     self.tier, self.path, self.seed, self.done, self.trials, wall_seconds, wall_seconds / max(1, self.done)),
                 "faults planned by kind: %s" % _counts(self.planned_faults),
                 "requests faulted by kind (simulator log): %s" % _counts(self.faulted_requests),
                 "outcomes: %s" % _counts(self.outcomes),
                 "liveness trials (must succeed): %d; finish runs: %d; crashes: %s" % (
                     self.liveness_trials, self.finish_runs, _counts(self.crashes) or "none"),
                 "finish re-runs after client timeouts with no fault left (machine load): %d" % self.finish_reruns,
                 "trials with client timeouts the simulator did not cause (machine load; liveness not required): %d %s" % (
                     len(self.load_noise_trials), self.load_noise_trials[:50]),
                 "violations: %d" % len(self.violations)]
        for scenario, problems in self.violations:
            lines.extend(violation_lines(scenario, problems, rerun_command(scenario)))
        return lines


def violation_lines(scenario: Scenario, problems: list[str], command: str) -> list[str]:
    lines = ["VIOLATION seed=%d trial=%d:" % (scenario.seed, scenario.index)]
    lines += ["  - %s" % problem for problem in problems]
    lines.append("  reproduction: %s" % json.dumps(scenario.to_json(), sort_keys=True))
    lines.append("  re-run: %s" % command)
    return lines


def _counts(counter: Counter[str]) -> str:
    return ", ".join("%s=%d" % (key, value) for key, value in sorted(counter.items()))
