"""Retry-After (issue 30): parsed as delta-seconds or an HTTP date, honoured before the next retry of a retried status,
within backoff_max and the deadline. Sleeps are recorded, never slept."""
from __future__ import annotations

import email.utils
import time

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._errors import NodeUnavailable
from ansible_collections.clusterops.groups.plugins.module_utils._group_state import ensure_group, read_group_reply
from ansible_collections.clusterops.groups.plugins.module_utils._transport import retry_after_seconds

NOW = 1_800_000_000.0  # an epoch time, so an HTTP date's distance from "now" is exact
GET, POST = ("GET", "/v1/group/g/"), ("POST", "/v1/group/")


def http_date(epoch: float) -> str:
    return email.utils.formatdate(epoch, usegmt=True)


@pytest.mark.parametrize("value, expected", [
    ("3", 3.0), (" 120 ", 120.0), ("0", 0.0),
    (http_date(NOW + 5), 5.0), (http_date(NOW - 60), 0.0),  # a date already past: come back now
    ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),
    (None, None), ("", None), ("-1", None), ("1.5", None), ("soon", None), ("\u0663", None),  # an Arabic-Indic 3
    ("Sun, 99 Foo 1994 08:49:37 GMT", None),
])
def test_retry_after_is_delta_seconds_or_an_http_date(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, NOW) == expected


def test_an_http_date_is_read_against_the_wall_clock() -> None:
    assert retry_after_seconds(http_date(time.time() + 30), time.time()) == pytest.approx(30, abs=2)


# (id, Retry-After, backoff_base, backoff_max, the pause expected; rng is 0.5)
PAUSES = [
    ("longer-than-the-backoff", "2", 0.1, 8.0, 2.0),
    ("capped-at-backoff-max", "120", 0.1, 3.0, 3.0),
    ("shorter-than-the-backoff", "0", 4.0, 8.0, 2.0),  # backoff's 0.5 * 4.0 wins: a Retry-After never hurries us
    ("unreadable-keeps-the-backoff", "later", 1.0, 8.0, 0.5),
    ("http-date", http_date(time.time() + 300), 0.1, 6.0, 6.0),
]


@pytest.mark.parametrize("retry_after, backoff_base, backoff_max, expected",
                         [pytest.param(r, b, m, e, id=i) for i, r, b, m, e in PAUSES])
@pytest.mark.parametrize("status", [503, 429])
def test_a_retried_read_waits_what_the_node_asked(make_client, sleeps, status: int, retry_after: str, backoff_base: float,
                                                  backoff_max: float, expected: float) -> None:
    client, session = make_client([(status, {"Retry-After": retry_after}), 200], backoff_base=backoff_base,
                                  backoff_max=backoff_max)
    assert read_group_reply(client, "g").status == 200
    assert session.calls() == [GET, GET] and sleeps.delays == [expected]


def test_four_503s_asking_one_second_each_are_waited_out(make_client, sleeps) -> None:
    """The issue's case: the backoff alone (a few milliseconds here) would have failed the node."""
    client, session = make_client([(503, {"Retry-After": "1"})] * 4 + [200], retries=4, backoff_base=0.01, backoff_max=8.0)
    assert read_group_reply(client, "g").status == 200
    assert len(session.sent) == 5 and sleeps.delays == [1.0] * 4


def test_the_pause_never_passes_the_deadline(make_client, sleeps) -> None:
    client, _session = make_client([(503, {"Retry-After": "60"}), 200], backoff_max=60.0, deadline=time.monotonic() + 2.0)
    read_group_reply(client, "g")
    assert len(sleeps.delays) == 1 and 0.0 < sleeps.delays[0] <= 2.0


def test_a_write_retry_waits_what_the_write_was_told_not_the_resolving_read(make_client, sleeps) -> None:
    client, session = make_client([404, (503, {"Retry-After": "4"}), 404, 201], backoff_base=0.01)
    assert ensure_group(client, "g", "present").changed is True
    assert session.calls() == [GET, POST, GET, POST] and sleeps.delays == [4.0]


def test_retry_after_does_not_add_attempts(make_client, sleeps) -> None:
    client, session = make_client([(503, {"Retry-After": "1"})] * 3, retries=2, backoff_base=0.01)
    with pytest.raises(NodeUnavailable):
        read_group_reply(client, "g")
    assert len(session.sent) == 3 and sleeps.delays == [1.0, 1.0]
