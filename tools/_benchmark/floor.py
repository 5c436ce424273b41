"""The floor: a plain Python client doing the same create (GET, then POST on 404) on every node."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

WORKERS = 20
TIMEOUT_SECONDS = 10.0


def _create_on_node(session: requests.Session, url: str, group: str) -> bool:
    reply = session.get(f"{url}/v1/group/{group}/", timeout=TIMEOUT_SECONDS)
    if reply.status_code == 200:
        return True
    if reply.status_code != 404:
        return False
    reply = session.post(f"{url}/v1/group/", json={"groupId": group}, timeout=TIMEOUT_SECONDS)
    return reply.status_code == 201


def floor_create(urls: list[str], group: str) -> int:
    """One GET and at most one POST per node (no retries: the floor is the happy path); nodes that failed."""
    with requests.Session() as session:
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=WORKERS)
        session.mount("http://", adapter)
        with ThreadPoolExecutor(WORKERS) as pool:
            outcomes = list(pool.map(lambda url: _create_on_node(session, url, group), urls))
    return outcomes.count(False)


def floor_status(urls: list[str], group: str) -> int:
    """One GET per node (group_status's floor); nodes that did not answer 200 or 404."""
    with requests.Session() as session:
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=WORKERS)
        session.mount("http://", adapter)
        with ThreadPoolExecutor(WORKERS) as pool:
            statuses = list(pool.map(lambda url: _read_status(session, url, group), urls))
    return sum(1 for status in statuses if status not in (200, 404))


def _read_status(session: requests.Session, url: str, group: str) -> int:
    try:
        return session.get(f"{url}/v1/group/{group}/", timeout=TIMEOUT_SECONDS).status_code
    except requests.RequestException:
        return 0
