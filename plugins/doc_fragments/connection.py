# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by the modules that talk to one node (argspec in module_utils/_connection_options.py)."""
from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Documentation of the shared connection options."""

    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of the node's API, with scheme, for example V(http://node1.example.com) or
        V(https://node1.example.com:8443/prefix). The module appends C(/v1/group/).
      - A path prefix is allowed. Credentials (C(user:password@)), a query or a fragment are refused;
        pass a token in O(api_token) instead.
      - Run the module on the controller (C(delegate_to) or a C(local) connection) with
        C(ansible_python_interpreter={{ ansible_playbook_python }}).
    type: str
    required: true
  api_token:
    description:
      - "Bearer token, sent as C(Authorization: Bearer <token>)."
      - If not set, the environment variable E(CLUSTEROPS_API_TOKEN) of the process running the module is used
        (this is how an AWX/AAP credential provides it).
      - Never logged and never returned.
    type: str
  validate_certs:
    description:
      - Verify the node's TLS certificate for V(https) URLs.
      - Set to V(false) only on networks you trust.
    type: bool
    default: true
  ca_path:
    description:
      - PEM CA bundle file (or hashed certificate directory) to verify the node's certificate with.
      - Defaults to the CA store of the C(requests) library.
    type: path
  timeout:
    description:
      - Time limit of each HTTP request attempt in total (connect, status line, headers and body), in seconds (more
        than 0, at most 3600); it is also the connect timeout and the limit of each wait for data. A node that
        sends its answer a byte at a time or never answers costs at most this per attempt; such an attempt counts as
        a timeout (ambiguous, retried).
    type: float
    default: 10
  retries:
    description:
      - How many times a request whose outcome is ambiguous (HTTP 5xx, 408, 429, timeout, reset, closed connection)
        is retried, from 0 to 100. A write whose outcome is ambiguous is never repeated before a GET has shown
        that it was not applied.
      - Refusals (HTTP 401, 403, 415, 422 and other 4xx, TLS errors) are never retried.
    type: int
    default: 3
  backoff_base:
    description:
      - Base of the exponential backoff between attempts, in seconds. Retry number N waits a random time
        between 0 and min(O(backoff_max), O(backoff_base) * 2^N) ("full jitter").
      - A retried answer (429, 503, other retried statuses) with a C(Retry-After) header (seconds or an HTTP date)
        makes the wait the longer of that delay and C(Retry-After), still at most O(backoff_max) (and never past the
        cluster-wide C(deadline) of M(clusterops.groups.cluster_group)).
    type: float
    default: 0.5
  backoff_max:
    description:
      - Upper limit of one backoff wait, in seconds; at least O(backoff_base).
    type: float
    default: 8.0
requirements:
  - requests (Python library, on the host that runs the module)
"""
