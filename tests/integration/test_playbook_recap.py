"""PLAY RECAP tells the truth and a wider playbook can use the result.

After a failed run the nodes that need attention (failed, not put back, state unknown) end `failed` in PLAY RECAP
and the host that reported does not, on both paths, for random sets of failing nodes and operations; a run whose
failure no node can carry (--limit) still fails. A caller reads `clusterops_groups_result` as a fact: in its own
`rescue`, with `group_transaction_fail_on_error: false`, and in a later play from localhost.
"""
from __future__ import annotations

import random
import typing as t

import pytest

from playbook_runner import run_playbook, write_inventory
from simulator import Fault, FaultKind

pytestmark = pytest.mark.playbook

GROUP = "recap-team"
NODES = 6
TRIALS = 4


def _needs_attention(entry: dict[str, t.Any]) -> bool:
    return entry["result"] in ("failed", "no_result") or entry["rollback"] == "failed" or entry["after"] == "unknown"


@pytest.fixture
def cluster(simulated_cluster: t.Callable[..., t.Any], tmp_path: t.Any) -> tuple[t.Any, str]:
    simulator = simulated_cluster(node_count=NODES)
    return simulator, write_inventory(tmp_path, simulator.urls())


@pytest.mark.parametrize("fast_path", [False, True], ids=["per-host", "cluster-wide"])
@pytest.mark.parametrize("seed", range(TRIALS))
def test_recap_fails_exactly_the_nodes_that_need_attention(cluster: tuple[t.Any, str], tmp_path: t.Any,
                                                           fast_path: bool, seed: int) -> None:
    simulator, inventory = cluster
    trial = random.Random(seed)
    names = sorted(simulator.nodes)
    state = trial.choice(["present", "absent"])
    write, undo = ("POST", "DELETE") if state == "present" else ("DELETE", "POST")
    for name in names:
        if state == "absent" or trial.random() < 0.3:
            simulator.nodes[name].groups.add(GROUP)  # a delete needs the group; a create may find it
    failing = trial.sample(names, trial.randint(1, 2))
    for name in failing:
        simulator.nodes[name].add_fault(Fault(FaultKind.ERROR_500_BEFORE_WRITE, method=write, count=None))
    stuck = trial.choice([name for name in names if name not in failing] + [None])
    if stuck:  # this node's rollback fails: the rollback is incomplete
        simulator.nodes[stuck].add_fault(Fault(FaultKind.ERROR_500_BEFORE_WRITE, method=undo, count=None))
    playbook = "create_group.yml" if state == "present" else "delete_group.yml"

    run = run_playbook(playbook, inventory, tmp_path / "records",
                       extra_vars={"group": GROUP, "group_transaction_fast_path": fast_path})

    assert run.rc == 2, run.describe()
    nodes = run.result["nodes"]
    attention = {name for name, entry in nodes.items() if _needs_attention(entry)}
    assert set(failing) <= attention, run.describe()
    failed_in_recap = {host for host, counters in run.recap.items() if counters.get("failed")}
    assert failed_in_recap == attention, run.describe()
    for name, entry in nodes.items():  # the account says where each node ended; the node agrees
        assert (GROUP in simulator.nodes[name].groups) == (entry["after"] == "present"), name


def test_a_limited_run_that_fails_still_fails(cluster: tuple[t.Any, str], tmp_path: t.Any) -> None:
    """Under --limit a node outside it could never be failed by the last play: the reporting host fails."""
    simulator, inventory = cluster
    simulator.nodes["node2"].add_fault(Fault(FaultKind.ERROR_500_BEFORE_WRITE, method="POST", count=None))
    run = run_playbook("create_group.yml", inventory, tmp_path / "records", extra_args=["--limit", "node1,node2"],
                       extra_vars={"group": GROUP, "allow_partial_cluster": True})
    assert run.rc == 2, run.describe()
    assert run.result["outcome"] == "rolled_back"
    assert not any(GROUP in node.groups for node in simulator.nodes.values())


CALLER = """
- name: Create the group, decide in our own rescue
  hosts: cluster
  gather_facts: false
  connection: local
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Create the group, all or nothing
      block:
        - name: Run the transaction
          ansible.builtin.include_role:
            name: clusterops.groups.group_transaction
          vars:
            group_transaction_group: recap-team
            group_transaction_fail_on_error: FAIL_ON_ERROR
        - name: Reached when the role did not fail the play
          run_once: true
          ansible.builtin.debug:
            msg: "after the role: {{ clusterops_groups_result.outcome }}"
      rescue:
        - name: Our own handling of the failed run
          run_once: true
          ansible.builtin.debug:
            msg: "rescued: {{ clusterops_groups_result.outcome }} run {{ clusterops_groups_result.run_id }}"
    # after a rescued failure every node is still in the play: a second transaction covers the whole cluster
    - name: A second transaction in the same play
      ansible.builtin.include_role:
        name: clusterops.groups.group_transaction
      vars:
        group_transaction_group: recap-other
        group_transaction_state: absent
    - name: Reached on every node
      ansible.builtin.debug:
        msg: "second on {{ inventory_hostname }}: {{ clusterops_groups_result.outcome }}"

- name: A later play on every node
  hosts: cluster
  gather_facts: false
  tasks:
    - name: Still here
      ansible.builtin.debug:
        msg: "later on {{ inventory_hostname }}"

- name: A later play reads the outcome
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read it from localhost
      ansible.builtin.debug:
        msg: "later play: {{ hostvars['localhost'].clusterops_groups_result.outcome }}"
"""


@pytest.mark.parametrize("fail_on_error", [True, False], ids=["role-fails-rescue-runs", "caller-decides"])
def test_a_wider_playbook_reads_the_result_and_decides(cluster: tuple[t.Any, str], tmp_path: t.Any,
                                                       fail_on_error: bool) -> None:
    simulator, inventory = cluster
    simulator.nodes["node4"].add_fault(Fault(FaultKind.ERROR_500_BEFORE_WRITE, method="POST", count=None))
    caller = tmp_path / "caller.yml"
    caller.write_text(CALLER.replace("FAIL_ON_ERROR", str(fail_on_error).lower()), encoding="utf-8")

    run = run_playbook(str(caller), inventory, tmp_path / "records")

    assert run.rc == 0, run.describe()  # the caller handled it
    assert not any(GROUP in node.groups for node in simulator.nodes.values())
    assert run.result["outcome"] == "success"  # the artifact and the fact are the last transaction's
    assert ("rescued: rolled_back run " in run.stdout) is fail_on_error, run.describe()
    assert ("after the role: rolled_back" in run.stdout) is not fail_on_error, run.describe()
    assert "later play: success" in run.stdout, run.describe()
    for node in simulator.nodes:
        assert "second on %s: success" % node in run.stdout, run.describe()
        assert "later on %s" % node in run.stdout, run.describe()
