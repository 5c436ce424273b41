"""Shared pytest fixtures: simulated clusters over real HTTP on 127.0.0.1."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from simulator import SimulatedCluster


@pytest.fixture(scope="session")
def tls_ca() -> Any:
    """One trustme CA for the whole session (TLS clusters reuse it: cheaper than one per cluster)."""
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


@pytest.fixture
def simulated_cluster(request: pytest.FixtureRequest) -> Iterator[Callable[..., SimulatedCluster]]:
    """Factory: `cluster = simulated_cluster(node_count=3, **kw)`; every cluster stops at teardown.

    Keyword arguments are SimulatedCluster's (layout, tls, token, seed, profiles, ...). TLS clusters
    use the session CA unless `ca=` is given; `cluster.ca_path` is its PEM.
    """
    clusters: list[SimulatedCluster] = []

    def start(node_count: int = 3, **kwargs: Any) -> SimulatedCluster:
        if kwargs.get("tls") and "ca" not in kwargs:
            kwargs["ca"] = request.getfixturevalue("tls_ca")
        cluster = SimulatedCluster(node_count=node_count, **kwargs)
        clusters.append(cluster)
        return cluster

    yield start
    for cluster in clusters:
        cluster.stop()


class PlaybookCluster:
    """A simulated cluster, its inventory and record dir: `run("create_group.yml", extra_vars=..., extra_args=...)`.

    `host_vars` go into the inventory per host; `extra_env` into every run's environment (CLUSTEROPS_API_TOKEN, ...).
    """

    def __init__(self, simulator: SimulatedCluster, tmp_path: Any, group: str, host_vars: dict[str, dict[str, Any]] | None = None,
                 extra_env: dict[str, str] | None = None) -> None:
        from playbook_runner import write_inventory
        self.simulator, self.group = simulator, group
        self.inventory = write_inventory(tmp_path, simulator.urls(), host_vars=host_vars)
        self.record_dir = str(tmp_path / "records")
        self.extra_env = dict(extra_env or {})

    def run(self, playbook: str, extra_vars: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        from playbook_runner import run_playbook
        kwargs["extra_env"] = dict(self.extra_env, **(kwargs.get("extra_env") or {}))
        return run_playbook(playbook, self.inventory, self.record_dir, extra_vars=dict({"group": self.group}, **(extra_vars or {})),
                            **kwargs)

    def holders(self) -> set[str]:
        """Names of the nodes that hold the group, read from the simulator."""
        return {name for name, node in self.simulator.nodes.items() if self.group in node.groups}

    def requests(self) -> int:
        return sum(self.simulator.requests_per_node().values())


@pytest.fixture
def playbook_cluster_factory(simulated_cluster: Callable[..., SimulatedCluster], tmp_path: Any) -> Callable[..., PlaybookCluster]:
    """Factory: `playbook_cluster_factory(node_count, group, host_vars=..., extra_env=..., layout=...)`, a simulated
    cluster with its inventory and record dir (other keyword arguments are the simulator's)."""
    def start(node_count: int = 3, group: str = "ops-team", host_vars: dict[str, dict[str, Any]] | None = None,
              extra_env: dict[str, str] | None = None, **simulator_options: Any) -> PlaybookCluster:
        return PlaybookCluster(simulated_cluster(node_count=node_count, **simulator_options), tmp_path, group, host_vars, extra_env)
    return start


@pytest.fixture
def playbook_cluster(playbook_cluster_factory: Callable[..., PlaybookCluster]) -> PlaybookCluster:
    """Three simulated nodes with an inventory and a record dir, for playbook tests of the group `ops-team`."""
    return playbook_cluster_factory(3, "ops-team")
