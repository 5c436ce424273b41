"""One simulated node: its groups, profile, token, faults and request log."""
from __future__ import annotations

import dataclasses
import threading
import typing
from typing import Any, Iterable

from .faults import DEFAULT_DELAY, Fault, FaultKind, FaultQueue, make_random_faults
from .profiles import NodeProfile, resolve_profile


class LogEntry(typing.NamedTuple):
    """One request as the node saw it. path is node-relative (no /nodeN prefix); status is None when no
    response was sent (reset, close, client gone); fault is the FaultKind applied or None; authorization is the
    Authorization header as received (None without one), so a test can assert which token reached which node."""

    method: str
    path: str
    status: int | None
    fault: FaultKind | None
    authorization: str | None = None

    def to_dict(self) -> dict:
        # without the authorization: the control API is served over the network, a token must not travel on
        return {"method": self.method, "path": self.path, "status": self.status,
                "fault": self.fault.value if self.fault is not None else None}


class Node:
    def __init__(self, name: str, url: str, profile: NodeProfile | str | None = None,
                 token: str | None = None, random_seed: Any = 0) -> None:
        self.name = name
        self.url = url
        self.profile = resolve_profile(profile)
        self.token = token
        self.log: list[LogEntry] = []
        self.lock = threading.RLock()
        self._groups: set[str] = set()
        self._faults = FaultQueue()
        self._random_seed = random_seed
        self._in_flight = 0

    def __repr__(self) -> str:
        return f"Node({self.name!r}, {self.url!r})"

    @property
    def groups(self) -> set[str]:
        """The live set (mutations are seen by the server); assign any iterable to replace it."""
        return self._groups

    @groups.setter
    def groups(self, value: Iterable[str]) -> None:
        with self.lock:
            self._groups = set(value)

    def sorted_groups(self) -> list[str]:
        with self.lock:
            return sorted(self._groups)

    def add_fault(self, fault: Fault) -> None:
        """Queues a copy: the same Fault object may be given to several nodes, each consumes its own."""
        with self.lock:
            self._faults.add(dataclasses.replace(fault))

    def set_random_faults(self, probability: float, kinds: list, methods: list | None = None,
                          seed: Any = None, delay: float = DEFAULT_DELAY) -> None:
        """seed None derives the stream from (cluster seed, node name)."""
        stream_seed = seed if seed is not None else f"{self._random_seed}:{self.name}"
        with self.lock:
            self._faults.random = make_random_faults(probability, kinds, methods, stream_seed, delay)

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def faults(self) -> list[dict]:
        with self.lock:
            return [fault.to_dict() for fault in self._faults.scripted]

    def random_faults(self) -> dict | None:
        with self.lock:
            return self._faults.random.to_dict() if self._faults.random is not None else None

    @property
    def in_flight(self) -> int:
        """Requests being handled right now (e.g. sleeping in a fault) and not yet logged."""
        return self._in_flight

    def begin_request(self, method: str) -> Fault | None:
        """Count the request in flight and take the fault that applies to it."""
        with self.lock:
            self._in_flight += 1
            return self._faults.take(method)

    def put_back_fault(self, fault: Fault) -> None:
        """The fault met a request it cannot apply to (a redirect hop before the read it targets): keep it."""
        with self.lock:
            self._faults.put_back(fault)

    def record(self, entry: LogEntry) -> None:
        with self.lock:
            self.log.append(entry)
            self._in_flight -= 1

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    def describe(self) -> dict:
        with self.lock:
            return {"url": self.url, "groups": sorted(self._groups), "faults": self.faults(),
                    "random_faults": self.random_faults(), "requests": len(self.log),
                    "profile": self.profile.name, "token_required": self.token is not None}
