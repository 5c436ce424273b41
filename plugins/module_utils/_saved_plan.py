# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""The saved plan: what a create or delete will do on each node, made from reads only, applied exactly or refused.

Pure functions (no HTTP): ``build_saved_plan`` turns the reads of every node into the plan (observed state and
planned action per node, the time it was made, a fingerprint of all of it); ``load_saved_plan`` checks
a plan given back as a dict, JSON text or a file path; ``refusals_before_read`` says why a plan cannot be applied
before any request (another operation or group, an unreachable node, too old, the node set or a URL changed);
``moved_nodes`` says which nodes moved since the plan, from the apply's first read (docs/transaction.md, "Saved
plan").
"""
from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import typing as t

from ansible_collections.clusterops.groups.plugins.module_utils._errors import ClusterOpsError, InvalidInput, one_line
from ansible_collections.clusterops.groups.plugins.module_utils._node_identity import normalise_node_url
from ansible_collections.clusterops.groups.plugins.module_utils._transaction import STATE_UNKNOWN, state_name

SAVED_PLAN_KIND = "clusterops.groups.saved_plan"
# version 2: the fingerprint covers every field of the plan (version 1: the node set and URLs only)
SAVED_PLAN_VERSION = 2
CHANGES_PLANNED = "changes_planned"
NOTHING_TO_DO = "nothing_to_do"
NOT_APPLICABLE = "not_applicable"
UNREACHABLE = "unreachable"
PLANNED_ACTIONS = ("create", "delete", "none", UNREACHABLE)
NODE_STATES = ("present", "absent", STATE_UNKNOWN)
# the state each operation leaves a node in (the inverse of _group_state.OPERATION_BY_STATE, which this layer
# must not import: it sits below the group semantics)
DESIRED_STATE = {"create": "present", "delete": "absent"}
# with plan_max_age, a plan dated further than this in the future is refused (clock skew between controllers)
MAX_CLOCK_SKEW_SECONDS = 300.0
# A plan of 10,000 nodes is about 1.5 MB; a file far larger is not one of ours.
MAX_PLAN_FILE_BYTES = 64 * 1024 * 1024
# reasons listed in a refusal before "and N more" (every one is in the error's ``refusals``), and each error's length
MAX_LISTED_REASONS = 50
NODE_ERROR_CHARS = 160


class SavedPlanRefused(ClusterOpsError):
    """The saved plan does not match the cluster (or this run) any more: nothing was written."""

    kind = "saved_plan_refused"

    def __init__(self, reasons: list[str], group: str) -> None:
        listed = reasons[:MAX_LISTED_REASONS]
        more = " and %d more" % (len(reasons) - len(listed)) if len(reasons) > len(listed) else ""
        msg = ("the saved plan for group '%s' was refused, nothing was written: %s%s; make a new plan "
               "(playbooks/plan_group.yml) and apply that" % (group, "; ".join(listed), more))
        super().__init__(msg, refusals=reasons)
        # every listed node must stay in the message: the base class cuts at 1000 characters
        self.msg = one_line(msg, limit=(MAX_LISTED_REASONS + 2) * (NODE_ERROR_CHARS + 100))


def plan_fingerprint(plan: t.Mapping[str, t.Any]) -> str:
    """One string for every field of ``plan`` but the fingerprint itself: operation, group, the time it was made
    (``created_epoch`` decides ``plan_max_age``), each node's URL, state and planned action. It detects an edited
    plan; it is no signature (anyone who can write the file can recompute it), so plans are kept where only their
    operator writes, and the apply's own read of every node refuses a plan the cluster no longer matches."""
    fields = {key: value for key, value in plan.items() if key != "fingerprint"}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def planned_action(operation: str, state: str) -> str:
    if state == STATE_UNKNOWN:
        return UNREACHABLE
    return "none" if state == DESIRED_STATE[operation] else operation


def build_saved_plan(operation: str, group: str, reads: t.Mapping[str, t.Optional[t.Mapping[str, t.Any]]],
                     urls: t.Mapping[str, str], created: float) -> dict[str, t.Any]:
    """The plan from each node's read (``{exists: bool|None, msg}``, or None for no answer), in node order."""
    nodes: dict[str, dict[str, t.Any]] = {}
    for node, url in urls.items():
        read = reads.get(node) or {}
        state = read_state(read)
        entry = {"state": state, "planned": planned_action(operation, state), "url": normalise_node_url(str(url))}
        if state == STATE_UNKNOWN:
            entry["error"] = one_line(read.get("msg") or "no answer", NODE_ERROR_CHARS)
        nodes[node] = entry
    changes = sum(1 for entry in nodes.values() if entry["planned"] in DESIRED_STATE)
    unreachable = any(entry["planned"] == UNREACHABLE for entry in nodes.values())
    plan = {
        "kind": SAVED_PLAN_KIND,
        "version": SAVED_PLAN_VERSION,
        "operation": operation,
        "group": group,
        "outcome": NOT_APPLICABLE if unreachable else CHANGES_PLANNED if changes else NOTHING_TO_DO,
        "changes": changes,
        "created": _utc(created).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "created_epoch": created,
        # names the plan (and its default file): unique per microsecond, like a run id
        "plan_id": _utc(created).strftime("%Y%m%dT%H%M%SZ") + "-%06d" % _utc(created).microsecond,
        "nodes": nodes,
    }
    plan["fingerprint"] = plan_fingerprint(plan)
    return plan


