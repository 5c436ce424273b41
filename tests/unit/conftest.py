"""Shared unit-test fixtures: a client over a scripted fake session that never sleeps (helpers in fake_http.py)."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._transport import NodeClient
from ansible_collections.clusterops.groups.tests.unit.fake_http import API_URL, FakeSession, SleepRecorder, Step


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(sleeps: SleepRecorder) -> Callable[..., tuple[NodeClient, FakeSession]]:
    """`client, session = make_client([200, 201], retries=3, ...)`: a NodeClient over a scripted session."""

    def build(script: list[Step], **options: Any) -> tuple[NodeClient, FakeSession]:
        session = FakeSession(list(script))
        options.setdefault("base_url", API_URL)
        options.setdefault("rng", lambda: 0.5)
        client = NodeClient(session=session, sleep=sleeps, **options)
        return client, session

    return build
