# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""The one group-name rule, shared by the modules, the role, the AWX survey and the bad-input catalogue."""
from __future__ import annotations

import re

from ansible_collections.clusterops.groups.plugins.module_utils._errors import InvalidInput

GROUP_NAME_RULE = "1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit"
GROUP_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
GROUP_NAME_MAX_LENGTH = 128

_ALLOWED_CHARACTER = re.compile(r"[A-Za-z0-9._-]")
_FIRST_CHARACTER = re.compile(r"[A-Za-z0-9]")
_COMPILED_PATTERN = re.compile(GROUP_NAME_PATTERN)


def _describe_problem(value: str) -> str:
    if not value:
        return "it is empty"
    if len(value) > GROUP_NAME_MAX_LENGTH:
        return "it has %d characters" % len(value)
    if not _FIRST_CHARACTER.fullmatch(value[0]):
        return "it starts with %r" % value[0]
    for character in value:
        if not _ALLOWED_CHARACTER.fullmatch(character):
            return "it contains %r" % character
    return "it does not match %s" % GROUP_NAME_PATTERN


def validate_group_name(value: object) -> str:
    """Return ``value`` unchanged if it is a valid group name; raise InvalidInput saying what is wrong.

    No coercion: a YAML int, float, bool, list, dict or null is refused, not turned into a string.
    """
    if not isinstance(value, str):
        raise InvalidInput(
            "group name must be a string of %s; got %s %s (quote it in YAML)"
            % (GROUP_NAME_RULE, type(value).__name__, _short_repr(value)),
            option="name",
        )
    # fullmatch, not match: with match, '$' would accept a trailing newline
    if _COMPILED_PATTERN.fullmatch(value):
        return value
    raise InvalidInput(
        "invalid group name %s: %s; a group name is %s" % (_short_repr(value), _describe_problem(value), GROUP_NAME_RULE),
        option="name",
    )


def is_valid_group_name(value: object) -> bool:
    """True when ``value`` follows the rule (for filters and checks that do not raise)."""
    return isinstance(value, str) and _COMPILED_PATTERN.fullmatch(value) is not None


def _short_repr(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
