"""inventory/: the example inventory for a real cluster parses, and the variables it sets are the ones the
playbooks read (run against simulated TLS nodes with only the URLs and the CA path swapped in)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from collection_package import REPO_ROOT, isolated_ansible_env, run_tool, venv_tool
from playbook_runner import run_playbook

EXAMPLE = REPO_ROOT / "inventory"
TOKEN = "example-inventory-t0ken"


def _inventory(*args: str, inventory: Path = EXAMPLE) -> str:
    result = run_tool([venv_tool("ansible-inventory"), "-i", str(inventory), *args], REPO_ROOT, isolated_ansible_env())
    assert result.returncode == 0 and "[WARNING]" not in result.stderr, result.stdout + result.stderr
    return result.stdout


def test_graph_shows_the_nodes_in_group_cluster() -> None:
    graph = _inventory("--graph")
    assert "@cluster:" in graph and all("|--node%d" % index in graph for index in (1, 2, 3)), graph


def test_every_node_has_an_https_url_tls_options_and_no_plain_token() -> None:
    hostvars = json.loads(_inventory("--list"))["_meta"]["hostvars"]
    assert sorted(hostvars) == ["node1", "node2", "node3"]
    for host, variables in hostvars.items():
        assert variables["cluster_api_url"].startswith("https://"), host
        assert variables["cluster_validate_certs"] is True and variables["cluster_ca_path"], host
        assert "cluster_api_token" not in variables, "the example keeps the token in CLUSTEROPS_API_TOKEN (or vaulted)"


def _example_pointed_at(cluster, destination: Path) -> Path:
    """A copy of inventory/ whose hosts are the simulated nodes: URLs and CA substituted, nothing else."""
    shutil.copytree(EXAMPLE, destination)
    hosts_file, group_vars_file = destination / "hosts.yml", destination / "group_vars" / "cluster.yml"
    hosts = yaml.safe_load(hosts_file.read_text(encoding="utf-8"))
    assert sorted(hosts["cluster"]["hosts"]) == sorted(cluster.names)
    for name, variables in hosts["cluster"]["hosts"].items():
        variables["cluster_api_url"] = cluster.url(name)
    hosts_file.write_text(yaml.safe_dump(hosts), encoding="utf-8")
    group_vars = yaml.safe_load(group_vars_file.read_text(encoding="utf-8"))
    group_vars["cluster_ca_path"] = cluster.ca_path
    group_vars_file.write_text(yaml.safe_dump(group_vars), encoding="utf-8")
    return destination


def test_example_inventory_drives_a_create_over_tls_with_the_token_from_the_environment(simulated_cluster, tmp_path: Path) -> None:
    cluster = simulated_cluster(3, tls=True, token=TOKEN)
    inventory = _example_pointed_at(cluster, tmp_path / "inventory")
    run = run_playbook("create_group.yml", str(inventory), tmp_path / "records", extra_vars={"group": "analysts"},
                       extra_env={"CLUSTEROPS_API_TOKEN": TOKEN})
    assert run.rc == 0, run.describe()
    assert cluster.snapshot() == {name: ["analysts"] for name in cluster.names}
    assert TOKEN not in run.stdout + run.stderr
