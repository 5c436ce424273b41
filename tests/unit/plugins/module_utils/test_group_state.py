"""Group semantics: exact HTTP call sequences and outcomes for every decision of ensure_group."""
from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._errors import (
    NodeRequestFailed, NodeUnavailable, RunRecordError, StateUnknown,
)
from ansible_collections.clusterops.groups.plugins.module_utils._group_state import ensure_group, read_group
from ansible_collections.clusterops.groups.tests.unit.fake_http import connection_error, read_timeout

GET = ("GET", "/v1/group/g/")
POST = ("POST", "/v1/group/")
DELETE = ("DELETE", "/v1/group/")


def fields(outcome: Any) -> dict[str, Any]:
    result = outcome.to_result()
    return {key: result[key] for key in ("changed", "action", "existed_before", "exists", "state_known", "write_attempted",
                                         "write_may_have_landed")}


@pytest.mark.parametrize("status, expected", [(200, True), (404, False)])
def test_read_group(make_client, status: int, expected: bool) -> None:
    client, _session = make_client([status])
    assert read_group(client, "g") is expected


@pytest.mark.parametrize("state, script, calls, expected", [
    ("present", [404, 201], [GET, POST], dict(changed=True, action="create", existed_before=False, exists=True)),
    ("present", [200], [GET], dict(changed=False, action="none", existed_before=True, exists=True)),
    ("absent", [200, 200], [GET, DELETE], dict(changed=True, action="delete", existed_before=True, exists=False)),
    ("absent", [404], [GET], dict(changed=False, action="none", existed_before=False, exists=False)),
    # ambiguous write that was applied: resolved by one GET, never repeated, counted as ours
    ("present", [404, 500, 200], [GET, POST, GET], dict(changed=True, action="create", existed_before=False, exists=True)),
    ("present", [404, read_timeout(), 200], [GET, POST, GET], dict(changed=True, action="create", exists=True)),
    ("absent", [200, connection_error(), 404], [GET, DELETE, GET], dict(changed=True, action="delete", exists=False)),
    # ambiguous write that was not applied: GET shows it, then the write is retried
    ("present", [404, 500, 404, 201], [GET, POST, GET, POST], dict(changed=True, action="create", exists=True)),
    # "decide with a GET": POST 400/409 / DELETE 404 refused and the node is as asked: a stale first read or another
    # writer, never ours (a rollback must not undo it)
    ("present", [404, 400, 200], [GET, POST, GET],
     dict(changed=False, action="none", existed_before=True, exists=True, write_may_have_landed=False)),
    ("present", [404, 409, 200], [GET, POST, GET],
     dict(changed=False, action="none", existed_before=True, exists=True, write_may_have_landed=False)),
    ("absent", [200, 404, 404], [GET, DELETE, GET],
     dict(changed=False, action="none", existed_before=False, exists=False, write_may_have_landed=False)),
    # ... unless an earlier write of ours was ambiguous: then it may have landed, and the change counts as ours
    ("present", [404, 500, 404, 409, 200], [GET, POST, GET, POST, GET],
     dict(changed=True, action="create", existed_before=False, exists=True, write_may_have_landed=True)),
    ("present", [404, connection_error(), 404, 400, 200], [GET, POST, GET, POST, GET],
     dict(changed=True, action="create", existed_before=False, exists=True, write_may_have_landed=True)),
    ("absent", [200, read_timeout(), 200, 404, 404], [GET, DELETE, GET, DELETE, GET],
     dict(changed=True, action="delete", existed_before=True, exists=False, write_may_have_landed=True)),
    ("absent", [200, 404, 200, 200], [GET, DELETE, GET, DELETE],
     dict(changed=True, action="delete", existed_before=True, exists=False, write_may_have_landed=True)),
    # the first read itself is retried
    ("present", [503, 404, 201], [GET, GET, POST], dict(changed=True, action="create", existed_before=False)),
])
def test_call_sequences(make_client, state: str, script: list, calls: list, expected: dict) -> None:
    client, session = make_client(script)
    outcome = ensure_group(client, "g", state)
    assert session.calls() == calls
    assert session.script == []
    for key, value in expected.items():
        assert fields(outcome)[key] == value, key
    assert outcome.requests == len(calls) == len(outcome.history)
    assert outcome.state_known


