"""The all-or-nothing policy: which nodes are put back, to what, and the per-node account."""
from __future__ import annotations

import typing as t

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils import _summary as summary
from ansible_collections.clusterops.groups.plugins.module_utils import _transaction as transaction


def result(existed_before: bool | None, exists: bool | None, write_attempted: bool, failed: bool = False,
           action: str = "create", msg: str = "") -> dict[str, t.Any]:
    """A result shaped like clusterops.groups.group's (success or failure)."""
    return {"existed_before": existed_before, "exists": exists, "write_attempted": write_attempted,
            "changed": write_attempted and exists is not existed_before and exists is not None,
            "failed": failed, "action": action if existed_before is not exists or failed else "none", "msg": msg}


CREATED = result(False, True, True)
ALREADY_PRESENT = result(True, True, False)
UNREADABLE = dict(result(None, None, False, failed=True, msg="node unavailable"), action="none")
WRITE_REFUSED = result(False, False, True, failed=True, msg="500 on every POST")
AMBIGUOUS = result(False, None, True, failed=True, msg="state unknown")
RECORD = {"run_id": "r1", "run": None, "nodes": {
    "node4": {"node": "node4", "api_url": "http://n4", "group": "g", "operation": "present", "existed_before": False,
              "steps": [{"phase": "intent"}]},
}}


def test_successful_run_needs_no_compensation() -> None:
    assert transaction.put_back_targets({"node1": CREATED, "node2": ALREADY_PRESENT}) == {}


@pytest.mark.parametrize("failure", [UNREADABLE, WRITE_REFUSED, None, {"unreachable": True, "msg": "gone"}],
                         ids=["unreadable", "write-refused", "no-result", "unreachable"])
def test_any_failure_puts_back_only_the_nodes_this_run_changed(failure: t.Any) -> None:
    put_back = transaction.put_back_targets({"node1": CREATED, "node2": ALREADY_PRESENT, "node3": failure})
    assert put_back == {"node1": "absent"}


def test_unknown_final_state_after_a_write_is_put_back_to_the_prior_state() -> None:
    assert transaction.put_back_targets({"node1": AMBIGUOUS}) == {"node1": "absent"}


def test_deleted_group_is_recreated() -> None:
    deleted = result(True, False, True, action="delete")
    assert transaction.put_back_targets({"node1": deleted, "node2": UNREADABLE}) == {"node1": "present"}


def test_node_without_result_is_compensated_from_the_record_only() -> None:
    results = {"node1": CREATED, "node4": None, "node5": None}
    assert transaction.put_back_targets(results, RECORD) == {"node1": "absent", "node4": "absent"}


def test_check_mode_never_compensates() -> None:
    would_create = dict(result(False, False, False), changed=True, action="create")
    assert transaction.put_back_targets({"node1": would_create, "node2": UNREADABLE}, check_mode=True) == {}


