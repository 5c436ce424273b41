"""Unit tests of per-node connection settings: grouping, validation naming every bad node, Sessions without tokens,
and reading each inventory host's own options (no network)."""
from __future__ import annotations

import threading
import typing as t

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils import _node_connections as connections
from ansible_collections.clusterops.groups.plugins.module_utils._connection_options import CONNECTION_DEFAULTS
from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput
from ansible_collections.clusterops.groups.plugins.module_utils._transport import NodeClient
from ansible_collections.clusterops.groups.plugins.plugin_utils import _inventory_nodes as inventory
from ansible_collections.clusterops.groups.tests.unit.fake_http import FakeSession

TASK_OPTIONS = {"api_token": "task-token", "timeout": 5.0}


def entries(count: int, own: t.Callable[[int], dict[str, t.Any]] = lambda _index: {}) -> list[tuple[str, str, dict[str, t.Any]]]:
    return [("node%d" % index, "http://127.0.0.1:9/node%d" % index, own(index)) for index in range(1, count + 1)]


def test_a_node_s_own_option_beats_the_task_s_and_the_rest_comes_from_the_task() -> None:
    settings = connections.node_connections(entries(2, lambda index: {"api_token": "own-%d" % index} if index == 2 else {}),
                                            TASK_OPTIONS)
    assert settings["node1"]["api_token"] == "task-token" and settings["node2"]["api_token"] == "own-2"
    assert settings["node2"]["timeout"] == 5.0 and settings["node2"]["retries"] == CONNECTION_DEFAULTS["retries"]


def test_identical_settings_are_validated_once_and_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[t.Any] = []
    validate = connections.validate_connection_options
    monkeypatch.setattr(connections, "validate_connection_options", lambda options: calls.append(options) or validate(options))
    settings = connections.node_connections(entries(10000, lambda index: {"api_token": "odd"} if index % 2 else {}), TASK_OPTIONS)
    assert len(calls) == 2
    assert settings["node1"] is settings["node9999"] and settings["node2"] is settings["node10000"]


def test_every_bad_node_is_named_in_one_refusal_and_no_token_is_shown() -> None:
    bad = {3: {"timeout": -1}, 7: {"retries": 1000}, 9: {"api_token": "two words"}, 11: {"timeout": -1}}
    with pytest.raises(InvalidInput) as refused:
        connections.node_connections(entries(12, lambda index: bad.get(index, {"api_token": "secret-%d" % index})), TASK_OPTIONS)
    message = str(refused.value)
    assert message.startswith("connection settings refused for 4 nodes, nothing was sent")
    assert "nodes node3, node11: timeout" in message and "node node7: retries" in message and "node node9: api_token" in message
    assert "two words" not in message and "secret-" not in message


def test_a_refusal_names_at_most_twenty_nodes_per_reason_and_counts_the_rest() -> None:
    with pytest.raises(InvalidInput, match=r"refused for 25 nodes.*node20 and 5 more: timeout"):
        connections.node_connections(entries(25, lambda _index: {"timeout": 0}), TASK_OPTIONS)


def test_values_equal_in_python_but_of_another_type_are_checked_apart() -> None:
    with pytest.raises(InvalidInput, match=r"refused for 1 node,.*node node2: retries"):
        connections.node_connections(entries(2, lambda index: {"retries": 1 if index == 1 else True}), TASK_OPTIONS)


def test_tls_warnings_name_the_nodes_whose_own_or_inherited_setting_skips_verification() -> None:
    nodes = [{"api_url": "https://a", "validate_certs": False}, {"api_url": "https://b", "validate_certs": None},
             {"api_url": "https://c", "validate_certs": True}]
    assert connections.insecure_node_urls(nodes, True) == ["https://a"]
    assert connections.insecure_node_urls(nodes, False) == ["https://a", "https://b"]


