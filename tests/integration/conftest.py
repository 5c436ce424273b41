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
