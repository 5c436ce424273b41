"""Every fault kind over real HTTP: what the client sees and what the node's state becomes."""
from __future__ import annotations

import threading

import pytest
import requests

from simulator import Fault, FaultKind
from simulator.testing import create, delete, read, wait_for_log, wait_until

SLOW = 1.0     # simulated delay, always well beyond the client timeout below
IMPATIENT = 0.2

# kind, fault options, client timeout, what the client gets (status or exception), group written
WRITE_CASES = [
    (FaultKind.ERROR_500_BEFORE_WRITE, {}, 5.0, 500, False),
    (FaultKind.ERROR_500_AFTER_WRITE, {}, 5.0, 500, True),
    (FaultKind.RESET, {}, 5.0, requests.exceptions.ConnectionError, False),
    (FaultKind.CLOSE, {}, 5.0, requests.exceptions.ConnectionError, False),
    (FaultKind.OUTAGE, {}, 5.0, 503, False),
    (FaultKind.OUTAGE, {"status": None}, 5.0, requests.exceptions.ConnectionError, False),
    (FaultKind.LATENCY, {"delay": 0.05}, 5.0, "ok", True),
    (FaultKind.TIMEOUT_AFTER_WRITE, {"delay": SLOW}, IMPATIENT, requests.exceptions.Timeout, True),
    (FaultKind.TIMEOUT_BEFORE_WRITE, {"delay": SLOW}, IMPATIENT, requests.exceptions.Timeout, False),
    (FaultKind.TIMEOUT_AFTER_WRITE, {"delay": 0.05}, 5.0, "ok", True),
    (FaultKind.TIMEOUT_BEFORE_WRITE, {"delay": 0.05}, 5.0, "ok", True),
]
CASE_IDS = [f"{kind.value}-{'-'.join(f'{k}={v}' for k, v in options.items()) or 'plain'}"
            for kind, options, *_case in WRITE_CASES]


def _call(operation, url, timeout):
    try:
        return operation(url, "g", timeout=timeout).status_code
    except requests.exceptions.RequestException as error:
        return error


def _assert_outcome(outcome, expected, ok_status):
    if isinstance(expected, type):
        assert isinstance(outcome, expected), outcome
    else:
        assert outcome == (ok_status if expected == "ok" else expected)


@pytest.mark.parametrize("kind, options, client_timeout, expected, written", WRITE_CASES, ids=CASE_IDS)
def test_fault_on_create(simulated_cluster, kind, options, client_timeout, expected, written):
    cluster = simulated_cluster(node_count=2)
    node = cluster.nodes["node1"]
    node.add_fault(Fault(kind, method="POST", **options))
    _assert_outcome(_call(create, cluster.url("node1"), client_timeout), expected, 201)
    assert wait_for_log(node, 1)  # the handler may still be sleeping after the client gave up
    assert cluster.snapshot() == {"node1": ["g"] if written else [], "node2": []}
    assert node.log[0].fault is kind
    assert node.log[0].status == (expected if isinstance(expected, int) else 201 if expected == "ok" else None)
    assert create(cluster.url("node2"), "g").status_code == 201  # other nodes are untouched


@pytest.mark.parametrize("kind, options, client_timeout, expected, written", WRITE_CASES, ids=CASE_IDS)
def test_fault_on_delete(simulated_cluster, kind, options, client_timeout, expected, written):
    cluster = simulated_cluster(node_count=1)
    node = cluster.nodes["node1"]
    node.groups = {"g", "other"}
    node.add_fault(Fault(kind, method="DELETE", **options))
    _assert_outcome(_call(delete, cluster.url("node1"), client_timeout), expected, 200)
    assert wait_for_log(node, 1)
    assert cluster.snapshot() == {"node1": ["other"] if written else ["g", "other"]}


@pytest.mark.parametrize("kind, expected", [
    (FaultKind.ERROR_500_BEFORE_WRITE, 500), (FaultKind.ERROR_500_AFTER_WRITE, 500),
    (FaultKind.LATENCY, 200), (FaultKind.TIMEOUT_AFTER_WRITE, 200), (FaultKind.TIMEOUT_BEFORE_WRITE, 200),
    (FaultKind.OUTAGE, 503)])
def test_fault_on_read(simulated_cluster, kind, expected):
    cluster = simulated_cluster(node_count=1)
    cluster.nodes["node1"].groups = {"g"}
    cluster.nodes["node1"].add_fault(Fault(kind, method="GET", delay=0.05))
    assert read(cluster.url("node1"), "g").status_code == expected
    assert read(cluster.url("node1"), "g").status_code == (503 if kind is FaultKind.OUTAGE else 200)


def test_faults_apply_per_method_in_order_with_counts(simulated_cluster):
    cluster = simulated_cluster(node_count=1)
    node = cluster.nodes["node1"]
    url = cluster.url("node1")
    node.add_fault(Fault(FaultKind.ERROR_500_BEFORE_WRITE, method="post", count=2))
    node.add_fault(Fault(FaultKind.RESET))
    with pytest.raises(requests.exceptions.ConnectionError):
        read(url, "g")  # the POST-only fault does not match a GET; the next one does
    assert [create(url, "g").status_code for _attempt in range(3)] == [500, 500, 201]
    assert [entry.fault for entry in node.log] == [FaultKind.RESET, FaultKind.ERROR_500_BEFORE_WRITE,
                                                   FaultKind.ERROR_500_BEFORE_WRITE, None]
    assert node.faults() == []


