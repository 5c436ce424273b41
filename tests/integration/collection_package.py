"""Build, stage and install the collection the way a release and an execution environment get it.

Shared by the packaging tests and the AWX-style ansible-runner tests: both use the collection as
installed from the built tarball, never the checkout, so what they prove holds for what we ship.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT_SECONDS = 180


def venv_tool(name: str) -> str:
    """The console script `name` from the Python running the tests (the pinned toolchain)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def galaxy_version() -> str:
    with open(REPO_ROOT / "galaxy.yml", encoding="utf-8") as galaxy_file:
        return str(yaml.safe_load(galaxy_file)["version"])


def tarball_name() -> str:
    return "clusterops-groups-%s.tar.gz" % galaxy_version()


@lru_cache(maxsize=None)
def _empty_ansible_cfg() -> str:
    # ANSIBLE_CONFIG must name an .cfg file; an empty one shadows the checkout's, ~/.ansible.cfg and /etc/ansible
    path = Path(tempfile.mkdtemp(prefix="clusterops-cfg-")) / "ansible.cfg"
    path.write_text("[defaults]\n", encoding="utf-8")
    return str(path)


def isolated_ansible_env(collections_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """Environment for ansible commands that must not see the checkout's ansible.cfg or .collections."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["ANSIBLE_CONFIG"] = _empty_ansible_cfg()
    if collections_dir is not None:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_dir)
    env.update(extra)
    return env


def run_tool(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command to completion (bounded), capturing text output; the caller asserts on it."""
    return subprocess.run(
        args, cwd=str(cwd), env=env or isolated_ansible_env(), capture_output=True, text=True,
        timeout=COMMAND_TIMEOUT_SECONDS, check=False,
    )


def source_files() -> list[str]:
    """Files a working tree holds that git does not ignore (tracked or new): what a release is built from."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=str(REPO_ROOT), capture_output=True, text=True, check=True, timeout=60,
    )
    return [name for name in listing.stdout.split("\0") if name and (REPO_ROOT / name).is_file()]


def stage_source_tree(destination: Path) -> Path:
    """Copy the working tree's source files (not .git, .venv, caches) into `destination`."""
    for relative in source_files():
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / relative, target)
    return destination


def build_collection(source_dir: Path, output_dir: Path) -> Path:
    """`ansible-galaxy collection build` of `source_dir`; returns the tarball path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    result = run_tool(
        [venv_tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(output_dir), str(source_dir)],
        cwd=output_dir,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tarball = output_dir / tarball_name()
    assert tarball.is_file(), "expected %s; build said: %s" % (tarball, result.stdout)
    return tarball


def install_collection(tarball: Path, collections_dir: Path) -> Path:
    """Install the tarball into a clean collections path; returns the installed collection's root."""
    result = run_tool(
        [venv_tool("ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", str(collections_dir), str(tarball)],
        cwd=collections_dir.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return collections_dir / "ansible_collections" / "clusterops" / "groups"
