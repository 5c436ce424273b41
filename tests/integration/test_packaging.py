"""Release packaging: the galaxy tarball, its install by FQCN, and the execution environment build context.

No container engine here: the EE is checked by `ansible-builder create` (context produced; the self-contained
top-level Dockerfile has its base image, Python, Ansible, system and Python dependencies and collection), by
hadolint, and by builder's own dependency introspection. The image itself was never built here.
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import tarfile
from pathlib import Path

import ansible_builder
import pytest
import yaml

from collection_package import (
    REPO_ROOT, build_collection, install_collection, isolated_ansible_env, run_tool, stage_source_tree,
    tarball_name, venv_tool,
)

# Files a working tree accumulates that must never ship (each mirrors a .gitignore entry).
DEVELOPMENT_LEFTOVERS = {
    ".venv/bin/python": "virtualenv",
    ".venv/pyvenv.cfg": "virtualenv",
    ".venv-import/bin/python": "import checks virtualenv",
    ".venv-navigator/bin/python": "ansible-navigator checks virtualenv",
    ".venv-docsite/bin/python": "docsite virtualenv",
    "build/docsite/index.html": "docsite build output",
    "plugins/module_utils/__pycache__/_transport.cpython-311.pyc": "bytecode cache",
    ".pytest_cache/v/cache/nodeids": "pytest cache",
    ".ansible/collections/placeholder": "ansible-test/ansible-lint cache",
    "tests/output/junit/result.xml": "ansible-test output",
    "inventory/local_cluster.yml": "local simulator inventory (before 0.1.0)",
    ".clusterops/local_cluster.yml": "local simulator inventory",
    ".clusterops/cluster.json": "local simulator state",
    "context/Dockerfile": "ansible-builder context",
    "benchmarks/results/run.json": "benchmark results",
    "clusterops-groups-0.0.1.tar.gz": "older build",
    "changelogs/.plugin-cache.yaml": "antsibull-changelog plugin cache",
}
FORBIDDEN_TOP_LEVEL = ("tests/", "tools/", ".venv", ".collections", ".pytest_cache", ".ansible/", ".clusterops",
                       "context/", "benchmarks", ".git/", ".ci/")
SHIPPED_FILES = ("LICENSE", "CHANGELOG.rst", "changelogs/changelog.yaml", "inventory/hosts.yml",
                 "inventory/group_vars/cluster.yml", "meta/runtime.yml", "meta/execution-environment.yml", "requirements.txt", "playbooks/create_group.yml",
                 "playbooks/delete_group.yml", "playbooks/finish_rollback.yml", "plugins/module_utils/_group_name.py")
PLAYBOOKS = ("create_group", "delete_group", "finish_rollback")
BUILDER_INTROSPECT = Path(ansible_builder.__file__).parent / "_target_scripts" / "introspect.py"


def _plant_leftovers(tree: Path) -> None:
    for relative in DEVELOPMENT_LEFTOVERS:
        leftover = tree / relative
        leftover.parent.mkdir(parents=True, exist_ok=True)
        leftover.write_text("leftover\n", encoding="utf-8")
    # `make setup` links the checkout into itself: a build that followed it would never end.
    loop = tree / ".collections" / "ansible_collections" / "clusterops" / "groups"
    loop.parent.mkdir(parents=True)
    loop.symlink_to(os.path.join("..", "..", ".."))


@pytest.fixture(scope="module")
def built_tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The collection built from a copy of the working tree salted with development leftovers."""
    tree = stage_source_tree(tmp_path_factory.mktemp("tree") / "groups")
    _plant_leftovers(tree)
    return build_collection(tree, tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def installed_collections(built_tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    collections_dir = tmp_path_factory.mktemp("clean") / "collections"
    install_collection(built_tarball, collections_dir)
    return collections_dir


def _tarball_members(tarball: Path) -> list[str]:
    with tarfile.open(tarball) as archive:
        return [name[2:] if name.startswith("./") else name for name in archive.getnames()]


def test_tarball_leaves_out_tests_state_virtualenvs_and_caches(built_tarball: Path) -> None:
    members = _tarball_members(built_tarball)
    shipped_leftovers = [name for name in members if name in DEVELOPMENT_LEFTOVERS or name.startswith(FORBIDDEN_TOP_LEVEL)]
    caches = [name for name in members if "__pycache__" in name or name.endswith((".pyc", ".tar.gz"))]
    assert shipped_leftovers == [] and caches == [], "add to galaxy.yml build_ignore: %s" % (shipped_leftovers + caches)


def test_tarball_ships_runtime_content(built_tarball: Path) -> None:
    members = set(_tarball_members(built_tarball))
    assert [name for name in SHIPPED_FILES if name not in members] == []
    assert any(name.startswith("roles/group_transaction/") for name in members)


def test_runtime_requirements_have_no_upper_bound() -> None:
    # certification (Automation Hub) refuses upper bounds; the tested versions are pinned in requirements-dev.txt
    requirements = (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    specifiers = [line.split("#")[0].strip() for line in requirements if line.split("#")[0].strip()]
    assert specifiers and [spec for spec in specifiers if re.search(r"<|==|~=", spec)] == []


def test_license_is_the_gpl3_text_galaxy_yml_declares() -> None:
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    assert galaxy["license"] == ["GPL-3.0-or-later"]
    assert (REPO_ROOT / "LICENSE").read_text(encoding="utf-8").lstrip().startswith("GNU GENERAL PUBLIC LICENSE\n")


def test_installs_from_a_requirements_file_as_the_readme_shows(built_tarball: Path, tmp_path: Path) -> None:
    shutil.copy2(built_tarball, tmp_path)
    (tmp_path / "requirements.yml").write_text(
        "collections:\n  - name: %s\n    type: file\n" % built_tarball.name, encoding="utf-8")
    # Only the target path is configured: a copy installed in the user's ~/.ansible must not make this a no-op.
    collections_dir = tmp_path / "collections"
    result = run_tool([venv_tool("ansible-galaxy"), "collection", "install", "--offline", "-r", "requirements.yml",
                       "-p", "collections"], tmp_path, env=isolated_ansible_env(collections_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = collections_dir / "ansible_collections" / "clusterops" / "groups" / "MANIFEST.json"
    assert manifest.is_file(), result.stdout + result.stderr


def _module_names() -> list[str]:
    return sorted(path.stem for path in (REPO_ROOT / "plugins" / "modules").glob("*.py") if path.stem != "__init__")


@pytest.mark.parametrize("module", _module_names() or ["group"])
def test_installed_module_is_documented_by_fqcn(installed_collections: Path, module: str, tmp_path: Path) -> None:
    fqcn = "clusterops.groups.%s" % module
    result = run_tool([venv_tool("ansible-doc"), "--json", "-t", "module", fqcn], tmp_path, isolated_ansible_env(installed_collections))
    assert result.returncode == 0, result.stderr
    # ansible-doc exits 0 with a warning and `{}` for a module it cannot find: check the document itself
    documentation = json.loads(result.stdout).get(fqcn, {}).get("doc", {})
    assert documentation.get("description"), "ansible-doc found no documentation for %s: %s" % (fqcn, result.stderr)


@pytest.mark.parametrize("playbook", ["clusterops.groups.%s" % name for name in PLAYBOOKS]
                         + sorted("extras/awx/project/" + path.name for path in (REPO_ROOT / "extras" / "awx" / "project").glob("*.yml")))
def test_installed_playbook_resolves_by_fqcn(installed_collections: Path, playbook: str, tmp_path: Path) -> None:
    target = playbook if playbook.startswith("clusterops.") else str(REPO_ROOT / playbook)
    result = run_tool([venv_tool("ansible-playbook"), "--syntax-check", "-i", "localhost,", target],
                      tmp_path, isolated_ansible_env(installed_collections))
    assert result.returncode == 0, result.stdout + result.stderr


def test_builder_finds_the_collection_python_requirements(installed_collections: Path, tmp_path: Path) -> None:
    # the script builder runs inside the image to collect every collection's declared requirements
    result = run_tool([venv_tool("python"), str(BUILDER_INTROSPECT), "introspect", str(installed_collections)], tmp_path)
    assert result.returncode == 0, result.stderr
    found = yaml.safe_load(result.stdout)["python"]
    requirements = (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    expected = [line.strip() for line in requirements if line.strip() and not line.startswith("#")]
    assert [entry.split("#")[0].strip() for entry in found] == expected


@pytest.fixture(scope="module")
def builder_context(built_tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ansible-builder create` from execution-environment.yml, with the built tarball beside it as in a release."""
    workdir = tmp_path_factory.mktemp("ee")
    shutil.copy2(REPO_ROOT / "execution-environment.yml", workdir)
    shutil.copy2(built_tarball, workdir)
    result = run_tool([venv_tool("ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context",
                       "--output-filename", "Dockerfile"], workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    return workdir / "context"


def dockerfile_stages(text: str) -> tuple[dict[str, str], list[list[tuple[str, str]]]]:
    """(global ARG defaults, stages as [(INSTRUCTION, arguments)]), continuation lines joined, comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    instructions = [line.split(None, 1) for line in "\n".join(lines).replace("\\\n", " ").splitlines() if line.strip()]
    global_args: dict[str, str] = {}
    stages: list[list[tuple[str, str]]] = []
    for keyword, arguments in ((parts[0].upper(), parts[1] if len(parts) > 1 else "") for parts in instructions):
        if keyword == "FROM":
            stages.append([])
        if keyword == "ARG" and not stages and "=" in arguments:
            name, default = arguments.split("=", 1)
            global_args[name] = default.strip('"')
        elif stages:
            stages[-1].append((keyword, arguments))
    return global_args, stages


@pytest.fixture(scope="module")
def execution_environment() -> dict:
    return yaml.safe_load((REPO_ROOT / "execution-environment.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def our_dockerfile() -> tuple[dict[str, str], list[list[tuple[str, str]]]]:
    return dockerfile_stages((REPO_ROOT / "Dockerfile").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def builder_dockerfile(builder_context: Path) -> tuple[dict[str, str], list[list[tuple[str, str]]]]:
    return dockerfile_stages((builder_context / "Dockerfile").read_text(encoding="utf-8"))


def _runs(stages: list[list[tuple[str, str]]]) -> str:
    return "\n".join(arguments for stage in stages for keyword, arguments in stage if keyword == "RUN")


def test_dockerfile_needs_no_generated_build_context(our_dockerfile) -> None:
    copies = [arguments for stage in our_dockerfile[1] for keyword, arguments in stage if keyword in ("COPY", "ADD")]
    assert copies and all(source.startswith("--from=") or source == ". /src" for source in copies), copies
    assert not re.search(r"(^|\s)_build/", (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8"), flags=re.MULTILINE)


def test_dockerfile_base_image_and_python_are_the_ee_definitions(our_dockerfile, builder_dockerfile, execution_environment) -> None:
    python = execution_environment["dependencies"]["python_interpreter"]
    expected = {"EE_BASE_IMAGE": execution_environment["images"]["base_image"]["name"],
                "PYPKG": python["package_system"], "PYCMD": python["python_path"]}
    for name, value in expected.items():
        assert our_dockerfile[0][name] == value == builder_dockerfile[0][name], name


def test_dockerfile_installs_the_ee_ansible_versions(our_dockerfile, builder_dockerfile, execution_environment) -> None:
    dependencies = execution_environment["dependencies"]
    expected = sorted([dependencies["ansible_core"]["package_pip"], dependencies["ansible_runner"]["package_pip"]])
    assert sorted(builder_dockerfile[0]["ANSIBLE_INSTALL_REFS"].split()) == expected
    assert sorted(re.findall(r"'(ansible-(?:core|runner)==[^']+)'", _runs(our_dockerfile[1]))) == expected


def test_no_system_dependency_besides_python(our_dockerfile, builder_context: Path, execution_environment) -> None:
    # builder would install system packages from the EE's `system` entry or a collection's bindep.txt: there are none
    assert "system" not in execution_environment["dependencies"]
    assert not (REPO_ROOT / "bindep.txt").exists() and not (builder_context / "_build" / "bindep.txt").exists()
    assert re.findall(r"dnf install (.+?) &&", _runs(our_dockerfile[1])) == ['-y "$PYPKG"']


def test_dockerfile_installs_the_collection_and_its_python_requirements(our_dockerfile, builder_dockerfile) -> None:
    ours, theirs = _runs(our_dockerfile[1]), _runs(builder_dockerfile[1])
    collections_path = '--collections-path "/usr/share/ansible/collections"'
    assert collections_path in theirs and collections_path.replace('"', "") in ours
    assert "ansible-galaxy collection build --output-path /tmp/dist /src" in ours
    assert "/tmp/dist/clusterops-groups-*.tar.gz" in ours
    # builder introspects meta/execution-environment.yml; ours installs the file it names
    meta = yaml.safe_load((REPO_ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert "-r /usr/share/ansible/collections/ansible_collections/clusterops/groups/%s" % meta["dependencies"]["python"] in ours


def test_dockerfile_final_stage_runs_like_the_builder_image(our_dockerfile, builder_dockerfile) -> None:
    def runtime(stage: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(keyword, arguments) for keyword, arguments in stage if keyword in ("WORKDIR", "LABEL", "USER", "ENTRYPOINT", "CMD")]

    assert runtime(our_dockerfile[1][-1]) == runtime(builder_dockerfile[1][-1])
    dumb_init = re.compile(r"'dumb-init==[^']+'")
    assert dumb_init.findall(_runs(our_dockerfile[1][-1:])) == dumb_init.findall(_runs(builder_dockerfile[1][-1:]))


def test_docker_context_keeps_local_state_out_and_the_collection_in() -> None:
    patterns = [line.strip() for line in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    assert {".git", ".venv", ".collections", ".clusterops", "*.tar.gz"} <= set(patterns)
    needed = ("galaxy.yml", "README.md", "plugins/modules/group.py", "roles/group_transaction/tasks/main.yml") + SHIPPED_FILES
    assert [name for name in needed if any(fnmatch.fnmatch(name, pattern) or name.startswith(pattern + "/")
                                           for pattern in patterns)] == []


def test_builder_context_installs_this_version_of_the_collection(builder_context: Path) -> None:
    assert (builder_context / "_build" / "collections" / tarball_name()).is_file()
    galaxy_requirements = yaml.safe_load((builder_context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert galaxy_requirements["collections"] == [{"name": "collections/" + tarball_name(), "type": "file"}], (
        "execution-environment.yml must install the tarball of galaxy.yml's version"
    )


def test_dockerfile_passes_hadolint() -> None:
    # cwd = repo root so hadolint reads .hadolint.yaml, as `tools/lint.sh` does
    result = run_tool([venv_tool("hadolint"), "Dockerfile"], REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_runs_as_a_numeric_non_root_user() -> None:
    # stands in for hadolint DL3002/DL3066, which .hadolint.yaml ignores for builder's intermediate stages
    users = re.findall(r"^USER\s+(\S+)\s*$", (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert users and users[-1].isdigit() and users[-1] != "0"