def test_sticky_outage_until_cleared(simulated_cluster):
    cluster = simulated_cluster(node_count=2)
    cluster.nodes["node2"].add_fault(Fault(FaultKind.OUTAGE))
    url = cluster.url("node2")
    assert [create(url, "g").status_code, read(url, "g").status_code, delete(url, "g").status_code] == [503] * 3
    assert cluster.nodes["node2"].faults()[0]["count"] is None
    cluster.clear_faults()
    assert create(url, "g").status_code == 201
    assert cluster.snapshot() == {"node1": [], "node2": ["g"]}


def _fault_sequence(cluster, name):
    return [entry.fault.value if entry.fault else None for entry in cluster.nodes[name].log]


def _hit(cluster, order):
    for name in order:
        read(cluster.url(name), "g", timeout=5)


RANDOM_KINDS = [FaultKind.ERROR_500_BEFORE_WRITE, FaultKind.OUTAGE, FaultKind.LATENCY]


def test_random_faults_reproduce_per_node_whatever_the_interleaving(simulated_cluster):
    sequences = []
    for order in (["node1", "node2", "node3"] * 12, ["node3"] * 12 + ["node2"] * 12 + ["node1"] * 12):
        cluster = simulated_cluster(node_count=3, seed=42)
        cluster.set_random_faults(probability=0.5, kinds=RANDOM_KINDS, delay=0.0)
        _hit(cluster, order)
        sequences.append({name: _fault_sequence(cluster, name) for name in cluster.names})
        cluster.stop()
    assert sequences[0] == sequences[1]
    per_node = list(sequences[0].values())
    assert per_node[0] != per_node[1] or per_node[1] != per_node[2]  # each node has its own stream
    assert all(any(per_node_faults) and None in per_node_faults for per_node_faults in per_node)


def test_random_fault_seeds_differ_and_explicit_seed_wins(simulated_cluster):
    def sequence(cluster_seed, **node_seed):
        cluster = simulated_cluster(node_count=1, seed=cluster_seed)
        cluster.nodes["node1"].set_random_faults(0.5, RANDOM_KINDS, delay=0.0, **node_seed)
        _hit(cluster, ["node1"] * 24)
        return _fault_sequence(cluster, "node1")

    assert sequence(1) == sequence(1)
    assert sequence(1) != sequence(2)
    assert sequence(1, seed="fixed") == sequence(2, seed="fixed")


def test_random_faults_respect_methods(simulated_cluster):
    cluster = simulated_cluster(node_count=1)
    cluster.nodes["node1"].set_random_faults(1.0, [FaultKind.ERROR_500_BEFORE_WRITE], methods=["POST"])
    assert read(cluster.url("node1"), "g").status_code == 404
    assert create(cluster.url("node1"), "g").status_code == 500
    cluster.nodes["node1"].clear_faults()
    assert create(cluster.url("node1"), "g").status_code == 201


def test_stop_wakes_a_handler_sleeping_in_a_fault(simulated_cluster):
    cluster = simulated_cluster(node_count=1)
    cluster.nodes["node1"].add_fault(Fault(FaultKind.TIMEOUT_BEFORE_WRITE, delay=60.0))
    outcome = []
    client = threading.Thread(target=lambda: outcome.append(_call(create, cluster.url("node1"), 30.0)))
    client.start()
    assert wait_until(lambda: cluster.nodes["node1"].in_flight == 1)
    cluster.stop()
    client.join(10.0)
    assert not client.is_alive()
    assert isinstance(outcome[0], requests.exceptions.ConnectionError)
    assert cluster.snapshot() == {"node1": []}


def test_one_fault_object_serves_several_nodes(simulated_cluster):
    cluster = simulated_cluster(node_count=2)
    fault = Fault(FaultKind.ERROR_500_BEFORE_WRITE, method="POST")
    for node in cluster.nodes.values():
        node.add_fault(fault)
    assert {create(url, "g").status_code for url in cluster.urls().values()} == {500}
    assert fault.count == 1


def test_faults_over_tls(simulated_cluster):
    cluster = simulated_cluster(node_count=1, tls=True)
    node, url = cluster.nodes["node1"], cluster.url("node1")
    node.add_fault(Fault(FaultKind.RESET, method="POST"))
    node.add_fault(Fault(FaultKind.TIMEOUT_BEFORE_WRITE, method="POST", delay=SLOW))
    node.add_fault(Fault(FaultKind.TIMEOUT_AFTER_WRITE, method="DELETE", delay=SLOW))
    with pytest.raises(requests.exceptions.ConnectionError):
        create(url, "g", verify=cluster.ca_path)
    with pytest.raises(requests.exceptions.Timeout):
        create(url, "g", verify=cluster.ca_path, timeout=IMPATIENT)
    assert wait_for_log(node, 2) and cluster.snapshot() == {"node1": []}
    assert create(url, "g", verify=cluster.ca_path).status_code == 201
    with pytest.raises(requests.exceptions.Timeout):
        delete(url, "g", verify=cluster.ca_path, timeout=IMPATIENT)
    assert cluster.snapshot() == {"node1": []}
