"""Benchmark (issue 8, 9): the floor client, the plain uri playbook and our playbooks on N simulated nodes.

    python tools/benchmark.py --quick            # N = 10, 100: floor, uri, create, delete, rollback (< 10 min)
    python tools/benchmark.py --full             # adds N = 1,000: floor, create, rollback, and N = 10,000 on the
                                                 # cluster-wide path: floor, fast-create, fast-rollback, fast-status
    (with the fast path: module-create/-rollback = cluster_group alone; fast-create/-rollback = the playbooks)
    python tools/benchmark.py --smoke            # N = 3: floor, uri, create, delete (for the smoke test)
    ... [--sizes 1000] [--scenarios floor,fast-create] [--forks 20] [--record]
                                                 # --record appends to docs/benchmark.md and docs/benchmark-results.csv

The simulator runs as a subprocess (prefix layout); before each figure the nodes' groups, faults and logs are
reset through its control API; requests per node come from its log, completion from its state.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time

from _benchmark.report import append_csv, append_markdown, machine, markdown, print_row, rows
from _benchmark.scenarios import (
    SCENARIOS, Measurement, Runner, fast_path_module_available, fast_path_switch_available,
)
from _benchmark.simulator_process import SimulatorProcess, make_work_dir
from _paths import REPO_ROOT

DOC_PATH = os.path.join(REPO_ROOT, "docs", "benchmark.md")
CSV_PATH = os.path.join(REPO_ROOT, "docs", "benchmark-results.csv")
SMALL = ["floor", "uri", "create", "delete", "rollback"]
LARGE = ["floor", "create", "rollback"]  # the uri playbook alone would take ~12 minutes at 1,000
# 10,000 nodes: the cluster-wide path only (the per-host path would take hours), status beside its GET-only floor
HUGE = ["floor", "fast-create", "fast-rollback", "floor-status", "fast-status"]
# the playbooks on the cluster-wide path (a saved plan is always applied there)
FAST = ["fast-create", "fast-rollback", "floor-status", "fast-status", "plan", "plan-apply"]
MODULE = ["module-create", "module-rollback"]  # clusterops.groups.cluster_group alone, in one generated task
MODES = {"smoke": {3: ["floor", "uri", "create", "delete"]},
         "quick": {10: SMALL, 100: SMALL},
         "full": {10: SMALL, 100: SMALL, 1000: LARGE, 10000: HUGE}}


def plan(mode: str, sizes: list[int] | None, scenarios: list[str] | None) -> dict[int, list[str]]:
    chosen = dict(MODES[mode])
    if sizes:
        chosen = {size: chosen.get(size, LARGE if size > 100 else SMALL) for size in sizes}
    if mode != "smoke":
        added = (MODULE if fast_path_module_available() else []) + (FAST if fast_path_switch_available() else [])
        chosen = {size: names + [name for name in added if name not in names] for size, names in chosen.items()}
    if scenarios:
        chosen = {size: list(scenarios) for size in chosen}
    return chosen


def scenario_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown scenarios {unknown}; known: {sorted(SCENARIOS)}")
    return names


def run_size(nodes: int, names: list[str], forks: int, work_dir: str, mode: str) -> list[Measurement]:
    measurements: list[Measurement] = []
    with SimulatorProcess(nodes, work_dir) as simulator:
        runner = Runner(simulator, work_dir, forks)
        for name in names:
            print(f"[{time.strftime('%H:%M:%S')}] N={nodes} {name} ...", flush=True)
            simulator_cpu = simulator.cpu_seconds()
            measurements.append(runner.run(SCENARIOS[name]))
            measurements[-1].note += f" simulator_cpu_s={simulator.cpu_seconds() - simulator_cpu:.1f} load1_after={os.getloadavg()[0]:.2f}"
            print_row(rows(measurements, mode)[-1], measurements[-1].note)
    return measurements


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = parser.add_mutually_exclusive_group()
    for mode in MODES:
        modes.add_argument(f"--{mode}", dest="mode", action="store_const", const=mode)
    parser.set_defaults(mode="quick")
    parser.add_argument("--sizes", type=lambda text: [int(size) for size in text.split(",")],
                        help="comma-separated node counts instead of the mode's (scenarios by size)")
    parser.add_argument("--scenarios", type=scenario_list,
                        help="comma-separated scenarios for every size (default: the mode's; fast-* need cluster_group)")
    parser.add_argument("--forks", type=int, default=20, help="forks for every playbook (uri and ours)")
    parser.add_argument("--record", action="store_true", help="append to docs/benchmark.md and docs/benchmark-results.csv")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (playbook logs, inventories)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work_dir, started = make_work_dir(), time.monotonic()
    print(f"benchmark {args.mode}: {machine()}; work dir {work_dir}", flush=True)
    measurements: list[Measurement] = []
    try:
        for nodes, names in plan(args.mode, args.sizes, args.scenarios).items():
            measurements += run_size(nodes, names, args.forks, work_dir, args.mode)
    finally:
        if not args.keep:
            shutil.rmtree(work_dir, ignore_errors=True)
    table = rows(measurements, args.mode)
    command = "python tools/benchmark.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print("\n" + markdown(table, args.mode, command.strip()))
    print(f"total {time.monotonic() - started:.0f} s", flush=True)
    if args.record:
        append_markdown(DOC_PATH, markdown(table, args.mode, command.strip()))
        append_csv(CSV_PATH, table, {"machine_" + key: value for key, value in machine().items()})
    return 0 if all(m.complete for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
