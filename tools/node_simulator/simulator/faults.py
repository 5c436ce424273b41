"""Fault kinds, scripted faults and the per-node random fault stream."""
from __future__ import annotations

import dataclasses
import enum
import random
from typing import Any

_UNSET: Any = object()


class FaultKind(str, enum.Enum):
    ERROR_500_BEFORE_WRITE = "500_before_write"
    ERROR_500_AFTER_WRITE = "500_after_write"
    TIMEOUT_BEFORE_WRITE = "timeout_before_write"
    TIMEOUT_AFTER_WRITE = "timeout_after_write"
    RESET = "reset"
    CLOSE = "close"
    OUTAGE = "outage"
    LATENCY = "latency"
    # answered as a stale replica would: a GET of a group sees the opposite of the node's real state
    STALE_READ = "stale_read"
    # another client's identical write lands just before this one (a POST finds the group created, a DELETE
    # finds it deleted); then the request is served normally ("already exists" / 404)
    SECOND_WRITER = "second_writer"
    # a hostile or careless node: answers `status` (500) with a body that echoes the request's Authorization header
    # (PHP-style JSON, percent-encoded, base64), padded so that the first echo straddles a 200-character cut
    ECHO_AUTHORIZATION = "echo_authorization"

    def __str__(self) -> str:
        return self.value


DEFAULT_DELAY = 2.0


@dataclasses.dataclass
class Fault:
    """One scripted fault.

    method None matches any method. count k applies to the next k matching requests; None is sticky until
    cleared (the default for OUTAGE, 1 otherwise). status is the answer of OUTAGE (default 503; None resets
    the connection instead) and of the 500 kinds (default 500). retry_after: the Retry-After header of those answers.
    """

    kind: FaultKind
    method: str | None = None
    count: int | None = _UNSET
    delay: float = DEFAULT_DELAY
    status: int | None = _UNSET
    retry_after: str | None = None

    def __post_init__(self) -> None:
        self.kind = FaultKind(self.kind)
        if self.method is not None:
            self.method = self.method.upper()
        if self.count is _UNSET:
            self.count = None if self.kind is FaultKind.OUTAGE else 1
        if self.count is not None and self.count < 1:
            raise ValueError("count must be >= 1 or None (sticky)")
        if self.status is _UNSET:
            self.status = _default_status(self.kind)

    def matches(self, method: str) -> bool:
        if self.method is None:
            return method in _METHODS_OF_KIND.get(self.kind, (method,))
        return self.method == method

    def to_dict(self) -> dict:
        data = {"kind": self.kind.value, "method": self.method, "count": self.count, "delay": self.delay, "status": self.status}
        if self.retry_after is not None:  # only when set: the state of a fault without one stays as it was
            data["retry_after"] = self.retry_after
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Fault:
        known = {"kind", "method", "count", "delay", "status", "retry_after"}
        unknown = set(data) - known
        if unknown or "kind" not in data:
            raise ValueError(f"a fault needs 'kind' and only {sorted(known)}; got {sorted(data)}")
        return cls(**data)


# kinds that only make sense for some methods: with method None they wait for such a request
_METHODS_OF_KIND = {FaultKind.STALE_READ: ("GET",), FaultKind.SECOND_WRITER: ("POST", "DELETE")}


def _default_status(kind: FaultKind) -> int | None:
    if kind is FaultKind.OUTAGE:
        return 503
    if kind in (FaultKind.ERROR_500_BEFORE_WRITE, FaultKind.ERROR_500_AFTER_WRITE, FaultKind.ECHO_AUTHORIZATION):
        return 500
    return None


@dataclasses.dataclass
class RandomFaults:
    """A per-node random stream: each matching request draws from this node's own generator only,
    so the order in which parallel clients reach different nodes never changes which node fails."""

    probability: float
    kinds: list[FaultKind]
    methods: set[str] | None
    rng: random.Random
    delay: float = DEFAULT_DELAY

    def draw(self, method: str) -> Fault | None:
        if self.methods is not None and method not in self.methods:
            return None
        roll = self.rng.random()
        kind = self.kinds[self.rng.randrange(len(self.kinds))]
        if roll >= self.probability:
            return None
        # A random outage is one refused request, not a sticky one.
        return Fault(kind, method=method, count=1, delay=self.delay)

    def to_dict(self) -> dict:
        return {"probability": self.probability, "kinds": [kind.value for kind in self.kinds],
                "methods": sorted(self.methods) if self.methods is not None else None, "delay": self.delay}


def make_random_faults(probability: float, kinds: list, methods: list | None, seed: Any,
                       delay: float = DEFAULT_DELAY) -> RandomFaults:
    if not 0.0 <= probability <= 1.0:
        raise ValueError("probability must be within [0, 1]")
    if not kinds:
        raise ValueError("kinds must not be empty")
    method_set = {method.upper() for method in methods} if methods is not None else None
    # A str seed is hashed with sha512 by random.Random: stable across processes and PYTHONHASHSEED.
    return RandomFaults(probability, [FaultKind(kind) for kind in kinds], method_set,
                        random.Random(str(seed)), delay)


class FaultQueue:
    """Scripted faults in order; the first one matching a request applies and is consumed."""

    def __init__(self) -> None:
        self.scripted: list[Fault] = []
        self.random: RandomFaults | None = None

    def add(self, fault: Fault) -> None:
        self.scripted.append(fault)

    def clear(self) -> None:
        self.scripted.clear()
        self.random = None

    def put_back(self, fault: Fault) -> None:
        """Give one use of ``fault`` back, first in line (it met a request it does not apply to)."""
        self.scripted.insert(0, dataclasses.replace(fault, count=1))

    def take(self, method: str) -> Fault | None:
        for index, fault in enumerate(self.scripted):
            if fault.matches(method):
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count == 0:
                        del self.scripted[index]
                return fault
        if self.random is not None:
            return self.random.draw(method)
        return None
