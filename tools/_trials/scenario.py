"""One trial, drawn from (seed, index) only: the cluster, prior state, operation, per-node fault schedule, crash.

A scenario is plain JSON (printed as the reproduction of a violation). Fault kinds in the schedule are the
simulator's, plus two labels for outages: ``outage_ending`` (ends after a number of requests, longer than one
retry loop) and ``outage_sticky`` (never ends during the run; the runner clears it before the finish).
An outage may start late: ``after`` requests of its method pass first (a zero-delay latency slot each).
"""
from __future__ import annotations

import random
import typing as t
from dataclasses import asdict, dataclass, field

from simulator import PROFILES, Fault, FaultKind

TRANSIENT_KINDS = ("500_before_write", "500_after_write", "timeout_before_write", "timeout_after_write", "reset", "close")
# another client's doing, not a failure: the node's first read is stale, or a second writer writes first
OWNERSHIP_KINDS = ("stale_read", "second_writer")
OWNERSHIP_SHARE = 0.15
OUTAGE_KINDS = ("outage_ending", "outage_sticky")
LATENCY = "latency"
FAULT_KINDS = TRANSIENT_KINDS + OUTAGE_KINDS + (LATENCY,)
METHODS = (None, "GET", "POST", "DELETE")
OPERATIONS = {"create": "present", "delete": "absent"}
CRASH_SIGNALS = ("SIGTERM", "SIGKILL")
BENIGN_SHARE = 0.33


@dataclass
class FaultSpec:
    kind: str
    method: str | None
    count: int | None = 1
    after: int = 0

    def simulator_faults(self, timeout: float) -> list[Fault]:
        """The simulator faults that make up this one: optional pass slots, then the fault itself."""
        faults = [Fault(FaultKind.LATENCY, method=self.method, count=self.after, delay=0.0)] if self.after else []
        if self.kind in OUTAGE_KINDS:
            faults.append(Fault(FaultKind.OUTAGE, method=self.method, count=self.count))
        elif self.kind in OWNERSHIP_KINDS:
            faults.append(Fault(FaultKind(self.kind), method=None, count=1))
        elif self.kind == LATENCY:
            faults.append(Fault(FaultKind.LATENCY, method=self.method, count=self.count, delay=timeout / 4))
        else:
            # a timeout kind sleeps well past the client's timeout: the client gives up first
            faults.append(Fault(FaultKind(self.kind), method=self.method, count=self.count, delay=timeout * 3))
        return faults

    @property
    def transient_requests(self) -> int:
        """Requests this fault makes fail, when it is transient (latency fails none)."""
        return (self.count or 0) if self.kind in TRANSIENT_KINDS else 0


@dataclass
class NodeSpec:
    name: str
    profile: str
    prior: bool
    faults: list[FaultSpec] = field(default_factory=list)

    @property
    def transient_faults(self) -> int:
        return sum(fault.transient_requests for fault in self.faults)

    @property
    def has_outage(self) -> bool:
        return any(fault.kind in OUTAGE_KINDS for fault in self.faults)

    @property
    def ownership_fault(self) -> str | None:
        return next((fault.kind for fault in self.faults if fault.kind in OWNERSHIP_KINDS), None)


@dataclass
class Scenario:
    seed: int
    index: int
    group: str
    operation: str
    retries: int
    timeout: float
    nodes: list[NodeSpec]
    crash: dict[str, t.Any] | None = None

    @property
    def state(self) -> str:
        return OPERATIONS[self.operation]

    @property
    def desired(self) -> bool:
        return self.operation == "create"

    def must_succeed(self) -> bool:
        """Liveness: every fault transient and fewer than the retries on every node (and no crash)."""
        return self.crash is None and all(not node.has_outage and node.transient_faults < self.retries for node in self.nodes)

    def fault_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for node in self.nodes:
            for fault in node.faults:
                counts[fault.kind] = counts.get(fault.kind, 0) + 1
        return counts

    def to_json(self) -> dict[str, t.Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, t.Any]) -> Scenario:
        nodes = [NodeSpec(node["name"], node["profile"], node["prior"], [FaultSpec(**fault) for fault in node["faults"]])
                 for node in data["nodes"]]
        return cls(**dict(data, nodes=nodes))


