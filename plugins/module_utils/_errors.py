# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""Our exceptions: the facts of a failure, rendered once into a one-line ``msg`` plus structured fields.

Private module_utils: free to change. Never put a token or URL userinfo into a message or a field.
"""
from __future__ import annotations

import typing as t

BODY_EXCERPT_CHARS = 200


def one_line(text: object, limit: int = BODY_EXCERPT_CHARS) -> str:
    """Collapse whitespace (an HTML error page, a traceback) into one short line."""
    collapsed = " ".join(str(text).split())
    if len(collapsed) > limit:
        return collapsed[:limit] + "..."
    return collapsed


class ClusterOpsError(Exception):
    """Base class: ``msg`` is one actionable line, ``facts`` are the structured fields of the result."""

    kind = "error"

    def __init__(self, msg: str, **facts: t.Any) -> None:
        super().__init__(msg)
        self.msg = one_line(msg, limit=1000)
        self.facts: dict[str, t.Any] = dict(facts)

    def add_facts(self, **facts: t.Any) -> ClusterOpsError:
        """Attach what the caller knows (group outcome so far); keeps facts already set by the raiser."""
        for key, value in facts.items():
            self.facts.setdefault(key, value)
        return self

    def to_result(self) -> dict[str, t.Any]:
        result = dict(self.facts)
        result["msg"] = self.msg
        result["error_kind"] = self.kind
        return result


class InvalidInput(ClusterOpsError):
    """A module option is wrong; raised before any HTTP request."""

    kind = "invalid_input"

    def __init__(self, msg: str, option: str | None = None) -> None:
        super().__init__(msg, option=option)


class RunRecordError(ClusterOpsError):
    """The durable run record could not be written or read (so no write may happen)."""

    kind = "run_record"


class NodeRequestFailed(ClusterOpsError):
    """The node refused a request for good (hard 4xx, a redirect on a write, TLS failure): no retry helps."""

    kind = "node_request_failed"

    def __init__(self, node_url: str, method: str, path: str, status: int | None, reason: str, group: str | None = None) -> None:
        subject = " for group '%s'" % group if group else ""
        msg = "%s %s%s on node %s failed: %s" % (method, path, subject, node_url, one_line(reason, limit=400))
        super().__init__(msg, node_url=node_url, method=method, path=path, status=status, reason=one_line(reason))


class NodeUnavailable(ClusterOpsError):
    """Every attempt was ambiguous (5xx, timeout, reset): the node did not give a conclusive answer."""

    kind = "node_unavailable"

    def __init__(self, node_url: str, method: str, path: str, attempts: int, last_error: str, group: str | None = None) -> None:
        subject = " for group '%s'" % group if group else ""
        msg = "node %s unavailable: %s %s%s failed %d time(s), last error: %s; check the node or raise 'retries'/'timeout'" % (
            node_url, method, path, subject, attempts, one_line(last_error))
        super().__init__(msg, node_url=node_url, method=method, path=path, attempts=attempts, last_error=one_line(last_error))


class StateUnknown(ClusterOpsError):
    """A write was attempted and no later read could establish the node's state: treat the node conservatively."""

    kind = "state_unknown"

    def __init__(self, node_url: str, group: str, action: str, attempts: int, last_error: str) -> None:
        msg = "state of group '%s' on node %s is unknown: %s was attempted %d time(s) and no read could establish the result " \
              "(last error: %s); the group may or may not exist" % (group, node_url, action, attempts, one_line(last_error))
        super().__init__(msg, node_url=node_url, attempts=attempts, last_error=one_line(last_error))