def test_sessions_are_per_thread_and_tls_setting_and_carry_no_token() -> None:
    pool = connections.SessionPool(workers=2, node_count=3)
    first, again, other_tls = pool.session(True), pool.session(True), pool.session("/etc/ca.pem")
    from_another_thread: list[t.Any] = []
    thread = threading.Thread(target=lambda: from_another_thread.append(pool.session(True)))
    thread.start()
    thread.join()
    assert first is again and first is not other_tls and from_another_thread[0] is not first
    assert all(session.auth is None for session in pool.sessions) and len(pool.sessions) == 3
    pool.close()


def test_two_clients_on_one_session_each_send_their_own_token() -> None:
    session = FakeSession([200, 200])
    for token in ("token-a", "token-b"):
        NodeClient("http://127.0.0.1:9", bearer_token=token, session=session).send("GET", "/v1/group/g/")
    assert [request.authorization for request in session.sent] == ["Bearer token-a", "Bearer token-b"]


def test_a_host_s_role_variable_beats_its_cluster_variable_and_null_is_unset() -> None:
    host_variables = {"group_transaction_api_token": "role", "cluster_api_token": "inventory", "group_transaction_timeout": None,
                      "cluster_timeout": 3, "cluster_retries": None}
    assert inventory.host_connection_options(host_variables) == {"api_token": "role", "timeout": 3}


def test_inventory_nodes_are_typed_like_the_module_and_every_bad_host_is_named() -> None:
    hostvars = {"node1": {"cluster_api_url": "http://127.0.0.1:9/1", "cluster_timeout": "7", "cluster_api_token": "t1"},
                "node2": {"cluster_api_url": "http://127.0.0.1:9/2", "cluster_timeout": "soon"},
                "node3": {"cluster_api_url": "http://127.0.0.1:9/3", "cluster_retries": -1}}
    assert inventory.inventory_nodes(["node1"], hostvars, {}) == [
        {"name": "node1", "api_url": "http://127.0.0.1:9/1", "timeout": 7.0, "api_token": "t1"}]
    with pytest.raises(InvalidInput, match=r"refused for 2 nodes.*node node2: inventory variable refused.*timeout.*"
                                           r"node node3: retries must be"):
        inventory.inventory_nodes(["node1", "node2", "node3"], hostvars, {"timeout": "5"})


class FakeHostVars(dict):
    """hostvars: templated values by host, and raw_get for the untemplated ones (as ansible's HostVars)."""

    def raw_get(self, host: str) -> dict[str, t.Any]:
        return self[host]


@pytest.mark.parametrize("run_host_variables, task_value, play_level, refused", [
    ({}, None, {}, []),  # the role's default (null)
    ({"group_transaction_api_token": "{{ vault_node1 }}"}, "{{ vault_node1 }}", {}, []),  # the run host's own inventory value
    ({}, "{{ tokens[inventory_hostname] }}", {"api_token": "{{ tokens[inventory_hostname] }}"},
     ["group_transaction_api_token"]),  # a play var template: it would be node1's token for every node
    ({"group_transaction_api_token": "a"}, "b", {"api_token": "b"}, []),  # a role parameter over the inventory: for all
])
def test_a_role_connection_variable_set_for_the_play_is_found_and_a_template_refused(
        run_host_variables: dict[str, t.Any], task_value: object, play_level: dict[str, t.Any], refused: list[str]) -> None:
    task_vars = {"inventory_hostname": "node1", "hostvars": FakeHostVars(node1=run_host_variables),
                 "group_transaction_api_token": task_value}
    assert inventory.play_level_role_options(task_vars) == play_level
    assert inventory.templated(play_level) == refused


def test_a_constant_play_level_value_beats_every_host_s_own() -> None:
    hostvars = {"node1": {"cluster_retries": 3}, "node2": {"group_transaction_retries": 2}}
    nodes = inventory.inventory_nodes(["node1", "node2"], hostvars, {}, {"retries": "0"})
    assert [node["retries"] for node in nodes] == [0, 0]
