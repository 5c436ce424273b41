"""Run real ansible-playbook processes against simulated cluster nodes (shared by playbook, AWX, trial tests).

    inventory = write_inventory(tmp_path, cluster.urls())
    run = run_playbook("create_group.yml", inventory, tmp_path, extra_vars={"group": "ops"})
    run.rc, run.stdout, run.result  # result = the set_stats artifact clusterops_groups_result (or None)
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import typing as t
from dataclasses import dataclass, field

from ansible.release import __version__ as ANSIBLE_CORE_VERSION


def _collection_checkout() -> str:
    """The checkout whose collection this process imports: its playbooks, ansible.cfg and .collections are the ones run.

    Not this file's own checkout: tools/validation_mutants.py runs the tests in a mutated copy, whose pytest
    `pythonpath` puts the copy's .collections on the import path, ahead of the venv's checkout_collection finder.
    """
    spec = importlib.util.find_spec("ansible_collections.clusterops.groups")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("ansible_collections.clusterops.groups is not importable: run make setup")
    return os.path.realpath(list(spec.submodule_search_locations)[0])


REPO_ROOT = _collection_checkout()
PLAYBOOK_DIR = os.path.join(REPO_ROOT, "playbooks")
RESULT_KEY = "clusterops_groups_result"
# Tiny backoff and a short timeout: tests never wait for real backoff.
# cluster_validate_certs: a typed (bool) inventory variable must pass the role's argument validation on every release.
FAST_CONNECTION_VARS: dict[str, t.Any] = {
    "cluster_validate_certs": True,
    "cluster_timeout": 2.0,
    "cluster_retries": 2,
    "cluster_backoff_base": 0.0,
    "cluster_backoff_max": 0.0,
}
# The role's two paths, as extra vars: a task per host, or one cluster-wide task (tests parametrize over both).
PATH_VARS: dict[str, dict[str, t.Any]] = {"per-host": {}, "fast-path": {"group_transaction_fast_path": True}}
# Before ansible-core 2.19, templating renders an int extra var as its string: the playbooks' mapping
# `group_transaction_group: "{{ group }}"` turns -e '{"group": 42}' into the valid name "42" (docs/design.md).
TYPED_EXTRA_VARS_KEPT = tuple(int(part) for part in ANSIBLE_CORE_VERSION.split(".")[:2]) >= (2, 19)
_RUN_STATS_PREFIX = "\tRUN: "
_RECAP_LINE = re.compile(r"^(\S+)\s+:\s+(ok=.*)$", re.MULTILINE)
_RECAP_COUNTER = re.compile(r"(\w+)=(\d+)")


@dataclass
class PlaybookRun:
    """What one ansible-playbook process left behind."""

    rc: int
    stdout: str
    stderr: str
    command: list[str] = field(default_factory=list)

    @property
    def custom_stats(self) -> dict[str, t.Any]:
        """The per-run set_stats data, parsed from the default callback's CUSTOM STATS banner."""
        for line in self.stdout.splitlines():
            if line.startswith(_RUN_STATS_PREFIX):
                return json.loads(line[len(_RUN_STATS_PREFIX):])
        return {}

    @property
    def result(self) -> dict[str, t.Any] | None:
        """The `clusterops_groups_result` artifact, or None when the play never published it."""
        return self.custom_stats.get(RESULT_KEY)

    @property
    def recap(self) -> dict[str, dict[str, int]]:
        """PLAY RECAP counters per host: {host: {"ok": n, "changed": n, "failed": n, ...}}."""
        counters: dict[str, dict[str, int]] = {}
        for match in _RECAP_LINE.finditer(self.stdout):
            host_counters = counters.setdefault(match.group(1), {})
            for name, value in _RECAP_COUNTER.findall(match.group(2)):
                host_counters[name] = host_counters.get(name, 0) + int(value)
        return counters

    @property
    def changed(self) -> int:
        """Total `changed` over every host of every recap (0 for an idempotent run)."""
        return sum(host.get("changed", 0) for host in self.recap.values())

    def describe(self) -> str:
        """For assertion messages: the command and the tail of its output."""
        return "%s\nrc=%s\n%s\n%s" % (" ".join(self.command), self.rc, self.stdout[-6000:], self.stderr[-3000:])


