"""Node identity: which API URLs name the same node (the one rule for the role, the fast path, later the saved plan)."""
from __future__ import annotations

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._node_identity import (
    duplicate_nodes_message, find_duplicate_nodes, normalise_node_url,
)

SAME_NODE = [
    ("http://node1", "HTTP://NODE1/"),
    ("http://node1", "http://node1:80"),
    ("https://node1", "https://Node1:443/"),
    ("http://127.0.0.1:8080/p", "http://127.0.0.1:8080/p/"),
    ("http://[::1]:8080", "http://[::1]:8080/"),
    # IP literals: one address, many spellings (issue 30)
    ("http://[::1]:8080", "http://[0:0:0:0:0:0:0:1]:8080"),
    ("http://[::1]", "http://[0000:0000:0000:0000:0000:0000:0000:0001]:80/"),
    ("https://[2001:db8::a]", "https://[2001:DB8:0:0:0:0:0:A]:443"),
    ("http://[2001:db8::1:0:0:1]/p", "http://[2001:0db8:0000:0000:0001:0000:0000:0001]/p/"),
    ("http://10.0.0.1:8080", "http://[::ffff:10.0.0.1]:8080"),
    ("http://10.0.0.1", "http://[::FFFF:a00:1]"),
]
OTHER_NODE = [
    ("http://node1", "https://node1"),          # scheme is identity
    ("http://node1:8080", "http://node1"),      # a non-default port is identity
    ("https://node1:80", "https://node1"),      # 80 is not https's default
    ("http://h:1/node1", "http://h:1/node2"),   # the prefix layout: one origin, many nodes
    ("http://h:1/Node1", "http://h:1/node1"),   # the path keeps its case
    ("http://[::1]", "http://127.0.0.1"),       # two loopbacks, two families: two sockets
    ("http://[::2]", "http://[::1]"),
    ("http://[::1]:8080", "http://[::1]:8081"),
    ("http://127.0.0.1", "http://127.0.0.2"),
    ("http://[64:ff9b::a00:1]", "http://10.0.0.1"),  # NAT64 is a network's choice, not an address identity
]


@pytest.mark.parametrize("first, second", SAME_NODE)
def test_equivalent_urls_name_one_node(first: str, second: str) -> None:
    assert normalise_node_url(first) == normalise_node_url(second)
    assert find_duplicate_nodes({"a": first, "b": second}) == [["a", "b"]]


@pytest.mark.parametrize("first, second", OTHER_NODE)
def test_different_urls_name_different_nodes(first: str, second: str) -> None:
    assert normalise_node_url(first) != normalise_node_url(second)
    assert find_duplicate_nodes({"a": first, "b": second}) == [] and duplicate_nodes_message({"a": first, "b": second}) == ""


@pytest.mark.parametrize("url, identity", [
    ("http://[0:0:0:0:0:0:0:1]:8080/", "http://[::1]:8080"),
    ("HTTP://[::FFFF:10.0.0.1]", "http://10.0.0.1"),
    ("https://[2001:DB8::A]:8443/api/", "https://[2001:db8::a]:8443/api"),
    ("http://Node-1.Example", "http://node-1.example"),
])
def test_identity_spells_ip_literals_one_way(url: str, identity: str) -> None:
    assert normalise_node_url(url) == identity


def test_every_set_of_duplicates_is_named_in_one_line() -> None:
    message = duplicate_nodes_message({"n1": "http://x", "n3": "http://X:80/", "n2": "http://y", "n4": "http://y/", "n5": "http://z"})
    assert "n1, n3 all name http://x" in message and "n2, n4 all name http://y" in message
    assert "n5" not in message and "\n" not in message
