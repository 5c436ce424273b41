# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""Which node an API URL names: two inventory hosts with the same node must never be two nodes of a run.

Private module_utils: the role reaches it through the ``duplicate_nodes_error`` filter, the fast path
(``_cluster_transaction.validate_nodes``) calls it directly; the saved plan of a later feature reuses ``node_identity``.
"""
from __future__ import annotations

import ipaddress
import typing as t
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.clusterops.groups.plugins.module_utils._secrets import url_for_display

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_node_url(url: str) -> str:
    """The identity of a node's API URL: scheme and host lower-case, an IP literal in its one spelling
    (``canonical_host``), default port dropped, no trailing slash.

    The path prefix stays (case and all): with the prefix layout, one origin serves many nodes. Userinfo is
    dropped (it names a caller, not a node). ``url`` is expected to be valid (``validate_api_url``).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = canonical_host(parts.hostname or "")
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = "[%s]" % host
    port = parts.port
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else "%s:%d" % (host, port)
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


def canonical_host(host: str) -> str:
    """A host as one node has it: an IP literal in ipaddress's spelling (``0:0:0:0:0:0:0:1`` and ``::1`` are one
    address; an IPv4-mapped IPv6 ``::ffff:10.0.0.1`` is the IPv4 it maps, the address the packets go to), a name
    lower-case. Names are not resolved: two names of one address stay two nodes (DNS is not ours to judge)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.lower()
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


def find_duplicate_nodes(urls: t.Mapping[str, str]) -> list[list[str]]:
    """Groups (sorted, each of two or more node names) whose URLs name the same node, in first-seen order."""
    by_identity: dict[str, list[str]] = {}
    for name, url in urls.items():
        by_identity.setdefault(normalise_node_url(str(url)), []).append(str(name))
    return [sorted(names) for names in by_identity.values() if len(names) > 1]


def duplicate_nodes_message(urls: t.Mapping[str, str]) -> str:
    """Empty when every URL names its own node, else one line naming each set of hosts that share a node."""
    duplicates = find_duplicate_nodes(urls)
    if not duplicates:
        return ""
    # shown before any URL is validated: a query hidden as %3F in the path must not be printed
    shared = "; ".join("%s all name %s" % (", ".join(names), url_for_display(normalise_node_url(str(urls[names[0]]))))
                       for names in duplicates)
    return ("inventory hosts share a node API URL (%s): each node must appear once, or its account and rollback would be "
            "wrong; give each host its own cluster_api_url or remove the extra hosts" % shared)


def node_targets(hosts: t.Iterable[str], hostvars: t.Mapping[str, t.Any]) -> list[dict[str, str]]:
    """``[{name, api_url}]``: each inventory host's node URL as the role takes it: its ``group_transaction_api_url``,
    else its ``cluster_api_url``, else ``http://<host>``."""
    targets = []
    for host in hosts:
        host_variables = hostvars.get(host) or {}
        api_url = host_variables.get("group_transaction_api_url") or host_variables.get("cluster_api_url") or "http://%s" % host
        targets.append({"name": str(host), "api_url": str(api_url)})
    return targets
