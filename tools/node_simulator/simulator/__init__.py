"""A fault-injecting simulator of the cluster node API, for tests, the demo and benchmarks.

Stdlib only (plus trustme for TLS). See tools/node_simulator/README.md.
"""
from __future__ import annotations

from .cluster import SimulatedCluster
from .control_client import SimulatorControl, SimulatorControlError
from .faults import Fault, FaultKind
from .node import LogEntry, Node
from .profiles import PROFILES, NodeProfile

__all__ = ["PROFILES", "Fault", "FaultKind", "LogEntry", "Node", "NodeProfile", "SimulatedCluster",
           "SimulatorControl",
           "SimulatorControlError"]
