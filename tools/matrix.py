"""The ansible-core release matrix: per release, a pinned venv, its own ansible-test sanity, units and integration
(the targets under tests/integration/targets/), and the `matrix` pytest subset (real ansible-playbook over real
HTTP against the simulator) run by that venv.

    python tools/matrix.py                      # every release in tests/matrix/
    python tools/matrix.py --release 2.16 --step pytest

Each release is one file, tests/matrix/requirements-<release>.txt: the `pip freeze` of its venv and a
`# python: X.Y` line naming the Python it runs on. The venv is cached under .matrix/venvs/ (git-ignored), keyed
by a hash of that file, the interpreter and the development packages (tools/install_dev_packages.sh installs the
simulator and makes the collection importable, as in .venv), so a re-run reuses it and a changed pin rebuilds it
from the package index. The development release (requirements-dev.txt) is not in the matrix: `make test` runs the full suite there.
A release whose Python is missing FAILS, it is never skipped.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import typing as t
from dataclasses import dataclass, field

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MATRIX_DIR = os.path.join(REPO_ROOT, "tests", "matrix")
VENV_ROOT = os.path.join(REPO_ROOT, ".matrix", "venvs")
# What installs the development packages into a venv, and what they are: a venv is rebuilt when either changes.
DEV_PACKAGE_FILES = (os.path.join(REPO_ROOT, "tools", "install_dev_packages.sh"),
                     os.path.join(REPO_ROOT, "tools", "node_simulator", "pyproject.toml"))
STEPS = ("sanity", "units", "integration", "pytest")
_PYTHON_LINE = re.compile(r"^#\s*python:\s*(\d+\.\d+)\s*$", re.MULTILINE)
# `# sanity-skip: <test> <why>`: a sanity test this release cannot run here (its requirements are not on the package
# index); every other release still runs it. The why is required, so the file says it.
_SANITY_SKIP_LINE = re.compile(r"^#\s*sanity-skip:\s*([\w.-]+)\s+\S.*$", re.MULTILINE)
_RELEASE_FILE = re.compile(r"requirements-(\d+\.\d+)\.txt$")


class MatrixError(Exception):
    """A release cannot be tested as pinned (missing Python, failed venv build)."""


@dataclass
class Release:
    """One ansible-core release of the matrix, as its requirement file pins it."""

    version: str
    requirements: str
    python_version: str
    sanity_skips: tuple[str, ...] = ()

    @property
    def sort_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split("."))


@dataclass
class Outcome:
    """What one release's run produced: seconds per step, and the failure if any."""

    release: Release
    seconds: dict[str, float] = field(default_factory=dict)
    failure: str = ""


def load_releases(directory: str = MATRIX_DIR) -> list[Release]:
    """Every tests/matrix/requirements-<release>.txt, oldest release first."""
    releases = []
    for path in glob.glob(os.path.join(directory, "requirements-*.txt")):
        match = _RELEASE_FILE.search(path)
        if not match:
            continue
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        python_line = _PYTHON_LINE.search(text)
        if not python_line:
            raise MatrixError("%s has no '# python: X.Y' line" % path)
        releases.append(Release(match.group(1), path, python_line.group(1), tuple(_SANITY_SKIP_LINE.findall(text))))
    if not releases:
        raise MatrixError("no release files under %s" % directory)
    return sorted(releases, key=lambda release: release.sort_key)


def interpreter_version(path: str) -> str | None:
    """'3.12.1' for a working interpreter, None for a missing one or a shim that refuses (pyenv)."""
    try:
        completed = subprocess.run([path, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                                   capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def find_python(python_version: str) -> tuple[str, str]:
    """(path, full version) of a real CPython X.Y: on PATH, else pyenv's; MatrixError when there is none."""
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates = [shutil.which("python%s" % python_version) or ""]
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", python_version + ".*", "bin",
                                                "python" + python_version)), reverse=True)
    for candidate in filter(None, candidates):
        found = interpreter_version(candidate)
        if found and found.startswith(python_version + "."):
            return candidate, found
    raise MatrixError("Python %s not found (looked on PATH and under %s/versions/%s.*): this release cannot be "
                      "tested; install that Python, it is never skipped" % (python_version, pyenv_root, python_version))


