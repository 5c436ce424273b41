"""The simulator in its own process (so it never shares the GIL with the floor client), reset between runs."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from _paths import REPO_ROOT

from simulator import SimulatorControl

READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.05
RESET_WORKERS = 8


class SimulatorProcess:
    """`with SimulatorProcess(n) as sim:` serves n nodes (prefix layout) until the block ends."""

    def __init__(self, node_count: int, work_dir: str) -> None:
        self.node_count = node_count
        self.ready_path = os.path.join(work_dir, f"simulator-{node_count}.ready.json")
        self.log_path = os.path.join(work_dir, f"simulator-{node_count}.log")
        self.process: subprocess.Popen | None = None
        self.urls: dict[str, str] = {}
        self.control: SimulatorControl | None = None

    def __enter__(self) -> "SimulatorProcess":
        command = [sys.executable, "-m", "simulator", "serve", "--nodes", str(self.node_count), "--layout", "prefix",
                   "--ready-file", self.ready_path]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        ready = self._wait_ready()
        self.urls = ready["urls"]
        self.control = SimulatorControl(ready["control_url"], timeout=30.0)
        return self

    def __exit__(self, *_: object) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT_SECONDS)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU of the node server process so far (it runs in its own process, beside the measured one)."""
        with open(f"/proc/{self.pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _wait_ready(self) -> dict:
        assert self.process is not None
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if os.path.exists(self.ready_path):
                with open(self.ready_path, encoding="utf-8") as handle:
                    return json.load(handle)
            if self.process.poll() is not None:
                raise RuntimeError(f"simulator exited with {self.process.returncode}; see {self.log_path}")
            time.sleep(POLL_SECONDS)
        raise RuntimeError(f"simulator not ready after {READY_TIMEOUT_SECONDS:.0f} s; see {self.log_path}")

    def reset(self, groups: list[str]) -> None:
        """Every node holds exactly `groups`, no faults, empty logs."""
        assert self.control is not None
        control = self.control
        control.clear_faults()
        with ThreadPoolExecutor(RESET_WORKERS) as pool:
            list(pool.map(lambda name: control.set_groups(name, groups), self.urls))
        control.clear_logs()

    def requests_by_method(self) -> dict[str, float]:
        """Mean requests per node, in total and per HTTP method, from the simulator's log."""
        assert self.control is not None
        log = self.control.log()
        counts: dict[str, int] = {"total": 0}
        for entries in log.values():
            for entry in entries:
                counts["total"] += 1
                counts[entry["method"]] = counts.get(entry["method"], 0) + 1
        return {method: count / max(len(log), 1) for method, count in counts.items()}


def make_work_dir() -> str:
    return tempfile.mkdtemp(prefix="clusterops-bench-")
