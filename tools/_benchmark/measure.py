"""Wall time, CPU time and peak RSS of one measured run (a child process tree or an in-process call)."""
from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
import typing as t
from dataclasses import dataclass

SAMPLE_SECONDS = 0.2
PAGE_KIB = 1024


@dataclass
class Cost:
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    returncode: int = 0


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    return children


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(root: int) -> int:
    """Sum of VmRSS over root and all its descendants (ansible-playbook and its forks)."""
    children = _children_by_parent()
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += _rss_kib(pid)
        pending.extend(children.get(pid, []))
    return total


class _TreeSampler(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak_kib, self.stop_event = root, 0, threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(SAMPLE_SECONDS):
            self.peak_kib = max(self.peak_kib, tree_rss_kib(self.root))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_command(command: list[str], cwd: str, env: dict[str, str], log_path: str, timeout: float) -> Cost:
    """Run command to the end, output to log_path; CPU = children user+sys delta (the tree is reaped by then)."""
    cpu_before, started = _children_cpu(), time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
        sampler = _TreeSampler(process.pid)
        sampler.start()
        try:
            returncode = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            returncode = process.wait()
        finally:
            sampler.stop_event.set()
            sampler.join()
    wall = time.monotonic() - started
    return Cost(wall, _children_cpu() - cpu_before, sampler.peak_kib / 1024, returncode)


def measure_call(function: t.Callable[[], None]) -> Cost:
    """In-process call (the floor client): CPU of this process, peak = this process's max RSS so far."""
    cpu_before, started = time.process_time(), time.monotonic()
    function()
    wall = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return Cost(wall, time.process_time() - cpu_before, peak_kib / 1024)
