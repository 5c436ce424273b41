"""The module files: Ansible's argspec handling, the missing-library error, and one error boundary (no node needed)."""
from __future__ import annotations

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils import _module_base
from ansible_collections.clusterops.groups.plugins.modules import cluster_group, group, group_info
from ansible_collections.clusterops.groups.tests.module_runner import run_module

UNREACHABLE_URL = "http://127.0.0.1:9"  # never contacted: every case fails before any request


@pytest.mark.parametrize("module, args", [
    (group, {"name": "g", "api_url": UNREACHABLE_URL}),
    (group_info, {"name": "g", "api_url": UNREACHABLE_URL}),
    (cluster_group, {"name": "g", "nodes": [{"name": "n1", "api_url": UNREACHABLE_URL}]}),
])
def test_missing_requests_gives_the_standard_error(monkeypatch, module, args: dict) -> None:
    monkeypatch.setattr(_module_base, "HAS_REQUESTS", False)
    monkeypatch.setattr(_module_base, "REQUESTS_IMPORT_ERROR", "Traceback: No module named 'requests'")
    failed, result = run_module(module.main, args)
    assert failed
    assert "Failed to import the required Python library (requests)" in result["msg"]


@pytest.mark.parametrize("args, words", [
    ({"name": "g", "api_url": UNREACHABLE_URL, "state": "gone"}, "value of state must be one of"),
    ({"name": "g", "api_url": UNREACHABLE_URL, "record_dir": "/tmp/x"}, "parameters are required together"),
    ({"api_url": UNREACHABLE_URL}, "missing required arguments: name"),
    ({"name": "g"}, "missing required arguments: api_url"),
    ({"name": "g", "api_url": UNREACHABLE_URL, "timeout": "soon"}, "timeout"),
    ({"name": "g", "api_url": UNREACHABLE_URL, "run_id": "../x", "record_dir": "/tmp/x"}, "invalid run_id"),
    ({"name": True, "api_url": UNREACHABLE_URL}, "got bool True"),
    ({"name": 4.5, "api_url": UNREACHABLE_URL}, "got float 4.5"),
])
def test_bad_arguments_fail_cleanly(args: dict, words: str) -> None:
    failed, result = run_module("group", args)
    assert failed and words in result["msg"]
    assert "Traceback" not in result["msg"]
    assert result.get("requests", 0) == 0


def test_token_is_masked_in_invocation_and_absent_from_failure() -> None:
    failed, result = run_module("group", {"name": "g", "api_url": "ftp://x", "api_token": "tok-SECRET-1"})
    assert failed
    assert "tok-SECRET-1" not in repr(result)


def test_argspec_is_built_from_the_shared_pieces() -> None:
    spec = group.argument_spec()
    assert spec["name"] == {"type": "raw", "required": True, "aliases": ["group"]}
    assert spec["api_token"]["no_log"] is True
    assert set(spec) >= {"api_url", "state", "record_dir", "run_id", "node", "backoff_max"}