def read_state(read: t.Mapping[str, t.Any]) -> str:
    """``present``, ``absent``, or ``unknown`` for a read that failed or never answered."""
    return state_name(None if read.get("failed") else read.get("exists"))


def _utc(epoch: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)


def load_saved_plan(value: object) -> dict[str, t.Any]:
    """A saved plan given back: the dict itself, its JSON text, or the path of a file holding it; checked."""
    plan = _parse(value)
    if not isinstance(plan, dict) or plan.get("kind") != SAVED_PLAN_KIND:
        raise InvalidInput("plan is not a saved plan of clusterops.groups (no kind %r): pass the file or the artifact "
                           "clusterops_groups_plan that playbooks/plan_group.yml wrote" % SAVED_PLAN_KIND, option="plan")
    if plan.get("version") != SAVED_PLAN_VERSION:
        raise InvalidInput("plan has version %r; this collection applies version %d plans only: make a new plan"
                           % (plan.get("version"), SAVED_PLAN_VERSION), option="plan")
    problems = _shape_problems(plan)
    if problems:
        raise InvalidInput("plan is damaged: %s" % "; ".join(problems[:10]), option="plan")
    if plan["fingerprint"] != plan_fingerprint(plan):
        raise InvalidInput("plan is damaged: its fingerprint does not match its content (it was edited): make a new plan",
                           option="plan")
    return plan


