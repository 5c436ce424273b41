# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``nodes`` option of the cluster-wide modules, with each node's own connection options
(argspec in module_utils/_node_connections.py)."""
from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Documentation of the node list of cluster_group and cluster_group_info."""

    DOCUMENTATION = r"""
options:
  nodes:
    description:
      - Every node of the cluster, each with its name (as in the run record and the account), its API base URL and,
        optionally, its own connection options.
      - Names must be unique.
      - "Each node's connection options, highest first: the node's own option here; the task's option (set in the
        task or in C(module_defaults)); the option's default (for the token, the environment variable
        E(CLUSTEROPS_API_TOKEN)). With O(hosts), the action plugin fills a node's own options from that inventory
        host's variables, as the per-host path of the C(clusterops.groups.group_transaction) role does for that host:
        its C(group_transaction_<option>), else its C(cluster_<option>) (for example C(cluster_api_token),
        C(cluster_timeout))."
      - Every node's settings are checked before any request; the task fails naming every node whose settings are
        refused. A node's token is sent to that node only.
    type: list
    elements: dict
    suboptions:
      name:
        description: Node name, for example the inventory host name.
        type: str
        required: true
      api_url:
        description: Base URL of the node's API, with scheme (same rules as O(api_url) of M(clusterops.groups.group)).
        type: str
        required: true
      api_token:
        description: This node's bearer token (over O(api_token)). Never logged and never returned.
        type: str
      validate_certs:
        description: Verify this node's TLS certificate (over O(validate_certs)).
        type: bool
      ca_path:
        description: CA bundle file or hashed directory for this node (over O(ca_path)).
        type: path
      timeout:
        description: This node's request timeout in seconds (over O(timeout)).
        type: float
      retries:
        description: This node's retries of an ambiguous request (over O(retries)).
        type: int
      backoff_base:
        description: This node's backoff base in seconds (over O(backoff_base)).
        type: float
      backoff_max:
        description: This node's backoff limit in seconds (over O(backoff_max)).
        type: float
"""
