"""Seeded, reproducible fault trials of the all-or-nothing group transaction (issue 7, docs/reliability.md).

    python tools/trials.py --tier client --trials 5000 --seed 1
    python tools/trials.py --tier playbook --trials 200 --seed 1 --path per-host --crash-rate 0.2
    python tools/trials.py --tier playbook --seed 1 --only 17        # re-run just trial 17 of seed 1
    python tools/trials.py --tier client --scenario '{"seed": 1, ...}' # run a printed (minimal) reproduction

Exit code 0 when every trial kept the invariant, 1 on any violation (each printed with a reproduction; the
first one is also shrunk to a minimal reproduction: fewer nodes, fewer and simpler faults).
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import typing as t

from _trials.common import TrialOutcome
from _trials.report import Report, violation_lines
from _trials.scenario import Scenario, draw_scenario
from _trials.shrink import DEFAULT_SHRINK_RUNS, shrink

DEFAULT_TIMEOUT = {"client": 0.25, "playbook": 0.5}
DEFAULT_PATH = {"client": "fast", "playbook": "per-host"}


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--tier", choices=("client", "playbook"), required=True)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--path", choices=("per-host", "fast"), help="per-host (the role) or fast (cluster engine)")
    parser.add_argument("--crash-rate", type=float, default=0.0, help="playbook tier: share of trials killed midway")
    parser.add_argument("--only", type=int, help="run only this trial index (a reproduction)")
    parser.add_argument("--scenario", type=json.loads, help="run only this trial, given as the JSON a violation prints")
    parser.add_argument("--shrink-runs", type=int, default=DEFAULT_SHRINK_RUNS,
                        help="re-runs allowed to shrink the first violation to a minimal reproduction (0: do not shrink)")
    parser.add_argument("--first", type=int, default=0, help="index of the first trial")
    parser.add_argument("--timeout", type=float, help="client request timeout (timeout faults sleep 3x this)")
    parser.add_argument("--max-nodes", type=int, default=12)
    parser.add_argument("--token-env", help="take the API token from this env var (default: a random token per run)")
    parser.add_argument("--no-token", action="store_true", help="nodes require no token")
    parser.add_argument("--evidence-dir", help="playbook tier: keep outputs and records of violating trials here")
    parser.add_argument("--progress", type=int, default=0, help="print a progress line every N trials")
    arguments = parser.parse_args(argv)
    arguments.path = arguments.path or DEFAULT_PATH[arguments.tier]
    arguments.timeout = arguments.timeout or DEFAULT_TIMEOUT[arguments.tier]
    if arguments.scenario is not None:
        try:
            arguments.scenario = Scenario.from_json(arguments.scenario)
            arguments.seed = arguments.scenario.seed
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            parser.error("--scenario is not a trial printed by this runner: %s: %s" % (type(error).__name__, error))
    if arguments.tier == "client" and arguments.crash_rate:
        parser.error("--crash-rate applies to the playbook tier (the client tier runs in this process)")
    return arguments


def trial_token(arguments: argparse.Namespace) -> str | None:
    if arguments.no_token:
        return None
    if arguments.token_env:
        return os.environ[arguments.token_env]
    return "trial-" + secrets.token_hex(12)


def scenario_command(arguments: argparse.Namespace, scenario: Scenario) -> str:
    return "python tools/trials.py --tier %s --path %s --scenario '%s'" % (
        arguments.tier, arguments.path, json.dumps(scenario.to_json(), sort_keys=True))


def rerun_command(arguments: argparse.Namespace, scenario: Scenario) -> str:
    if arguments.scenario is not None:
        return scenario_command(arguments, scenario)
    command = "python tools/trials.py --tier %s --path %s --seed %d --only %d --timeout %s --max-nodes %d" % (
        arguments.tier, arguments.path, scenario.seed, scenario.index, arguments.timeout, arguments.max_nodes)
    return command + (" --crash-rate %s" % arguments.crash_rate if arguments.crash_rate else "")


def trial_runner(arguments: argparse.Namespace, token: str | None) -> t.Callable[[Scenario], TrialOutcome]:
    if arguments.tier == "playbook":
        from _trials.playbook_tier import run_playbook_trial  # pylint: disable=import-outside-toplevel
        return lambda scenario: run_playbook_trial(scenario, arguments.path, token, arguments.evidence_dir)
    from _trials.client_tier import run_client_trial  # pylint: disable=import-outside-toplevel
    return lambda scenario: run_client_trial(scenario, arguments.path, token)


def trial_scenarios(arguments: argparse.Namespace) -> t.Iterator[Scenario]:
    if arguments.scenario is not None:
        yield arguments.scenario
        return
    indexes = [arguments.only] if arguments.only is not None else range(arguments.first, arguments.first + arguments.trials)
    for index in indexes:
        yield draw_scenario(arguments.seed, index, arguments.timeout, arguments.crash_rate, arguments.max_nodes)


def print_minimal_reproduction(arguments: argparse.Namespace, scenario: Scenario,
                               run_trial: t.Callable[[Scenario], TrialOutcome]) -> None:
    minimal, runs = shrink(scenario, lambda candidate: bool(run_trial(candidate).violations), arguments.shrink_runs)
    print("  minimal reproduction (%d nodes, %d faults; %d re-runs to shrink): %s" % (
        len(minimal.nodes), sum(len(node.faults) for node in minimal.nodes), runs, json.dumps(minimal.to_json(), sort_keys=True)))
    print("  re-run minimal: %s" % scenario_command(arguments, minimal), flush=True)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    token = trial_token(arguments)
    run_trial = trial_runner(arguments, token)
    scenarios = list(trial_scenarios(arguments))
    report = Report(arguments.tier, arguments.path, arguments.seed, len(scenarios))
    started = time.monotonic()
    for scenario in scenarios:
        outcome = run_trial(scenario)
        report.add(scenario, outcome)
        if outcome.violations:
            print("\n".join(violation_lines(scenario, outcome.violations, rerun_command(arguments, scenario))), flush=True)
            if len(report.violations) == 1 and arguments.shrink_runs > 0:
                print_minimal_reproduction(arguments, scenario, run_trial)
        if arguments.progress and report.done % arguments.progress == 0:
            print("progress: %d/%d trials, %d violations, %.0fs" % (
                report.done, len(scenarios), len(report.violations), time.monotonic() - started), flush=True)
    print("\n".join(report.lines(time.monotonic() - started, lambda scenario: rerun_command(arguments, scenario))), flush=True)
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