def draw_scenario(seed: int, index: int, timeout: float, crash_rate: float = 0.0, max_nodes: int = 12) -> Scenario:
    """The trial ``index`` of run ``seed``: independent of every other trial, so one can be re-run alone."""
    rng = random.Random("%s:%s" % (seed, index))
    node_count = rng.randint(3, max(3, max_nodes))
    operation = rng.choice(sorted(OPERATIONS))
    retries = rng.randint(1, 4)
    prior_share = rng.choice((0.0, 0.2, 0.5, 0.8, 1.0))
    # a third of the trials are "benign" (transient faults below the retries on every node): they must succeed
    draw_faults = _draw_benign_faults if rng.random() < BENIGN_SHARE else _draw_node_faults
    nodes = [NodeSpec("node%d" % number, rng.choice(sorted(PROFILES)), rng.random() < prior_share,
                      draw_faults(rng, retries)) for number in range(1, node_count + 1)]
    crash = None
    if crash_rate and rng.random() < crash_rate:
        crash = {"signal": rng.choice(CRASH_SIGNALS), "after_writes": rng.randint(0, node_count)}
    if crash is None:
        # drawn last, so the rest of every earlier (seed, index) stays as it was
        for node in nodes:
            if rng.random() < OWNERSHIP_SHARE:
                _add_ownership_fault(rng, node, operation == "create")
    return Scenario(seed, index, "trial-%d-%d" % (seed, index), operation, retries, timeout, nodes, crash)


def _add_ownership_fault(rng: random.Random, node: NodeSpec, desired: bool) -> None:
    """A stale first read (the node really holds the desired state and the read hides it) or a second writer
    (it writes the desired state just before our write). Never with a write fault on the same node: an ambiguous
    write of ours beside another writer is the documented window no client can close (docs/transaction.md); nor
    on a node that answers 200 to a DELETE of an absent group (the same window, for deletes)."""
    kind = rng.choice(OWNERSHIP_KINDS)
    node.prior = desired if kind == "stale_read" else not desired
    node.faults = [fault for fault in node.faults if fault.method == "GET"] + [FaultSpec(kind, None)]
    if not desired and PROFILES[node.profile].delete_absent_status == 200:
        node.profile = "default"


def _draw_benign_faults(rng: random.Random, retries: int) -> list[FaultSpec]:
    faults = [FaultSpec(LATENCY, rng.choice(METHODS))] if rng.random() < 0.2 else []
    faults += [FaultSpec(rng.choice(TRANSIENT_KINDS), rng.choice(METHODS)) for _fault in range(rng.randint(0, retries - 1))]
    rng.shuffle(faults)
    return faults


def _draw_node_faults(rng: random.Random, retries: int) -> list[FaultSpec]:
    mood = rng.random()
    if mood < 0.35:
        return []
    faults = [FaultSpec(rng.choice(TRANSIENT_KINDS + (LATENCY,)), rng.choice(METHODS), rng.randint(1, 2))
              for _fault in range(rng.randint(1, 3))]
    if mood > 0.88:
        kind = rng.choice(OUTAGE_KINDS)
        # an ending outage outlasts one retry loop (so the step fails) and then ends
        count = None if kind == "outage_sticky" else rng.randint(retries + 1, 2 * retries + 3)
        faults.append(FaultSpec(kind, rng.choice(METHODS), count, after=rng.randint(0, 3)))
    rng.shuffle(faults)
    return faults


def install(cluster: t.Any, scenario: Scenario) -> None:
    """Set profiles, prior state and the fault schedule on a running SimulatedCluster (clearing what was there)."""
    for spec in scenario.nodes:
        node = cluster.nodes[spec.name]
        node.clear_faults()
        node.clear_log()
        node.profile = PROFILES[spec.profile]
        node.groups = {scenario.group} if spec.prior else set()
        for fault in spec.faults:
            for simulator_fault in fault.simulator_faults(scenario.timeout):
                node.add_fault(simulator_fault)


def snapshot(cluster: t.Any, scenario: Scenario) -> dict[str, bool]:
    return {spec.name: scenario.group in cluster.nodes[spec.name].groups for spec in scenario.nodes}


def priors(scenario: Scenario) -> dict[str, bool]:
    return {spec.name: spec.prior for spec in scenario.nodes}


def second_writer_nodes(cluster: t.Any, scenario: Scenario) -> set[str]:
    """Nodes where the second writer really wrote (the simulator applied its fault): their state before our
    write is the desired one, and nothing of it may be undone."""
    return {spec.name for spec in scenario.nodes if spec.ownership_fault == "second_writer"
            and any(entry.fault is not None and entry.fault.value == "second_writer" for entry in list(cluster.nodes[spec.name].log))}


def window_nodes(scenario: Scenario, load_timeouts: t.Collection[str]) -> set[str]:
    """Nodes with a stale read or a second writer where the client also timed out on a request the simulator did not
    fault (machine load): a write of ours may then have been ambiguous beside the other writer (the window)."""
    return {spec.name for spec in scenario.nodes if spec.ownership_fault and spec.name in load_timeouts}