def _parse(value: object) -> object:
    if isinstance(value, t.Mapping):
        return dict(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("plan must be a saved plan (a dict), its JSON text or the path of its file, got %s"
                           % type(value).__name__, option="plan")
    text = value.strip()
    if not text.startswith("{"):
        text = _read_plan_file(os.path.expanduser(text))
    try:
        return json.loads(text)
    except ValueError as error:
        raise InvalidInput("plan is not valid JSON: %s" % error, option="plan") from None


def _read_plan_file(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PLAN_FILE_BYTES + 1)
    except OSError as error:
        raise InvalidInput("plan file %s cannot be read: %s" % (path, error.strerror or error), option="plan") from None
    if len(data) > MAX_PLAN_FILE_BYTES:
        raise InvalidInput("plan file %s is larger than %d bytes: not a saved plan" % (path, MAX_PLAN_FILE_BYTES),
                           option="plan")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("plan file %s is not UTF-8 text" % path, option="plan") from None


def _shape_problems(plan: t.Mapping[str, t.Any]) -> list[str]:
    problems = []
    if plan.get("operation") not in DESIRED_STATE:
        problems.append("operation must be create or delete, got %r" % (plan.get("operation"),))
    if not isinstance(plan.get("group"), str) or not plan.get("group"):
        problems.append("group must be a group name")
    created = plan.get("created_epoch")
    if isinstance(created, bool) or not isinstance(created, (int, float)) or not math.isfinite(created):
        problems.append("created_epoch must be a number of seconds")
    if not isinstance(plan.get("fingerprint"), str):
        problems.append("fingerprint must be a string")
    nodes = plan.get("nodes")
    if not isinstance(nodes, dict) or not nodes:
        return problems + ["nodes must be a non-empty mapping of node to its planned action"]
    for node, entry in nodes.items():
        if (not isinstance(entry, dict) or entry.get("state") not in NODE_STATES or entry.get("planned") not in PLANNED_ACTIONS
                or not isinstance(entry.get("url"), str) or not entry.get("url")):
            problems.append("node %s must have state (%s), planned (%s) and url"
                            % (node, "/".join(NODE_STATES), "/".join(PLANNED_ACTIONS)))
        elif not problems and entry["planned"] != planned_action(plan["operation"], entry["state"]):
            problems.append("node %s: planned %s does not follow from state %s" % (node, entry["planned"], entry["state"]))
    return problems


def refusals_before_read(plan: t.Mapping[str, t.Any], operation: str, group: str, urls: t.Mapping[str, str],
                         now: float, max_age: float | None = None) -> list[str]:
    """Why ``plan`` (checked by ``load_saved_plan``) cannot be applied by this run, before any request; [] if it can."""
    reasons = []
    if plan["operation"] != operation:
        reasons.append("the plan is for %s, this run is a %s" % (plan["operation"], operation))
    if plan["group"] != group:
        reasons.append("the plan is for group '%s', this run is for group '%s'" % (plan["group"], group))
    unreachable = [node for node, entry in plan["nodes"].items() if entry["planned"] == UNREACHABLE]
    if unreachable:
        reasons.append("the plan cannot be applied: %s could not be read when it was made (%s)"
                       % (_count(unreachable), ", ".join(unreachable[:10])))
    age = now - float(plan["created_epoch"])
    if max_age is not None and age > max_age:
        reasons.append("the plan is stale: made %d s ago (%s), plan_max_age is %s s" % (age, plan.get("created"), max_age))
    elif max_age is not None and -age > MAX_CLOCK_SKEW_SECONDS:
        reasons.append("the plan is dated %d s in the future (%s): its age cannot be checked against plan_max_age"
                       % (-age, plan.get("created")))
    planned_nodes = plan["nodes"]
    added = [node for node in urls if node not in planned_nodes]
    removed = [node for node in planned_nodes if node not in urls]
    if added or removed:
        reasons.append("the node set changed since the plan: %s" % ", ".join(
            ["%s added" % node for node in added] + ["%s removed" % node for node in removed]))
    for node, url in urls.items():
        planned_url = normalise_node_url(planned_nodes[node]["url"]) if node in planned_nodes else ""
        if node in planned_nodes and normalise_node_url(str(url)) != planned_url:
            reasons.append("%s: URL changed from %s to %s" % (node, planned_url, normalise_node_url(str(url))))
    return reasons


def moved_nodes(plan: t.Mapping[str, t.Any], reads: t.Mapping[str, t.Optional[t.Mapping[str, t.Any]]]) -> list[str]:
    """One line per node whose state now differs from the plan's, e.g. ``node7: planned create, now present``."""
    moved = []
    for node, entry in plan["nodes"].items():
        read = reads.get(node) or {}
        now = read_state(read)
        if now == STATE_UNKNOWN:
            error = one_line(read.get("msg") or "no answer", NODE_ERROR_CHARS)
            moved.append("%s: planned %s, now unreadable (%s)" % (node, entry["planned"], error))
        elif now != entry["state"]:
            planned = entry["planned"] if entry["planned"] != "none" else "none (%s)" % entry["state"]
            moved.append("%s: planned %s, now %s" % (node, planned, now))
    return moved


# terraform plan -detailed-exitcode: 0 and 2; an error is ansible-playbook's own error exit (1 or 4 by release)
EXIT_NOTHING_TO_DO, EXIT_CHANGES_PLANNED = 0, 2
PLAN_ERROR = "error"


def detailed_exit_code(plan: t.Mapping[str, t.Any] | None, error: str = "") -> tuple[int | str, str]:
    """The exit code of a plan run as ``terraform plan -detailed-exitcode`` gives it (``PLAN_ERROR`` for an error),
    and why."""
    if error:
        return PLAN_ERROR, error
    if not plan or plan.get("kind") != SAVED_PLAN_KIND:
        return PLAN_ERROR, "no plan was made"
    if plan.get("outcome") == NOTHING_TO_DO:
        return EXIT_NOTHING_TO_DO, "nothing to do"
    if plan.get("outcome") == CHANGES_PLANNED:
        return EXIT_CHANGES_PLANNED, "changes planned"
    return PLAN_ERROR, "the plan cannot be applied: some nodes could not be read"


def saved_plan_argument_errors(saved_plan: object, plan_given: bool = False, plan_max_age: object = "",
                               plan_max_age_given: bool = False) -> list[str]:
    """Why the role's plan arguments must be refused before any request: a plan argument that is empty (``-e plan=``
    from an unset shell variable, or a falsy value from a caller) would otherwise run without the plan."""
    errors = []
    no_plan = saved_plan is None or saved_plan == "" or (not isinstance(saved_plan, str) and not saved_plan)
    empty = (plan_given and no_plan) or (saved_plan != "" and no_plan)
    if empty:
        errors.append("plan is empty (-e plan=%s): pass the plan file plan_group.yml wrote or its artifact, or leave plan "
                      "out" % ("" if saved_plan in (None, "") else one_line(json.dumps(saved_plan), 40)))
    if not empty and no_plan and (plan_max_age_given or plan_max_age not in ("", None)):
        errors.append("plan_max_age limits the age of a saved plan: pass -e plan=<file> too, or leave plan_max_age out")
    return errors


def _count(nodes: list[str]) -> str:
    return "%d node%s" % (len(nodes), "" if len(nodes) == 1 else "s")
