"""Small HTTP helpers for tests that talk to simulated nodes with `requests` (the node API as a client sees it)."""
from __future__ import annotations

import time
import urllib.parse
from typing import Any, Callable

import requests

from .node import Node

GROUP_PATH = "/v1/group/"


def create(base_url: str, group_id: Any, **kwargs: Any) -> requests.Response:
    return requests.post(base_url + GROUP_PATH, json={"groupId": group_id}, **_with_timeout(kwargs))


def delete(base_url: str, group_id: Any, **kwargs: Any) -> requests.Response:
    return requests.delete(base_url + GROUP_PATH, json={"groupId": group_id}, **_with_timeout(kwargs))


def read(base_url: str, group_id: str, trailing_slash: bool = True, **kwargs: Any) -> requests.Response:
    path = GROUP_PATH + urllib.parse.quote(group_id, safe="") + ("/" if trailing_slash else "")
    return requests.get(base_url + path, **_with_timeout(kwargs))


def _with_timeout(kwargs: dict[str, Any]) -> dict[str, Any]:
    # Every test request is bounded.
    return {"timeout": 5.0, **kwargs}


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll for something the server does after the client stopped listening (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def wait_for_log(node: Node, count: int, timeout: float = 5.0) -> bool:
    """True once the node has logged `count` requests (a handler logs when it decides its answer)."""
    return wait_until(lambda: len(node.log) >= count, timeout)
