"""How callers use the playbooks: by FQCN, the role from their own play, --check, bad input, group_status."""
from __future__ import annotations

import typing as t

import pytest

from playbook_runner import TYPED_EXTRA_VARS_KEPT, run_playbook, write_inventory
from simulator import Fault, FaultKind

pytestmark = pytest.mark.playbook

GROUP = "ops-team"

CALLER_IMPORTING_THE_PLAYBOOK = """
- name: Create the group with the collection's playbook
  ansible.builtin.import_playbook: clusterops.groups.create_group
"""

CALLER_USING_THE_ROLE = """
- name: Delete the group from the caller's own play
  hosts: cluster
  gather_facts: false
  connection: local
  strategy: linear
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  roles:
    - role: clusterops.groups.group_transaction
      vars:
        group_transaction_group: ops-team
        group_transaction_state: absent
"""

CALLER_WITH_SERIAL = """
- name: A play in batches cannot be all or nothing
  hosts: cluster
  gather_facts: false
  connection: local
  serial: 2
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  roles:
    - role: clusterops.groups.group_transaction
      vars:
        group_transaction_group: ops-team
"""


@pytest.fixture
def simulator(simulated_cluster: t.Callable[..., t.Any]) -> t.Any:
    return simulated_cluster(node_count=3)


@pytest.fixture
def inventory(simulator: t.Any, tmp_path: t.Any) -> str:
    return write_inventory(tmp_path, simulator.urls())


def caller_playbook(tmp_path: t.Any, text: str) -> str:
    path = tmp_path / "caller.yml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def holders(simulator: t.Any) -> set[str]:
    return {name for name, node in simulator.nodes.items() if GROUP in node.groups}


@pytest.mark.matrix
def test_import_playbook_by_fqcn(simulator: t.Any, inventory: str, tmp_path: t.Any) -> None:
    run = run_playbook(caller_playbook(tmp_path, CALLER_IMPORTING_THE_PLAYBOOK), inventory, tmp_path / "records",
                       extra_vars={"group": GROUP})
    assert run.rc == 0, run.describe()
    assert holders(simulator) == {"node1", "node2", "node3"}


def test_role_by_fqcn_from_a_caller_play(simulator: t.Any, inventory: str, tmp_path: t.Any) -> None:
    for node in simulator.nodes.values():
        node.groups.add(GROUP)
    run = run_playbook(caller_playbook(tmp_path, CALLER_USING_THE_ROLE), inventory, tmp_path / "records")
    assert run.rc == 0, run.describe()
    assert holders(simulator) == set()
    assert run.result["operation"] == "delete" and run.result["outcome"] == "success"


def test_serial_is_refused_before_any_request(simulator: t.Any, inventory: str, tmp_path: t.Any) -> None:
    run = run_playbook(caller_playbook(tmp_path, CALLER_WITH_SERIAL), inventory, tmp_path / "records")
    assert run.rc != 0
    assert "serial is not supported" in run.stdout
    assert sum(simulator.requests_per_node().values()) == 0


@pytest.mark.matrix
def test_check_mode_sends_only_gets_and_changes_nothing(simulator: t.Any, inventory: str, tmp_path: t.Any) -> None:
    simulator.nodes["node1"].groups.add(GROUP)
    run = run_playbook("create_group.yml", inventory, tmp_path / "records", extra_vars={"group": GROUP}, check=True)
    assert run.rc == 0, run.describe()
    assert holders(simulator) == {"node1"}
    assert {entry.method for node in simulator.nodes.values() for entry in node.log} == {"GET"}
    assert {name: node["result"] for name, node in run.result["nodes"].items()} == {
        "node1": "ok", "node2": "would_change", "node3": "would_change"}
    assert not (tmp_path / "records").exists(), "check mode writes no record"


@pytest.mark.matrix
@pytest.mark.parametrize("extra_vars, expected", [
    ({}, "the group name is missing"),
    ({"group": "bad/name"}, "invalid group name 'bad/name'"),
    pytest.param({"group": 42}, "got int 42", marks=pytest.mark.xfail(
        not TYPED_EXTRA_VARS_KEPT, strict=True, reason="before 2.19 the playbook's templating makes 42 the name '42'")),
], ids=["missing", "bad-character", "yaml-int"])
def test_bad_group_fails_clearly_without_any_request(simulator: t.Any, inventory: str, tmp_path: t.Any,
                                                     extra_vars: dict[str, t.Any], expected: str) -> None:
    run = run_playbook("create_group.yml", inventory, tmp_path / "records", extra_vars=extra_vars)
    assert run.rc != 0
    assert expected in run.stdout, run.describe()
    assert sum(simulator.requests_per_node().values()) == 0
    assert run.result is None


@pytest.mark.matrix
def test_group_status_reports_divergence(simulator: t.Any, inventory: str, tmp_path: t.Any) -> None:
    for name in ("node1", "node2", "node3"):
        simulator.nodes[name].groups.add(GROUP)
    consistent = run_playbook("group_status.yml", inventory, tmp_path / "records", extra_vars={"group": GROUP})
    assert consistent.rc == 0, consistent.describe()
    assert consistent.result["outcome"] == "present"

    simulator.nodes["node2"].groups.discard(GROUP)
    simulator.nodes["node3"].add_fault(Fault(FaultKind.OUTAGE, method=None))
    divergent = run_playbook("group_status.yml", inventory, tmp_path / "records", extra_vars={"group": GROUP})
    assert divergent.rc != 0
    assert divergent.result["outcome"] == "divergent"
    assert {name: node["state"] for name, node in divergent.result["nodes"].items()} == {
        "node1": "present", "node2": "absent", "node3": "unknown"}
    assert {entry.method for node in simulator.nodes.values() for entry in node.log} == {"GET"}
    assert not (tmp_path / "records").exists()


@pytest.mark.matrix
@pytest.mark.parametrize("connection_vars, words", [
    ({"cluster_timeout": "soon"}, "timeout"),
    ({"cluster_validate_certs": "perhaps"}, "validate_certs"),
], ids=["timeout", "validate-certs"])
def test_bad_connection_option_from_inventory_is_refused_before_any_request(
        simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any, connection_vars: dict[str, str], words: str) -> None:
    # Refused by the module's argspec on every node (the role's defaults are null; see roles/.../vars/main.yml).
    simulator = simulated_cluster(node_count=2)
    inventory = write_inventory(tmp_path, simulator.urls(), group_vars=connection_vars)
    run = run_playbook("create_group.yml", inventory, tmp_path / "records", extra_vars={"group": GROUP})
    assert run.rc != 0
    assert words in run.stdout and "__omit_place_holder__" not in run.stdout, run.describe()
    assert sum(simulator.requests_per_node().values()) == 0
    assert holders(simulator) == set()
