"""Figures out: a printed table, a markdown block appended to docs/benchmark.md, rows appended to a CSV."""
from __future__ import annotations

import csv
import datetime
import os
import platform
import typing as t

from .scenarios import Measurement

COLUMNS = ["date", "mode", "nodes", "scenario", "forks", "wall_s", "wall_ms_per_node", "cpu_s", "req_per_node",
           "get", "post", "delete", "peak_rss_mib", "ours_over_uri", "ours_over_floor", "load1", "complete"]


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), model)
    except OSError:
        pass
    try:
        from ansible.release import __version__ as ansible_version  # pylint: disable=import-outside-toplevel
    except ImportError:
        ansible_version = "not installed"
    return {"nproc": str(os.cpu_count()), "cpu": model, "python": platform.python_version(),
            "ansible_core": ansible_version}


def _reference_wall(measurements: list[Measurement], scenario: str, nodes: int) -> float | None:
    return next((m.cost.wall_seconds for m in measurements if m.scenario == scenario and m.nodes == nodes), None)


def _ratio(value: float, reference: float | None) -> str:
    return f"{value / reference:.2f}" if reference else "-"


def rows(measurements: list[Measurement], mode: str) -> list[dict[str, str]]:
    today = datetime.date.today().isoformat()
    table = []
    for m in measurements:
        ours = m.scenario not in ("floor", "uri")
        uri_wall = _reference_wall(measurements, "uri", m.nodes)
        floor_wall = _reference_wall(measurements, "floor", m.nodes)
        table.append({
            "date": today, "mode": mode, "nodes": str(m.nodes), "scenario": m.scenario,
            "forks": str(m.forks or "-"), "wall_s": f"{m.cost.wall_seconds:.2f}",
            "wall_ms_per_node": f"{1000 * m.cost.wall_seconds / m.nodes:.1f}", "cpu_s": f"{m.cost.cpu_seconds:.2f}",
            "req_per_node": f"{m.requests.get('total', 0):.2f}", "get": f"{m.requests.get('GET', 0):.2f}",
            "post": f"{m.requests.get('POST', 0):.2f}", "delete": f"{m.requests.get('DELETE', 0):.2f}",
            "peak_rss_mib": f"{m.cost.peak_rss_mib:.0f}",
            "ours_over_uri": _ratio(m.cost.wall_seconds, uri_wall) if ours else "-",
            "ours_over_floor": _ratio(m.cost.wall_seconds, floor_wall) if m.scenario != "floor" else "-",
            "load1": f"{m.load:.2f}", "complete": "yes" if m.complete else "NO",
        })
    return table


def print_row(row: dict[str, str], note: str = "") -> None:
    print("  ".join(f"{key}={row[key]}" for key in COLUMNS[2:]) + (f"  ({note})" if note else ""), flush=True)


def markdown(table: list[dict[str, str]], mode: str, command: str) -> str:
    info = machine()
    header = [f"### {table[0]['date'] if table else ''} `{command}` ({mode})", "",
              f"Machine: {info['nproc']} CPUs, {info['cpu']}, Python {info['python']}, "
              f"ansible-core {info['ansible_core']}; load1 = 1-minute load average just before each figure "
              "(the machine is shared).", ""]
    shown = COLUMNS[2:]
    lines = ["| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    lines += ["| " + " | ".join(row[key] for key in shown) + " |" for row in table]
    return "\n".join(header + lines) + "\n"


def append_markdown(path: str, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n" + text)


def append_csv(path: str, table: list[dict[str, str]], extra: t.Mapping[str, str]) -> None:
    fields = COLUMNS + sorted(extra)
    new_file = not os.path.exists(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")  # ansible-test line-endings
        if new_file:
            writer.writeheader()
        for row in table:
            writer.writerow(dict(row, **extra))
