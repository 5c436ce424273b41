"""What both tiers share: the trial's outcome, waiting for the simulator to go quiet, and the secret scan."""
from __future__ import annotations

import os
import time
import typing as t
from dataclasses import dataclass, field

QUIET_WAIT_SECONDS = 10.0


@dataclass
class TrialOutcome:
    """What one trial did: the run's outcome label, the faults the nodes really applied, any violations."""

    outcome: str
    violations: list[str] = field(default_factory=list)
    faulted_requests: dict[str, int] = field(default_factory=dict)
    finish_ran: bool = False
    finish_reruns: int = 0
    crash: str | None = None
    # client timeouts the simulator did not cause (a starved process): the liveness premise did not hold
    unplanned_timeouts: dict[str, int] = field(default_factory=dict)


def settle(cluster: t.Any, timeout: float = QUIET_WAIT_SECONDS) -> list[str]:
    """Wait (bounded) until no node is still handling a request: a late write would land after our snapshot.
    A node still busy after ``timeout`` is a violation: the run ended while one of its requests was alive."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(node.in_flight == 0 for node in cluster.nodes.values()):
            return []
        time.sleep(0.01)
    busy = sorted(name for name, node in cluster.nodes.items() if node.in_flight)
    return ["nodes %s were still handling a request %.0fs after the run ended" % (busy, timeout)] if busy else []


def node_errors(account: t.Mapping[str, t.Any] | None) -> list[str]:
    """The account's per-node errors, printed with a violation (what the client saw)."""
    return ["(account) %s: %s" % (node, entry["error"]) for node, entry in ((account or {}).get("nodes") or {}).items()
            if isinstance(entry, t.Mapping) and entry.get("error")]


def timeouts_without_fault(cluster: t.Any, account: t.Mapping[str, t.Any] | None) -> dict[str, int]:
    """Nodes whose error says "timed out" although the simulator applied no timeout fault to them (machine load)."""
    found = {}
    for node, line in ((node, entry.get("error") or "") for node, entry in ((account or {}).get("nodes") or {}).items()
                       if isinstance(entry, t.Mapping)):
        injected = any(entry.fault is not None and entry.fault.value.startswith("timeout") for entry in list(cluster.nodes[node].log))
        if "timed out" in line and not injected:
            found[node] = 1
    return found


def faulted_nodes(cluster: t.Any) -> set[str]:
    """Nodes that answered at least one request under a failing fault (latency below the timeout fails none)."""
    return {name for name, node in cluster.nodes.items()
            if any(entry.fault is not None and entry.fault.value != "latency" for entry in list(node.log))}


def faulted_requests(cluster: t.Any) -> dict[str, int]:
    """Requests the simulator answered under a fault, by fault kind (latency includes zero-delay pass slots)."""
    counts: dict[str, int] = {}
    for node in cluster.nodes.values():
        for entry in list(node.log):
            if entry.fault is not None:
                counts[entry.fault.value] = counts.get(entry.fault.value, 0) + 1
    return counts


def secret_leaks(secret: str | None, texts: t.Mapping[str, str], directories: t.Sequence[str] = ()) -> list[str]:
    """Where ``secret`` appears: in one of ``texts`` (name -> text) or in any file under ``directories``."""
    if not secret:
        return []
    places = [name for name, text in texts.items() if secret in (text or "")]
    for directory in directories:
        for root, _dirs, files in os.walk(directory):
            for file_name in files:
                path = os.path.join(root, file_name)
                with open(path, "rb") as handle:
                    if secret.encode() in handle.read():
                        places.append(path)
    return ["the token appears in %s" % ", ".join(places)] if places else []
