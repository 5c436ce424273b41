"""Connection options: the shared argspec and the checks made before any HTTP request."""
from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._connection_options import (
    CONNECTION_DEFAULTS, OPTION_TO_CLIENT_FIELD, build_client, connection_argument_spec, tls_warnings, validate_api_url,
    validate_connection_options,
)
from ansible_collections.clusterops.groups.plugins.module_utils._transport import NodeClient
from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput


def options(**overrides: Any) -> dict[str, Any]:
    params = {"api_url": "http://node1.example.com", "api_token": None, "validate_certs": True, "ca_path": None,
              "timeout": 10.0, "retries": 3, "backoff_base": 0.5, "backoff_max": 8.0}
    params.update(overrides)
    return params


def test_argspec_shape() -> None:
    spec = connection_argument_spec()
    assert spec["api_url"] == {"type": "str", "required": True}
    assert spec["api_token"]["no_log"] is True
    assert spec["api_token"]["fallback"][1] == ["CLUSTEROPS_API_TOKEN"]
    assert {name: spec[name].get("default") for name in ("validate_certs", "timeout", "retries", "backoff_base", "backoff_max")} == {
        "validate_certs": True, "timeout": 10.0, "retries": 3, "backoff_base": 0.5, "backoff_max": 8.0}
    assert spec["ca_path"]["type"] == "path"
    connection_argument_spec()["api_url"]["required"] = False
    assert connection_argument_spec()["api_url"]["required"] is True


def test_the_argspec_the_validation_the_client_and_the_docs_follow_one_table_of_defaults() -> None:
    import dataclasses

    import yaml

    from ansible_collections.clusterops.groups.plugins.doc_fragments.connection import ModuleDocFragment

    spec = connection_argument_spec()
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    client_defaults = {field.name: field.default for field in dataclasses.fields(NodeClient)}
    validated = validate_connection_options({"api_url": "http://node1.example.com"})
    for option, default in CONNECTION_DEFAULTS.items():
        assert spec[option]["default"] == default, option
        assert documented[option]["default"] == default, option
        assert client_defaults[OPTION_TO_CLIENT_FIELD.get(option, option)] == default, option
        assert validated[option] == default, option
    assert sorted(name for name, option in spec.items() if "default" in option) == sorted(CONNECTION_DEFAULTS)


@pytest.mark.parametrize("url, normalized", [
    ("http://node1.example.com", "http://node1.example.com"),
    ("https://node1.example.com:8443/prefix/", "https://node1.example.com:8443/prefix"),
    ("http://127.0.0.1:8000/node7", "http://127.0.0.1:8000/node7"),
    ("HTTP://[::1]:8000", "HTTP://[::1]:8000"),
])
def test_valid_urls(url: str, normalized: str) -> None:
    assert validate_api_url(url) == normalized


@pytest.mark.parametrize("url, problem", [
    ("node1.example.com", "has no scheme: write http://node1.example.com"),
    ("ftp://node1", "scheme 'ftp'"),
    ("http://", "has no host"),
    ("http://:80", "has no host"),
    ("http://node1:99999", "invalid port"),
    ("http://node1:0", "invalid port"),
    ("http://node1:abc", "invalid port"),
    ("http://node1/?x=1", "query"),
    ("http://node1/#frag", "fragment"),
    ("http://node 1", "whitespace"),
    ("http://node1/v1/group/", "base URL"),
    ("", "is required"),
    (None, "is required"),
    (["http://x"], "is required"),
])
def test_invalid_urls(url: object, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_api_url(url)
    assert problem in caught.value.msg
    assert caught.value.to_result()["option"] == "api_url"


@pytest.mark.parametrize("url", ["http://node1/?token=s3cr3t-value", "http://node1/#token=s3cr3t-value",
                                 "http://node1/p%3Ftoken=s3cr3t-value", "http://node1/p%3ftoken=s3cr3t-value",
                                 "http://node1/p%23token=s3cr3t-value"])
def test_a_query_or_fragment_is_refused_without_echoing_it(url: str) -> None:
    """A token in a query (or hidden in the path as %3F / %23) would otherwise be printed by its own refusal."""
    with pytest.raises(InvalidInput) as caught:
        validate_api_url(url)
    assert "query" in caught.value.msg and "node1" in caught.value.msg and "s3cr3t" not in caught.value.msg


def test_the_tls_warning_names_nodes_without_credentials_or_query() -> None:
    assert tls_warnings(False, ["http://u:p@node1/?token=s3cr3t"])[0].startswith(
        "validate_certs is false: the TLS certificate of node http://node1/ is not verified")


def test_credentials_in_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_api_url("https://admin:hunter2@node1.example.com")
    assert "hunter2" not in caught.value.msg and "admin" not in caught.value.msg
    assert "api_token" in caught.value.msg and "node1.example.com" in caught.value.msg


@pytest.mark.parametrize("overrides, option", [
    ({"timeout": 0}, "timeout"), ({"timeout": -1.0}, "timeout"), ({"timeout": 3601}, "timeout"),
    ({"timeout": float("nan")}, "timeout"), ({"timeout": "10"}, "timeout"),
    ({"retries": -1}, "retries"), ({"retries": 101}, "retries"), ({"retries": True}, "retries"), ({"retries": 1.5}, "retries"),
    ({"backoff_base": -0.1}, "backoff_base"), ({"backoff_max": 0.1}, "backoff_max"),
    ({"backoff_max": float("inf")}, "backoff_max"), ({"validate_certs": "yes"}, "validate_certs"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path"),
])
def test_invalid_numbers_and_paths(overrides: dict[str, Any], option: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_connection_options(options(**overrides))
    assert caught.value.to_result()["option"] == option
    assert option in caught.value.msg


@pytest.mark.parametrize("token", ["with space", "line\nbreak", "tab\tx", "caf\u00e9"])
def test_bad_tokens_are_refused_without_being_shown(token: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_connection_options(options(api_token=token))
    assert token not in caught.value.msg and "not shown" in caught.value.msg


def test_valid_options_are_normalized(tmp_path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("pem")
    validated = validate_connection_options(options(api_url="https://n:1/", api_token="", ca_path=str(ca_file), timeout=1, retries=0,
                                                    backoff_base=0, backoff_max=0))
    assert validated == {"api_url": "https://n:1", "api_token": None, "validate_certs": True, "ca_path": str(ca_file),
                         "timeout": 1.0, "retries": 0, "backoff_base": 0.0, "backoff_max": 0.0}


def test_build_client_uses_the_options() -> None:
    sleeps: list[float] = []
    client = build_client(options(api_url="http://127.0.0.1:9/p", retries=5, timeout=0.3), sleep=sleeps.append)
    assert (client.base_url, client.retries, client.timeout, client.max_attempts) == ("http://127.0.0.1:9/p", 5, 0.3, 6)
    client.pause(0)
    assert len(sleeps) == 1
