from __future__ import annotations

import re

import pytest

from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput
from ansible_collections.clusterops.groups.plugins.module_utils._group_name import (
    GROUP_NAME_PATTERN, GROUP_NAME_RULE, is_valid_group_name, validate_group_name,
)

VALID = ["a", "A", "0", "analytics", "team-1.prod_x", "9lives", "a" * 128, "a.", "x-"]
INVALID_STRINGS = {
    "": "it is empty",
    "a" * 129: "it has 129 characters",
    "-lead": "it starts with '-'",
    ".hidden": "it starts with '.'",
    "_x": "it starts with '_'",
    "has space": "it contains ' '",
    "sl/ash": "it contains '/'",
    "q?": "it contains '?'",
    "h#": "it contains '#'",
    "pct%41": "it contains '%'",
    "é": "it starts with 'é'",
    "caf\u00e9": "it contains 'é'",
    "trailing\n": "it contains '\\n'",
    "tab\t": "it contains '\\t'",
}
NON_STRINGS = [42, 4.2, True, False, None, ["a"], {"a": 1}, b"bytes"]


@pytest.mark.parametrize("name", VALID)
def test_valid_names_are_returned_unchanged(name: str) -> None:
    assert validate_group_name(name) == name
    assert is_valid_group_name(name)
    assert re.fullmatch(GROUP_NAME_PATTERN, name)


@pytest.mark.parametrize("name, problem", INVALID_STRINGS.items())
def test_invalid_strings_say_what_is_wrong_and_state_the_rule(name: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_group_name(name)
    assert problem in caught.value.msg
    assert GROUP_NAME_RULE in caught.value.msg
    assert "\n" not in caught.value.msg
    assert caught.value.to_result()["option"] == "name"
    assert not is_valid_group_name(name)


@pytest.mark.parametrize("value", NON_STRINGS)
def test_yaml_non_strings_are_refused_not_coerced(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_group_name(value)
    assert "must be a string" in caught.value.msg
    assert type(value).__name__ in caught.value.msg
    assert GROUP_NAME_RULE in caught.value.msg


def test_rule_and_pattern_agree() -> None:
    assert GROUP_NAME_PATTERN == r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
    assert "1-128" in GROUP_NAME_RULE
