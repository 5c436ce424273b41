"""The invariant every trial must keep (issue 7), checked against the nodes' true state, never the run's word.

- success => every node in the desired state, and the nodes the account calls ``changed`` are exactly the
  nodes that really changed;
- failure => every node back to its prior state, or the account lists exactly the divergent nodes with
  their true state (``after``; ``unknown`` is allowed: it does not claim a wrong state) and the outcome says
  the rollback is incomplete; the finish then converges (checked by the tier, see ``check_finished``);
- a group that existed before is never deleted by a rollback (failure of a create), nor one absent before our
  write re-created (failure of a delete); "before" is just before our write: where a second writer wrote the
  desired state first, that is its state (``effective_priors``);
- liveness: all faults transient and fewer than the retries on every node => the run must succeed.

"Exactly" is held to: every ``after`` is present, absent or unknown; ``unknown`` only on a node that met a fault
(or when the machine's load made the client time out); on success no node is unknown; an incomplete rollback
needs a node that really diverges or whose state is unknown (no false alarm).
"""
from __future__ import annotations

import typing as t

STATES = ("present", "absent", "unknown")
SUCCESS = "success"
INCOMPLETE = "rollback_incomplete"
FAILURE_OUTCOMES = ("rolled_back", "failed", INCOMPLETE)


def state_name(exists: bool) -> str:
    return "present" if exists else "absent"


def effective_priors(scenario: t.Any, second_writers: t.Collection[str] = ()) -> dict[str, bool]:
    """Each node's state just before our write: the scenario's prior, or the desired state where a second writer
    wrote first (that group is the other writer's: never ours to undo)."""
    return {node.name: scenario.desired if node.name in second_writers else node.prior for node in scenario.nodes}


def check_run(scenario: t.Any, account: t.Mapping[str, t.Any] | None, final: t.Mapping[str, bool],
              load_noise: bool = False, faulted_nodes: t.Collection[str] | None = None,
              second_writers: t.Collection[str] = (), in_the_window: t.Collection[str] = ()) -> list[str]:
    """Violations (one line each) of a run that ended on its own; [] when the invariant holds.

    ``load_noise``: the client timed out on requests the simulator answered without a fault (the machine was
    starved), so the nodes saw more failures than were injected and liveness is not required of this run.
    ``faulted_nodes``: the nodes the simulator answered at least once under a fault (None: not checked).
    ``second_writers``: nodes where another client wrote the desired state before our write (their prior is that).
    ``in_the_window``: nodes with a stale read or a second writer where the machine's load made a write of ours
    time out: the documented window no client can close (docs/transaction.md); only the account's truth is held
    there, not who owns the change.
    """
    if not isinstance(account, t.Mapping) or account.get("outcome") not in (SUCCESS,) + FAILURE_OUTCOMES:
        return ["no account or unexpected outcome: %r" % (account or {}).get("outcome") if isinstance(account, t.Mapping)
                else "the run published no account"]
    prior = effective_priors(scenario, second_writers)
    nodes = account.get("nodes") or {}
    problems = _missing_nodes(prior, nodes) + _untruthful_nodes(nodes, final)
    problems += _unjustified_unknowns(nodes, None if load_noise else faulted_nodes)
    owned_nodes = {name: entry for name, entry in nodes.items() if name not in in_the_window}
    owned_prior = {name: state for name, state in prior.items() if name not in in_the_window}
    owned_final = {name: state for name, state in final.items() if name not in in_the_window}
    if account["outcome"] == SUCCESS:
        problems += _check_success(scenario, owned_nodes, owned_prior, owned_final)
    else:
        problems += _check_failure(scenario, account["outcome"], owned_nodes, owned_prior, owned_final)
        if scenario.must_succeed() and not load_noise:
            problems.append("liveness: every fault was transient and fewer than retries=%d on every node, yet outcome %s"
                            % (scenario.retries, account["outcome"]))
    return problems


def check_finished(scenario: t.Any, final: t.Mapping[str, bool], allow_desired: bool = False,
                   second_writers: t.Collection[str] = ()) -> list[str]:
    """After the finish (faults cleared): every node in its prior state (or, for a run that had settled as a
    success before a crash, every node in the desired state)."""
    prior = effective_priors(scenario, second_writers)
    if final == prior or (allow_desired and all(final[name] is scenario.desired for name in final)):
        return []
    diverged = {name: state_name(final[name]) for name in final if final[name] != prior[name]}
    return ["not converged after the finish: nodes %s differ from their prior state" % diverged]


