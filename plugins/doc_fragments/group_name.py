# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The group name option shared by every module (rule in module_utils/_group_name.py)."""
from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Documentation of the shared O(name) option."""

    DOCUMENTATION = r"""
options:
  name:
    description:
      - The group id. 1-128 characters of C(A-Z a-z 0-9 . _ -), starting with a letter or digit.
      - Must be a string; a YAML number, boolean, list or null is refused rather than converted (quote it).
    type: raw
    required: true
    aliases: [group]
"""
