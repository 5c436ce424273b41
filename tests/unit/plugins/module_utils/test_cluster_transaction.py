"""Unit tests of the fast path engine's input checks and the NodeClient deadline (no network)."""
from __future__ import annotations

import time
from typing import Any

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils import _cluster_transaction as engine
from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput, NodeRequestFailed
from ansible_collections.clusterops.groups.plugins.module_utils._group_state import ensure_group, read_group_reply
from ansible_collections.clusterops.groups.plugins.module_utils._transport import HARD

NODES = [{"name": "node1", "api_url": "http://127.0.0.1:9/n1"}, {"name": "node2", "api_url": "http://127.0.0.1:9/n2"}]


def _no_request(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("no request may be sent for invalid input")


@pytest.fixture(autouse=True)
def refuse_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_run_phase", _no_request)


@pytest.mark.parametrize("nodes, problem", [
    ([], "non-empty list"),
    ("node1", "non-empty list"),
    ([{"name": "node1"}], "api_url is required"),
    ([{"name": "node1", "api_url": "node1.example.com"}], "has no scheme"),
    ([{"name": "", "api_url": "http://a"}], "invalid node"),
    ([{"name": "a", "api_url": "http://a", "port": 1}], "must be a dict of name, api_url and optionally"),
    ([{"name": "a", "api_url": "http://a"}, {"name": "a", "api_url": "http://b"}], "listed twice"),
])
def test_bad_nodes_are_refused_before_any_request(nodes: Any, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        engine.run_cluster_transaction(nodes, "ops", "present", {})


@pytest.mark.parametrize("overrides, option", [
    ({"group": "bad/name"}, "name"),
    ({"group": 42}, "name"),
    ({"state": "gone"}, "state"),
    ({"workers": 0}, "workers"),
    ({"workers": 257}, "workers"),
    ({"workers": True}, "workers"),
    ({"deadline_seconds": 0}, "deadline"),
    ({"deadline_seconds": float("inf")}, "deadline"),
    ({"run_id": "../x"}, "run_id"),
    ({"options": {"timeout": -1}}, "timeout"),
    ({"options": {"api_token": "two words"}}, "api_token"),
])
def test_bad_options_are_refused_before_any_request(overrides: dict[str, Any], option: str) -> None:
    arguments: dict[str, Any] = {"nodes": NODES, "group": "ops", "state": "present", "options": {}}
    arguments.update(overrides)
    with pytest.raises(InvalidInput) as raised:
        engine.run_cluster_transaction(**arguments)
    assert raised.value.facts.get("option") == option or option in raised.value.msg
    assert "two words" not in raised.value.msg


def test_finish_needs_a_record_with_a_run_id() -> None:
    with pytest.raises(InvalidInput, match="run_id"):
        engine.finish_cluster_transaction({"nodes": {}}, {})


def test_finish_of_a_settled_run_sends_nothing() -> None:
    record = {"run_id": "r1", "run": {"outcome": "success", "group": "ops"}, "nodes": {}}
    account = engine.finish_cluster_transaction(record, {})
    assert account["outcome"] == "success" and not account["failed"] and not account["changed"]


def test_new_run_id_is_a_valid_run_id() -> None:
    run_id = engine.new_run_id()
    assert run_id == engine.validate_run_id(run_id)


def test_compact_result_keeps_only_what_the_policy_reads() -> None:
    compact = engine._compact({"changed": True, "history": [1] * 50, "diff": {}, "exists": True, "write_attempted": True})
    assert compact == {"changed": True, "exists": True, "write_attempted": True}


# ---- NodeClient deadline ----

def test_no_request_starts_after_the_deadline(make_client) -> None:
    client, session = make_client([200], deadline=time.monotonic() - 1)
    with pytest.raises(NodeRequestFailed, match="deadline reached"):
        read_group_reply(client, "ops")
    assert session.sent == []
    assert client.history[0]["outcome"] == HARD


def test_request_timeout_is_capped_to_the_time_left(make_client) -> None:
    client, session = make_client([404], timeout=30.0, deadline=time.monotonic() + 5)
    read_group_reply(client, "ops")
    connect_timeout, read_timeout = session.sent[0].timeout
    assert 0 < connect_timeout <= 5 and 0 < read_timeout <= 5


def test_without_deadline_the_configured_timeout_is_used(make_client) -> None:
    client, session = make_client([404], timeout=30.0)
    read_group_reply(client, "ops")
    assert session.sent[0].timeout == (30.0, 30.0)


def test_backoff_sleep_is_capped_to_the_time_left(make_client, sleeps) -> None:
    client, _session = make_client([500, 404], backoff_base=100.0, backoff_max=100.0, deadline=time.monotonic() + 3)
    read_group_reply(client, "ops")
    assert len(sleeps.delays) == 1 and 0 <= sleeps.delays[0] <= 3


def test_write_cut_by_the_deadline_leaves_the_state_unknown_not_a_blind_retry(make_client) -> None:
    client, session = make_client([404], deadline=time.monotonic() + 3600)

    def expire(_existed_before: bool) -> None:
        client.deadline = time.monotonic() - 1

    with pytest.raises(NodeRequestFailed) as raised:
        ensure_group(client, "ops", "present", before_write=expire)
    assert [request.method for request in session.sent] == ["GET"]
    assert raised.value.facts["existed_before"] is False and raised.value.facts["exists"] is None