def _missing_nodes(prior: t.Mapping[str, bool], nodes: t.Mapping[str, t.Any]) -> list[str]:
    missing = sorted(set(prior) - set(nodes))
    return ["the account lacks nodes %s" % missing] if missing else []


def _unjustified_unknowns(nodes: t.Mapping[str, t.Any], faulted_nodes: t.Collection[str] | None) -> list[str]:
    bad = {name: entry.get("after") for name, entry in nodes.items()
           if not isinstance(entry, t.Mapping) or entry.get("after") not in STATES}
    problems = ["the account gives no valid final state (present/absent/unknown) for %s" % bad] if bad else []
    if faulted_nodes is not None:
        guessed = sorted(name for name, entry in nodes.items() if name not in bad and entry["after"] == "unknown"
                         and name not in faulted_nodes)
        if guessed:
            problems.append("nodes %s are unknown in the account although no fault ever touched them" % guessed)
    return problems


def _untruthful_nodes(nodes: t.Mapping[str, t.Any], final: t.Mapping[str, bool]) -> list[str]:
    wrong = {name: (entry.get("after"), state_name(final[name])) for name, entry in nodes.items()
             if name in final and entry.get("after") in ("present", "absent") and entry["after"] != state_name(final[name])}
    return ["the account states a wrong final state (account, true) for %s" % wrong] if wrong else []


def _check_success(scenario: t.Any, nodes: t.Mapping[str, t.Any], prior: t.Mapping[str, bool],
                   final: t.Mapping[str, bool]) -> list[str]:
    problems = []
    wrong = sorted(name for name, exists in final.items() if exists is not scenario.desired)
    if wrong:
        problems.append("success, but nodes %s are not %s" % (wrong, scenario.state))
    unsure = sorted(name for name, entry in nodes.items() if isinstance(entry, t.Mapping) and entry.get("after") != scenario.state)
    if unsure:
        problems.append("success, but the account does not state %s for nodes %s" % (scenario.state, unsure))
    really_changed = {name for name in prior if prior[name] != final[name]}
    said_changed = {name for name, entry in nodes.items() if entry.get("result") == "changed"}
    if really_changed != said_changed:
        problems.append("changed set mismatch: account says %s, nodes really changed %s" % (sorted(said_changed), sorted(really_changed)))
    return problems


def _check_failure(scenario: t.Any, outcome: str, nodes: t.Mapping[str, t.Any], prior: t.Mapping[str, bool],
                   final: t.Mapping[str, bool]) -> list[str]:
    problems = []
    diverged = sorted(name for name in final if final[name] != prior[name])
    deleted = sorted(name for name in diverged if prior[name] and scenario.operation == "create")
    if deleted:
        problems.append("a pre-existing group was deleted by the rollback of a create on %s" % deleted)
    recreated = sorted(name for name in diverged if not prior[name] and scenario.operation == "delete")
    if recreated:
        problems.append("a group absent before our write was re-created by the rollback of a delete on %s" % recreated)
    unknown = [name for name, entry in nodes.items() if isinstance(entry, t.Mapping) and entry.get("after") == "unknown"]
    if outcome == INCOMPLETE and not diverged and not unknown:
        problems.append("outcome %s, but every node is known to be back in its prior state (a false alarm)" % outcome)
    if not diverged:
        return problems
    if outcome != INCOMPLETE:
        problems.append("outcome %s but nodes %s diverge from their prior state (silent divergence)" % (outcome, diverged))
    unlisted = [name for name in diverged if not _listed(nodes.get(name) or {}, prior[name])]
    if unlisted:
        problems.append("divergent nodes %s are not listed as unrestored in the account" % unlisted)
    return problems


def _listed(entry: t.Mapping[str, t.Any], prior_exists: bool) -> bool:
    """The account tells this node is not (known to be) back in its prior state."""
    return entry.get("rollback") == "failed" or entry.get("after") != state_name(prior_exists)