@pytest.mark.parametrize("state, existing_status", [("present", 404), ("absent", 200)])
def test_check_mode_sends_only_the_get(make_client, state: str, existing_status: int) -> None:
    client, session = make_client([existing_status])
    intents: list[bool] = []
    outcome = ensure_group(client, "g", state, check_mode=True, before_write=intents.append)
    assert session.calls() == [GET]
    assert outcome.changed and not outcome.write_attempted
    assert outcome.exists is (state == "present")
    assert intents == []
    assert outcome.to_result()["diff"] == {"before": {"exists": state == "absent"}, "after": {"exists": state == "present"}}


def test_before_write_runs_once_before_the_first_write(make_client) -> None:
    client, session = make_client([404, 500, 404, 500, 404, 201])
    seen: list[tuple[bool, int]] = []
    ensure_group(client, "g", "present", before_write=lambda existed: seen.append((existed, len(session.sent))))
    assert seen == [(False, 1)]


def test_before_write_failure_prevents_any_write(make_client) -> None:
    client, session = make_client([404])

    def broken_record(_existed_before: bool) -> None:
        raise RunRecordError("cannot write run record /x: Permission denied")

    with pytest.raises(RunRecordError) as caught:
        ensure_group(client, "g", "present", before_write=broken_record)
    assert session.calls() == [GET]
    result = caught.value.to_result()
    assert result["write_attempted"] is False and result["existed_before"] is False and result["changed"] is False


def test_post_400_with_group_still_absent_is_a_hard_failure(make_client) -> None:
    client, session = make_client([(404, {}), (400, {}, b'{"error": "bad body"}'), 404])
    with pytest.raises(NodeRequestFailed) as caught:
        ensure_group(client, "g", "present")
    assert session.calls() == [GET, POST, GET]
    result = caught.value.to_result()
    assert "refused the create" in result["msg"] and "bad body" in result["msg"]
    assert result["write_attempted"] is True and result["exists"] is False and result["state_known"] is True
    assert result["changed"] is False


@pytest.mark.parametrize("status", [401, 403, 415, 422])
def test_refused_write_is_not_retried(make_client, sleeps, status: int) -> None:
    client, session = make_client([404, status, 404])
    with pytest.raises(NodeRequestFailed) as caught:
        ensure_group(client, "g", "present")
    assert session.calls() == [GET, POST, GET]
    assert sleeps.delays == []
    assert caught.value.to_result()["status"] == status


def test_unreachable_node_fails_before_any_write(make_client) -> None:
    client, session = make_client([connection_error()] * 4, retries=3)
    with pytest.raises(NodeUnavailable) as caught:
        ensure_group(client, "g", "present")
    assert session.calls() == [GET] * 4
    result = caught.value.to_result()
    assert result["existed_before"] is None and result["write_attempted"] is False and result["exists"] is None
    assert result["attempts"] == 4 and "Connection reset" in result["msg"]


def test_write_that_never_lands_fails_with_known_state(make_client, sleeps) -> None:
    client, session = make_client([404] + [500, 404] * 3, retries=2)
    with pytest.raises(NodeUnavailable) as caught:
        ensure_group(client, "g", "present")
    assert session.calls() == [GET] + [POST, GET] * 3
    result = caught.value.to_result()
    assert result["exists"] is False and result["state_known"] is True and result["write_attempted"] is True
    assert result["attempts"] == 3 and result["requests"] == 7
    assert len(sleeps.delays) == 2


def test_state_unknown_when_no_read_succeeds_after_a_write(make_client) -> None:
    client, session = make_client([404, read_timeout(), 500, 500], retries=1)
    with pytest.raises(StateUnknown) as caught:
        ensure_group(client, "g", "present")
    assert session.calls() == [GET, POST, GET, GET]
    result = caught.value.to_result()
    assert result["exists"] is None and result["state_known"] is False and result["write_attempted"] is True
    assert result["existed_before"] is False and result["changed"] is False
    assert "unknown" in result["msg"] and "'g'" in result["msg"]


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_request_count_is_bounded_by_retries(make_client, retries: int) -> None:
    read_that_succeeds_last = [500] * retries + [404]
    script = list(read_that_succeeds_last)
    for _attempt in range(retries + 1):
        script += [500] + read_that_succeeds_last
    client, session = make_client(script, retries=retries)
    with pytest.raises(NodeUnavailable):
        ensure_group(client, "g", "present")
    assert len(session.sent) == (retries + 1) * (retries + 3)
    assert session.script == []
