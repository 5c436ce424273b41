"""Prove the bad-input catalogue guards every input validation: remove each one alone and the catalogue must fail.

    .venv/bin/python tools/validation_mutants.py [--tests tests/integration/test_bad_input.py]

A validation is a ``raise InvalidInput(...)`` (or a ``refuse(...)`` call, the URL check's helper) in
plugins/module_utils. For each one the script replaces that statement by ``pass`` in a temporary copy of the
repository (the checkout is never modified), runs the catalogue there with ``pytest -x``, and reports whether
the mutant was killed (some case failed) or survived. Exit code 1 if any survived. Takes a few minutes.
"""
from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import typing as t

from _paths import REPO_ROOT

MODULE_UTILS = os.path.join("plugins", "module_utils")
DEFAULT_TESTS = os.path.join("tests", "integration", "test_bad_input.py")


def is_validation(node: ast.AST) -> bool:
    if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
        return getattr(node.exc.func, "id", "") == "InvalidInput"
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "refuse"


def validation_sites(tree: ast.AST) -> list[ast.stmt]:
    return [node for node in ast.walk(tree) if is_validation(node)]  # type: ignore[misc]


def without_site(source: str, index: int) -> str:
    """``source`` with its ``index``-th validation statement replaced by ``pass``."""
    tree = ast.parse(source)
    target = validation_sites(tree)[index]
    for parent in ast.walk(tree):
        for _field, value in ast.iter_fields(parent):
            if isinstance(value, list) and target in value:
                value[value.index(target)] = ast.Pass()
    return ast.unparse(ast.fix_missing_locations(tree))


def copy_repository(destination: str) -> None:
    """The files git knows (tracked and untracked-not-ignored) plus the collection link, as `make setup` makes it."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO_ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for relative in filter(None, listed):
        source = os.path.join(REPO_ROOT, relative)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(os.path.join(destination, relative)), exist_ok=True)
            shutil.copy2(source, os.path.join(destination, relative))
    link = os.path.join(destination, ".collections", "ansible_collections", "clusterops", "groups")
    os.makedirs(os.path.dirname(link))
    os.symlink(os.path.join("..", "..", ".."), link)


def catalogue_fails(copy: str, tests: list[str]) -> bool:
    run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", *tests], cwd=copy,
                         capture_output=True, text=True, timeout=1800, check=False)
    return run.returncode != 0


def main(argv: t.Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", nargs="+", default=[DEFAULT_TESTS], help="test files to run against each mutant")
    args = parser.parse_args(argv)
    survived = killed = 0
    with tempfile.TemporaryDirectory(prefix="clusterops-mutants-") as copy:
        copy_repository(copy)
        if catalogue_fails(copy, args.tests):
            print("the catalogue fails without any mutation: fix it first", file=sys.stderr)
            return 2
        for name in sorted(os.listdir(os.path.join(copy, MODULE_UTILS))):
            if not name.endswith(".py"):
                continue
            path = os.path.join(copy, MODULE_UTILS, name)
            with open(path, encoding="utf-8") as handle:
                original = handle.read()
            sites = validation_sites(ast.parse(original))
            for index, site in enumerate(sites):
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(without_site(original, index))
                try:
                    caught = catalogue_fails(copy, args.tests)
                finally:
                    with open(path, "w", encoding="utf-8") as handle:
                        handle.write(original)
                killed, survived = killed + caught, survived + (not caught)
                line = original.splitlines()[site.lineno - 1].strip()
                print("%-8s %s:%d  %s" % ("killed" if caught else "SURVIVED", name, site.lineno, line[:80]), flush=True)
    print("validations removed: %d; killed by the catalogue: %d; survived: %d" % (killed + survived, killed, survived))
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