def venv_for(release: Release, log: t.TextIO) -> str:
    """The release's venv, built from its requirement file and the development packages unless the cached one matches."""
    python, python_full_version = find_python(release.python_version)
    digest = hashlib.sha256(python_full_version.encode())
    for path in (release.requirements,) + DEV_PACKAGE_FILES:
        with open(path, "rb") as handle:
            digest.update(handle.read())
    key = digest.hexdigest()[:12]
    venv = os.path.join(VENV_ROOT, "%s-%s" % (release.version, key))
    stamp = os.path.join(venv, ".installed")
    if os.path.exists(stamp):
        return venv
    for stale in glob.glob(os.path.join(VENV_ROOT, release.version + "-*")):
        shutil.rmtree(stale)  # an older pin of this release, or a build that did not finish
    print("[%s] building %s with Python %s" % (release.version, os.path.relpath(venv, REPO_ROOT), python_full_version),
          file=log, flush=True)
    os.makedirs(VENV_ROOT, exist_ok=True)
    commands = [[python, "-m", "venv", venv],
                [os.path.join(venv, "bin", "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 "--no-deps", "-r", release.requirements],
                # the simulator, the playbook runner and the collection, found as in .venv (make setup)
                ["bash", DEV_PACKAGE_FILES[0], venv]]
    for command in commands:
        if subprocess.run(command, check=False).returncode != 0:
            raise MatrixError("building the venv failed: %s" % " ".join(command))
    with open(stamp, "w", encoding="utf-8") as handle:
        handle.write(python_full_version + "\n")
    return venv


def step_command(step: str, release: Release, venv: str) -> tuple[list[str], dict[str, str]]:
    """The command and environment of one step, run by the release's own venv."""
    env = dict(os.environ, PATH=os.path.join(venv, "bin") + os.pathsep + os.environ.get("PATH", ""))
    env.pop("VIRTUAL_ENV", None)
    if step in ("sanity", "units", "integration"):
        env.update(ANSIBLE_TEST_VENV=venv, PYTHON_VERSION=release.python_version)
        skips = [argument for test in release.sanity_skips for argument in ("--skip-test", test)] if step == "sanity" else []
        return ["bash", os.path.join(REPO_ROOT, "tools", "ansible_test.sh"), step] + skips, env
    return [os.path.join(venv, "bin", "python"), "-m", "pytest", "-m", "matrix", "-q", "--durations=5"] + matrix_test_files(), env


def matrix_test_files() -> list[str]:
    """The test files holding `matrix` tests: collecting the others would import dev-only tools (ansible_builder)."""
    found = []
    for path in sorted(glob.glob(os.path.join(REPO_ROOT, "tests", "**", "test_*.py"), recursive=True)):
        with open(path, encoding="utf-8") as handle:
            if "pytest.mark.matrix" in handle.read():
                found.append(os.path.relpath(path, REPO_ROOT))
    return found


def run_release(release: Release, steps: t.Sequence[str], log: t.TextIO) -> Outcome:
    """Build (or reuse) the venv, then run the steps in order; stop at the first failing one."""
    outcome = Outcome(release)
    started = time.monotonic()
    try:
        venv = venv_for(release, log)
    except MatrixError as error:
        outcome.failure = str(error)
        return outcome
    finally:
        outcome.seconds["venv"] = time.monotonic() - started
    for step in steps:
        print("[%s] == %s" % (release.version, step), file=log, flush=True)
        command, env = step_command(step, release, venv)
        started = time.monotonic()
        returncode = subprocess.run(command, cwd=REPO_ROOT, env=env, check=False).returncode
        outcome.seconds[step] = time.monotonic() - started
        if returncode != 0:
            outcome.failure = "%s failed (exit %d)" % (step, returncode)
            break
    return outcome


def summary(outcomes: t.Sequence[Outcome], steps: t.Sequence[str]) -> str:
    """The per-release table printed at the end: wall seconds per step, total, result."""
    columns = ("venv",) + tuple(steps)
    lines = ["release  python  " + "".join("%9s" % name for name in columns) + "    total  result"]
    for outcome in outcomes:
        cells = "".join("%9s" % ("%.0fs" % outcome.seconds[name] if name in outcome.seconds else "-")
                        for name in columns)
        lines.append("%-8s %-7s %s %7.0fs  %s" % (outcome.release.version, outcome.release.python_version, cells,
                                                  sum(outcome.seconds.values()), outcome.failure or "ok"))
    return "\n".join(lines)


def parse_arguments(argv: t.Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--release", action="append", help="only this release (repeatable), e.g. 2.16")
    parser.add_argument("--step", action="append", choices=STEPS, help="only this step (repeatable)")
    return parser.parse_args(argv)


def main(argv: t.Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    steps = [step for step in STEPS if not arguments.step or step in arguments.step]
    releases = load_releases()
    unknown = set(arguments.release or ()) - {release.version for release in releases}
    if unknown:
        print("matrix: no requirement file for %s under %s" % (", ".join(sorted(unknown)), MATRIX_DIR), file=sys.stderr)
        return 2
    selected = [release for release in releases if not arguments.release or release.version in arguments.release]
    outcomes = [run_release(release, steps, sys.stdout) for release in selected]
    print("\n== ansible-core matrix (wall time per step)\n" + summary(outcomes, steps), flush=True)
    failed = [outcome for outcome in outcomes if outcome.failure]
    for outcome in failed:
        print("MATRIX FAILED: ansible-core %s: %s" % (outcome.release.version, outcome.failure), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
