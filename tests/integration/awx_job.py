"""Run a playbook the way an AWX job does: ansible-runner, a fresh private data dir, survey answers as extra
vars, the credential type's injector as environment, the project's collections beside its playbooks.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import ansible_runner
import yaml
from jinja2.sandbox import SandboxedEnvironment

from collection_package import REPO_ROOT

AWX_KIT = REPO_ROOT / "extras" / "awx"
JOB_TIMEOUT_SECONDS = 240


def load_survey() -> dict[str, Any]:
    return json.loads((AWX_KIT / "survey_group.json").read_text(encoding="utf-8"))


def load_credential_type() -> dict[str, Any]:
    return yaml.safe_load((AWX_KIT / "credential_type.yml").read_text(encoding="utf-8"))


def survey_extra_vars(answers: dict[str, Any]) -> dict[str, Any]:
    """Extra vars from survey answers, refused where AWX refuses them (required, text length)."""
    extra_vars: dict[str, Any] = {}
    for question in load_survey()["spec"]:
        variable = question["variable"]
        if variable not in answers:
            assert not question["required"], "AWX refuses the launch: %s is required" % variable
            continue
        answer = answers[variable]
        if question["type"] == "text":
            assert question["min"] <= len(answer) <= question["max"], "AWX refuses %r: length out of range" % answer
        extra_vars[variable] = answer
    return extra_vars


def credential_environment(credential_inputs: dict[str, str]) -> dict[str, str]:
    """What AWX puts into the job's environment for a credential of our type (injectors rendered with Jinja)."""
    credential_type = load_credential_type()
    injectors = credential_type["injectors"]
    assert set(injectors) == {"env"}, "the token must reach the job as environment only, never as extra vars"
    sandbox = SandboxedEnvironment()
    return {name: sandbox.from_string(template).render(**credential_inputs) for name, template in injectors["env"].items()}


def make_private_data_dir(root: Path, installed_collection: Path, hosts: dict[str, dict[str, Any]],
                          extra_vars: dict[str, Any], env: dict[str, str]) -> Path:
    """A private data dir as AWX prepares it: project/ (the example project with its collections installed),
    inventory/hosts (group `cluster`), env/extravars, env/envvars, env/settings."""
    project = root / "project"
    shutil.copytree(AWX_KIT / "project", project)
    shutil.copytree(installed_collection, project / "collections" / "ansible_collections" / "clusterops" / "groups")
    (root / "inventory").mkdir()
    inventory = {"all": {"children": {"cluster": {"hosts": hosts}}}}
    (root / "inventory" / "hosts").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    (root / "env").mkdir()
    (root / "env" / "extravars").write_text(json.dumps(extra_vars), encoding="utf-8")
    (root / "env" / "envvars").write_text(json.dumps(env), encoding="utf-8")
    (root / "env" / "settings").write_text(json.dumps({"job_timeout": JOB_TIMEOUT_SECONDS}), encoding="utf-8")
    return root


def run_job(private_data_dir: Path, playbook: str) -> ansible_runner.Runner:
    return ansible_runner.run(private_data_dir=str(private_data_dir), playbook=playbook, ident="job", quiet=True)


def stats_artifact(runner: ansible_runner.Runner) -> dict[str, Any]:
    """What set_stats published, as AWX stores it on the job and hands to the next workflow node."""
    stats_events = [event for event in runner.events if event.get("event") == "playbook_on_stats"]
    assert len(stats_events) == 1, "the playbook did not reach its stats"
    return stats_events[0]["event_data"].get("artifact_data", {})


def artifact_files_containing(private_data_dir: Path, secret: str) -> list[str]:
    """Paths, relative to artifacts/, of every file whose bytes contain `secret`."""
    artifacts = private_data_dir / "artifacts"
    needle = secret.encode("utf-8")
    return sorted(str(path.relative_to(artifacts)) for path in artifacts.rglob("*")
                  if path.is_file() and needle in path.read_bytes())