def write_inventory(directory: str | os.PathLike[str], urls: t.Mapping[str, str],
                    group_vars: t.Mapping[str, t.Any] | None = None,
                    host_vars: t.Mapping[str, t.Mapping[str, t.Any]] | None = None,
                    group: str = "cluster") -> str:
    """An inventory (JSON is YAML) with one host per node, its `cluster_api_url`, and fast connection options."""
    hosts = {name: dict({"cluster_api_url": url}, **dict((host_vars or {}).get(name, {}))) for name, url in urls.items()}
    variables = dict(FAST_CONNECTION_VARS, **dict(group_vars or {}))
    path = os.path.join(os.fspath(directory), "inventory.yml")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"all": {"children": {group: {"hosts": hosts, "vars": variables}}}}, handle, indent=2)
    return path


def playbook_environment(record_dir: str | os.PathLike[str], extra_env: t.Mapping[str, str] | None = None) -> dict[str, str]:
    """The repository's ansible.cfg, the venv first on PATH, the record dir, custom stats on stdout."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": os.path.join(REPO_ROOT, "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO_ROOT, ".collections"),
        "PATH": os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
        "CLUSTEROPS_RECORD_DIR": os.fspath(record_dir),
        "ANSIBLE_SHOW_CUSTOM_STATS": "true",
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("CLUSTEROPS_API_TOKEN", None)
    env.update(extra_env or {})
    return env


def playbook_command(playbook: str, inventory: str | None, extra_vars: t.Mapping[str, t.Any] | None = None,
                     check: bool = False, extra_args: t.Sequence[str] = ()) -> list[str]:
    """`playbook` is a file name under playbooks/, a path, or an FQCN (clusterops.groups.create_group)."""
    if os.path.sep not in playbook and playbook.endswith(".yml"):
        playbook = os.path.join(PLAYBOOK_DIR, playbook)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook]
    if inventory:
        command += ["-i", inventory]
    if extra_vars:
        command += ["-e", json.dumps(dict(extra_vars))]
    if check:
        command.append("--check")
    return command + list(extra_args)


def run_playbook(playbook: str, inventory: str | None, record_dir: str | os.PathLike[str],
                 extra_vars: t.Mapping[str, t.Any] | None = None, check: bool = False,
                 extra_args: t.Sequence[str] = (), extra_env: t.Mapping[str, str] | None = None,
                 timeout: float = 240.0) -> PlaybookRun:
    """Run ansible-playbook to the end (bounded by `timeout`) from the repository root."""
    command = playbook_command(playbook, inventory, extra_vars, check, extra_args)
    completed = subprocess.run(command, cwd=REPO_ROOT, env=playbook_environment(record_dir, extra_env),
                               capture_output=True, text=True, timeout=timeout, check=False)
    return PlaybookRun(completed.returncode, completed.stdout, completed.stderr, command)


def start_playbook(playbook: str, inventory: str | None, record_dir: str | os.PathLike[str],
                   extra_vars: t.Mapping[str, t.Any] | None = None,
                   extra_env: t.Mapping[str, str] | None = None,
                   output: str | os.PathLike[str] | None = None) -> subprocess.Popen[str]:
    """Start ansible-playbook in its own session (for kill tests); stop it with `kill_playbook`. With `output`, its
    stdout and stderr go to that file (what an operator saw before the kill)."""
    command = playbook_command(playbook, inventory, extra_vars)
    with open(output if output is not None else os.devnull, "w", encoding="utf-8") as stream:
        return subprocess.Popen(command, cwd=REPO_ROOT, env=playbook_environment(record_dir, extra_env),
                                stdout=stream, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def kill_playbook(process: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """SIGKILL ansible-playbook and every process it started, as a controller crash (VM, container) would.

    Killing the process group is not enough: ansible's worker processes call setsid(), so they and
    their module processes would survive and could still write to nodes after the "crash".
    """
    for signal_number in (signal.SIGSTOP, signal.SIGKILL):  # freeze first so nobody forks meanwhile
        for pid in [process.pid] + descendants(process.pid):
            try:
                os.kill(pid, signal_number)
            except ProcessLookupError:
                pass
    process.wait(timeout=timeout)


def descendants(root_pid: int) -> list[int]:
    """Every live descendant of root_pid, read from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="utf-8") as handle:
                parent_pid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent_pid, []).append(int(entry))
    found: list[int] = []
    pending = [root_pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found
