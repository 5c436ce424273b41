# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record_dir_shared option of every module that writes a run record (rule in module_utils/_record_trust.py)."""
from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Documentation of O(record_dir_shared) and of the ownership rule it relaxes."""

    DOCUMENTATION = r"""
options:
  record_dir_shared:
    description:
      - Before any request, O(record_dir), the run's directories and files (and, where the module takes it, the lock
        and its guard) are refused when they are not owned by the user running the module, when group or others can
        write them, or when one is a symlink, like OpenSSH's StrictModes. The module creates directories 0700 and
        files 0600.
      - V(true) says that O(record_dir) really is shared between the users of one group. Entries owned by another
        user and group-writable entries are then accepted, and new ones are made 0770/0660.
      - That gives up the protection against the other members of that group, who can then edit a record that a
        finish restores from (the finish still takes each node's URL from the inventory and refuses a record of
        another group). World-writable entries and symlinks are refused even so.
    type: bool
    default: false
    version_added: 0.2.0
"""
