"""Shrink a violating trial to a minimal reproduction: fewer nodes, fewer and simpler faults.

Greedy and bounded: try one simplification at a time, keep it when the smaller trial still violates the
invariant (any rule, not necessarily the one the original broke), stop when no simplification keeps the violation or after ``budget`` re-runs. The result is the
smallest trial that still failed, as plain JSON that ``tools/trials.py --scenario`` runs again.
"""
from __future__ import annotations

import copy
import typing as t

from .scenario import NodeSpec, Scenario

DEFAULT_SHRINK_RUNS = 40


def shrink(scenario: Scenario, still_fails: t.Callable[[Scenario], bool], budget: int = DEFAULT_SHRINK_RUNS) -> tuple[Scenario, int]:
    """The smallest variant of ``scenario`` found for which ``still_fails`` holds, and how many re-runs it took."""
    current, runs = scenario, 0
    while runs < budget:
        for candidate in simpler_variants(current):
            if runs >= budget:
                return current, runs
            runs += 1
            if still_fails(candidate):
                current = candidate
                break
        else:
            return current, runs
    return current, runs


def simpler_variants(scenario: Scenario) -> t.Iterator[Scenario]:
    """One step simpler each: drop a node, drop a fault, then make a fault fire once and start at once."""
    if len(scenario.nodes) > 1:
        for index in range(len(scenario.nodes)):
            yield _with_nodes(scenario, scenario.nodes[:index] + scenario.nodes[index + 1:])
    for node_index, node in enumerate(scenario.nodes):
        for fault_index in range(len(node.faults)):
            variant = _with_nodes(scenario, copy.deepcopy(scenario.nodes))
            del variant.nodes[node_index].faults[fault_index]
            yield variant
    for node_index, node in enumerate(scenario.nodes):
        for fault_index, fault in enumerate(node.faults):
            for field, simpler in (("count", 1), ("after", 0)):
                value = getattr(fault, field)
                if value is not None and value > simpler:
                    variant = _with_nodes(scenario, copy.deepcopy(scenario.nodes))
                    setattr(variant.nodes[node_index].faults[fault_index], field, simpler)
                    yield variant


def _with_nodes(scenario: Scenario, nodes: list[NodeSpec]) -> Scenario:
    """``scenario`` with ``nodes``, renamed node1..nodeN: a simulated cluster of N nodes names them so."""
    renamed = [NodeSpec("node%d" % number, node.profile, node.prior, node.faults) for number, node in enumerate(nodes, 1)]
    crash = dict(scenario.crash, after_writes=min(scenario.crash["after_writes"], len(renamed))) if scenario.crash else None
    return Scenario(scenario.seed, scenario.index, scenario.group, scenario.operation, scenario.retries, scenario.timeout,
                    renamed, crash)
