"""Release notes: CHANGELOG.rst is what antsibull-changelog renders from changelogs/, and the release leaves
changelogs/ ready for the fragments of the next version (what every later change adds)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from collection_package import REPO_ROOT, galaxy_version, isolated_ansible_env, run_tool, stage_source_tree, venv_tool


@pytest.fixture()
def staged_collection(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the working tree at ansible_collections/clusterops/groups, where antsibull-changelog's
    plugin scan (ansible-doc) finds it."""
    tree = stage_source_tree(tmp_path / "ansible_collections" / "clusterops" / "groups")
    return tree, isolated_ansible_env(tmp_path)


def _changelog(tree: Path, *args: str, env: dict[str, str]) -> str:
    result = run_tool([venv_tool("antsibull-changelog"), *args], tree, env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_rendered_changelog_matches_changelog_yaml(staged_collection: tuple[Path, dict[str, str]]) -> None:
    tree, env = staged_collection
    _changelog(tree, "generate", env=env)
    assert (tree / "CHANGELOG.rst").read_text(encoding="utf-8") == (REPO_ROOT / "CHANGELOG.rst").read_text(encoding="utf-8"), (
        "CHANGELOG.rst drifted from changelogs/changelog.yaml: run `antsibull-changelog generate`"
    )


def test_galaxy_version_is_released_or_pending() -> None:
    releases = yaml.safe_load((REPO_ROOT / "changelogs" / "changelog.yaml").read_text(encoding="utf-8"))["releases"]
    pending = [path.name for path in (REPO_ROOT / "changelogs" / "fragments").glob("*.y*ml")]
    assert galaxy_version() in releases or pending, "galaxy.yml's version has neither a release nor fragments"


def test_a_new_fragment_lands_in_the_next_release(staged_collection: tuple[Path, dict[str, str]]) -> None:
    tree, env = staged_collection
    fragment = tree / "changelogs" / "fragments" / "next_change.yml"
    fragment.write_text("---\nminor_changes:\n  - group - a change made after 0.1.0.\n", encoding="utf-8")
    _changelog(tree, "lint", env=env)
    _changelog(tree, "release", "--version", "99.0.0", env=env)
    rendered = (tree / "CHANGELOG.rst").read_text(encoding="utf-8")
    assert rendered.index("v99.0.0") < rendered.index("a change made after 0.1.0.") < rendered.index("v0.1.0")
    assert not fragment.exists(), "keep_fragments is false: a release consumes its fragments"
