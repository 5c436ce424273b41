"""Every EXAMPLES block runs: each module's EXAMPLES, each filter's EXAMPLES (plugins/filter/*.yml) and the role
README's playbooks, run with real ansible-playbook against simulated TLS nodes, asserting node state.

The examples are taken from the files as written; only what must differ here is substituted in code: node URLs
(https://nodeN.example.com:8443 and "http(s)://{{ inventory_hostname }}..." become the simulated nodes), the CA
bundle path and the record directory. Task lists are wrapped in one play on the group `cluster`.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from collection_package import REPO_ROOT
from playbook_runner import run_playbook, write_inventory
from simulator import SimulatedCluster, SimulatorControl

GROUP = "analytics"
RUN_ID = "20261123T101500Z-000042"  # the run id the filter examples name
EXTRA_VARS = {"clusterops_run_id": "examples-run-1", "run_id": RUN_ID}
NODE_URL = re.compile(r"https?://node(\d+)\.example\.com(?::\d+)?")
TEMPLATED_URL = re.compile(r"https?://\{\{ inventory_hostname \}\}(?::\d+)?")
ROLE_README = REPO_ROOT / "roles" / "group_transaction" / "README.md"
ALL = ("node1", "node2", "node3")


@dataclass
class Scenario:
    """What the nodes hold before, which faults they have, and what they must hold after."""

    before: dict[str, list[str]] = field(default_factory=dict)
    outages: dict[str, str] = field(default_factory=dict)  # node -> HTTP method that answers 503 until cleared
    after: dict[str, list[str]] | None = None  # None: same as before
    writes: bool = True
    rc: int = 0
    prepared_run: bool = False  # an interrupted run RUN_ID whose rollback left node1 with the group
    stdout: tuple[str, ...] = ()


def everywhere(*groups: str) -> dict[str, list[str]]:
    return {node: list(groups) for node in ALL}


PARTIAL = {"node1": [GROUP], "node2": [], "node3": []}
SCENARIOS: dict[str, Scenario] = {
    "module:cluster_group": Scenario(after=everywhere(GROUP)),
    "module:group": Scenario(after=everywhere()),
    "module:cluster_group_info": Scenario(before=everywhere(GROUP), writes=False, stdout=('"msg": "present"',)),
    "filter:transaction_path": Scenario(writes=False, stdout=('"msg": "cluster_wide"',)),
    "filter:plan_exit_hosts": Scenario(writes=False, stdout=('"msg": "localhost"',)),
    "filter:saved_plan_errors": Scenario(writes=False, stdout=("plan is empty (-e plan=)",)),
    "filter:run_coverage": Scenario(writes=False, stdout=('"node2"',)),
    "filter:status_coverage": Scenario(writes=False, stdout=('"not_read"',)),
    "module:group_info": Scenario(before={"node2": [GROUP]}, writes=False, stdout=('"msg": true',)),
    "filter:group_name_error": Scenario(writes=False, stdout=("no spaces please",)),
    "filter:host_results": Scenario(before={"node1": [GROUP]}, writes=False, stdout=('"exists": true',)),
    "filter:status_account": Scenario(before={"node1": [GROUP]}, writes=False, stdout=('"msg": "divergent"',)),
    "filter:put_back_targets": Scenario(outages={"node2": "POST"}, after=everywhere()),
    "filter:transaction_account": Scenario(outages={"node2": "POST"}, after=everywhere(),
                                           stdout=('"outcome": "rolled_back"',)),
    "filter:transaction_report": Scenario(writes=False, stdout=("node1  absent  create  changed  restored",)),
    "filter:run_record": Scenario(prepared_run=True, writes=False, stdout=('"outcome": "rollback_incomplete"',)),
    "filter:finish_targets": Scenario(prepared_run=True, writes=False, stdout=('"state": "absent"',)),
    "filter:finish_account": Scenario(prepared_run=True, after=everywhere(), stdout=('"outcome": "finished"',)),
    "filter:duplicate_nodes_error": Scenario(writes=False, stdout=('"msg": ""',)),
    "filter:node_targets": Scenario(writes=False, stdout=('"name": "node3"',)),
    "filter:run_lock": Scenario(writes=False, stdout=('"released": true',)),
    "filter:run_lock_release": Scenario(writes=False, stdout=('"released": true',)),
    "filter:open_run": Scenario(writes=False, stdout=("if it is interrupted, finish it with",)),
    "filter:run_scope_errors": Scenario(writes=False, stdout=('"msg": []',)),
    "filter:finish_record_errors": Scenario(prepared_run=True, writes=False, stdout=('"msg": []',)),
    "filter:finish_inventory_nodes": Scenario(prepared_run=True, writes=False, stdout=('"name": "node1"',)),
    "filter:finish_refusals": Scenario(prepared_run=True, writes=False, stdout=('"msg": []',)),
    "filter:run_id": Scenario(writes=False, stdout=('"msg": "nightly-42"',)),
    "filter:operation": Scenario(writes=False, stdout=('"msg": "create"',)),
    "filter:record_path": Scenario(writes=False, stdout=('/records"',)),
    "filter:keep_run_outcome": Scenario(prepared_run=True, writes=False, stdout=('"kept": true',)),
    "role:1": Scenario(after=everywhere(GROUP)),
    "role:2": Scenario(before=everywhere(GROUP), outages={"node2": "DELETE"}, rc=2, stdout=("rolled_back: {",)),
    "role:3": Scenario(outages={"node2": "POST"}, rc=2, stdout=("create of analytics ended rolled_back (run ",)),
    "role:4": Scenario(outages={"node3": "POST"}, rc=2, stdout=("create of analytics: rolled_back",)),
    "role:5": Scenario(before=everywhere(GROUP), writes=False, stdout=("node1  present",)),
    "role:6": Scenario(prepared_run=True, after=everywhere()),
}


def module_examples() -> dict[str, str]:
    examples = {}
    for path in sorted((REPO_ROOT / "plugins" / "modules").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "EXAMPLES":
                examples["module:" + path.stem] = node.value.value
    return examples


def filter_examples() -> dict[str, str]:
    return {"filter:" + path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))["EXAMPLES"]
            for path in sorted((REPO_ROOT / "plugins" / "filter").glob("*.yml"))}


def role_examples() -> dict[str, str]:
    blocks = re.findall(r"```yaml\n(.*?)```", ROLE_README.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {"role:%d" % number: block for number, block in enumerate(blocks, start=1)}


EXAMPLES = {**module_examples(), **filter_examples(), **role_examples()}


def test_every_example_has_a_scenario() -> None:
    assert sorted(EXAMPLES) == sorted(SCENARIOS), "add the new example's scenario to SCENARIOS"


def substitute(text: str, cluster: SimulatedCluster, record_dir: Path) -> str:
    text = NODE_URL.sub(lambda match: cluster.url("node" + match.group(1)), text)
    text = TEMPLATED_URL.sub("{{ cluster_api_url }}", text)
    return text.replace("/etc/pki/clusterops/ca.pem", str(cluster.ca_path)).replace("/var/lib/clusterops/runs", str(record_dir))


def as_playbook(name: str, text: str, cluster: SimulatedCluster) -> list[dict]:
    document = yaml.safe_load(text)
    if all("hosts" in entry or "ansible.builtin.import_playbook" in entry for entry in document):
        return document
    # tasks: one play on the cluster; no waiting for backoff, and the simulated nodes' CA for every module
    defaults = {"ca_path": cluster.ca_path, "backoff_base": 0.0, "backoff_max": 0.0, "timeout": 5}
    return [{"name": "EXAMPLES of " + name, "hosts": "cluster", "gather_facts": False,
             "module_defaults": {"group/clusterops.groups.cluster": defaults}, "tasks": document}]


def prepare_interrupted_run(cluster: SimulatedCluster, control: SimulatorControl, inventory: str, home: Path) -> None:
    """Run RUN_ID: node2 refuses the create, node1 refuses the rollback, so node1 keeps the group."""
    control.add_fault("node2", {"kind": "outage", "method": "POST"})
    control.add_fault("node1", {"kind": "outage", "method": "DELETE"})
    run = run_playbook("create_group.yml", inventory, home / ".clusterops" / "records",
                       extra_vars={"group": GROUP, "group_transaction_run_id": RUN_ID}, extra_env={"HOME": str(home)})
    assert run.result and run.result["outcome"] == "rollback_incomplete", run.describe()
    control.clear_faults()
    assert cluster.snapshot() == PARTIAL


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_runs_against_simulated_nodes(name: str, simulated_cluster, tmp_path: Path) -> None:
    scenario = SCENARIOS[name]
    cluster = simulated_cluster(3, tls=True)
    control = SimulatorControl(cluster.control_url, ca_path=cluster.ca_path)
    home = tmp_path / "home"
    inventory = write_inventory(tmp_path, cluster.urls(), group_vars={
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "cluster_ca_path": cluster.ca_path})
    before = PARTIAL if scenario.prepared_run else {node: scenario.before.get(node, []) for node in ALL}
    if scenario.prepared_run:
        prepare_interrupted_run(cluster, control, inventory, home)
    for node, groups in before.items():
        control.set_groups(node, groups)
    for node, method in scenario.outages.items():
        control.add_fault(node, {"kind": "outage", "method": method})
    control.clear_logs()
    playbook = tmp_path / "example.yml"
    playbook.write_text(yaml.safe_dump(as_playbook(name, substitute(EXAMPLES[name], cluster, tmp_path / "records"), cluster)),
                        encoding="utf-8")
    run = run_playbook(str(playbook), inventory, home / ".clusterops" / "records", extra_vars=EXTRA_VARS,
                       extra_env={"HOME": str(home)})
    assert run.rc == scenario.rc, run.describe()
    assert cluster.snapshot() == (scenario.after if scenario.after is not None else before), run.describe()
    writes = [entry.method for entries in cluster.logs().values() for entry in entries if entry.method != "GET"]
    assert bool(writes) == scenario.writes, (writes, run.describe())
    for expected in scenario.stdout:
        assert expected in run.stdout, run.describe()