def account(apply_results: dict[str, t.Any], compensation: dict[str, t.Any],
            record: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    put_back = transaction.put_back_targets(apply_results, record)
    return transaction.build_account("create", "g", "r1", apply_results, put_back, compensation, record)


def test_account_of_a_successful_run() -> None:
    artifact = account({"node1": CREATED, "node2": ALREADY_PRESENT}, {})
    assert artifact["outcome"] == "success"
    assert artifact["record"]["run"]["outcome"] == "success"
    assert artifact["nodes"]["node1"] == {"before": "absent", "action": "create", "result": "changed",
                                          "rollback": "not_needed", "after": "present"}
    assert summary.failure_message(artifact) == ""


def test_account_of_a_rolled_back_run() -> None:
    artifact = account({"node1": CREATED, "node2": UNREADABLE}, {"node1": result(True, False, True, action="delete")})
    assert artifact["outcome"] == "rolled_back"
    assert artifact["nodes"]["node1"]["rollback"] == "restored"
    assert artifact["nodes"]["node1"]["after"] == "absent"
    assert artifact["nodes"]["node2"]["error"] == "node unavailable"
    message = summary.failure_message(artifact)
    assert message.splitlines()[1:] == [  # only the node that needs attention
        "node2: before=unknown action=none result=failed rollback=not_needed after=unknown (node unavailable)",
    ]
    assert "finish_rollback" not in message


def test_account_of_a_blocked_rollback_names_the_nodes_and_the_finish_command() -> None:
    blocked = result(True, True, True, failed=True, action="delete", msg="DELETE failed 3 times")
    artifact = account({"node1": CREATED, "node2": UNREADABLE}, {"node1": dict(blocked, failed=False)})
    assert artifact["outcome"] == "rollback_incomplete"
    assert artifact["nodes"]["node1"]["rollback"] == "failed"
    assert artifact["nodes"]["node1"]["after"] == "present"
    message = summary.failure_message(artifact, "/tmp/records")
    assert "Not restored: node1 (now present, must be absent)" in message
    assert "ansible-playbook playbooks/finish_rollback.yml -e run_id=r1 -e group=g -e group_transaction_record_dir=/tmp/records" in message


def test_failed_run_that_changed_nothing() -> None:
    assert account({"node1": ALREADY_PRESENT, "node2": UNREADABLE}, {})["outcome"] == "failed"


def test_artifact_record_keeps_only_what_finish_needs() -> None:
    record = {"run_id": "r1", "run": None, "nodes": {"node4": dict(RECORD["nodes"]["node4"], outcome={"history": []})}}
    artifact = account({"node4": None}, {}, record)
    assert artifact["record"]["nodes"]["node4"] == {"node": "node4", "api_url": "http://n4", "group": "g",
                                                    "operation": "present", "existed_before": False}
    assert artifact["nodes"]["node4"]["before"] == "absent"
    assert artifact["nodes"]["node4"]["action"] == "unknown"
    assert artifact["outcome"] == "rollback_incomplete"


@pytest.mark.parametrize("outcome", ["success", "finished"])
def test_settled_runs_have_nothing_to_finish(outcome: str) -> None:
    assert transaction.finish_targets(dict(RECORD, run={"outcome": outcome})) == {}


def test_finish_plans_every_recorded_node_of_an_unsettled_run() -> None:
    assert transaction.finish_targets(RECORD) == {"node4": {"api_url": "http://n4", "state": "absent"}}


def test_finish_account() -> None:
    restored = result(True, False, True, action="delete")
    finished = transaction.finish_account(RECORD, {"node4": restored})
    assert finished["outcome"] == "finished"
    assert finished["record"]["run"]["outcome"] == "finished"
    assert finished["nodes"]["node4"]["rollback"] == "restored"
    still_down = transaction.finish_account(RECORD, {"node4": UNREADABLE})
    assert still_down["outcome"] == "rollback_incomplete"
    assert "node4 (now unknown, must be absent)" in summary.failure_message(still_down)
    assert transaction.finish_account(finished["record"], {})["outcome"] == "finished"


def test_status_account() -> None:
    present = {"exists": True}
    absent = {"exists": False}
    assert transaction.status_account("g", {"a": present, "b": present})["outcome"] == "present"
    assert transaction.status_account("g", {"a": present, "b": absent})["outcome"] == "divergent"
    unknown = transaction.status_account("g", {"a": absent, "b": {"exists": None, "msg": "down"}})
    assert unknown["outcome"] == "unknown"
    assert unknown["nodes"]["b"] == {"state": "unknown", "error": "down"}
    assert "b: unknown (down)" in summary.failure_message(unknown)


REFUSED_BUT_AS_ASKED = dict(result(True, True, True), write_may_have_landed=False)  # another writer's group


def test_a_node_whose_writes_were_all_refused_is_never_compensated() -> None:
    failing = result(False, False, True, failed=True)
    assert transaction.put_back_targets({"node1": REFUSED_BUT_AS_ASKED, "node2": failing, "node3": CREATED}) == {
        "node3": "absent"}
    refused_and_failed = dict(result(False, None, True, failed=True), write_may_have_landed=False)
    assert transaction.put_back_targets({"node1": refused_and_failed, "node2": failing}) == {}


def test_finish_skips_recorded_nodes_whose_writes_were_all_refused() -> None:
    record = {"run_id": "r1", "run": {"outcome": "rollback_incomplete"}, "nodes": {
        "node1": dict(RECORD["nodes"]["node4"], node="node1", write_may_have_landed=False),
        "node2": dict(RECORD["nodes"]["node4"], node="node2", write_may_have_landed=True),
        "node3": dict(RECORD["nodes"]["node4"], node="node3"),  # killed before its outcome: conservative
    }}
    assert sorted(transaction.finish_targets(record)) == ["node2", "node3"]
    assert transaction.put_back_targets({"node1": None, "node2": None, "node3": None}, record) == {
        "node2": "absent", "node3": "absent"}


def test_failure_headline_separates_the_subject_from_what_happened() -> None:
    status = transaction.status_account("g", {"node1": {"exists": True}, "node2": {"exists": False}})
    assert summary.failure_message(status).splitlines()[0] == (
        "status of group 'g': the cluster is divergent: the group exists on some nodes only")
