# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, it may change in any release without notice.
"""Run data is data: what our filters hand back to Ansible is never templated again.

Their results carry text that came from a node (error bodies, reason phrases, redirect targets) or from a record
or plan file. Before ansible-core 2.19 Ansible templates a fact's plain strings again each time a later task uses
them, so a node answering ``{{ lookup('pipe', ...) }}`` ran that command on the controller. Marking the values
unsafe (``wrap_var``) stops that there; from 2.19 on, data tagging never trusts a filter's result as a template,
and ``wrap_var`` is on its way out (deprecated for 2.23), so the values pass unchanged.
"""
from __future__ import annotations

import functools
import typing as t

try:  # ansible-core 2.19 and later: data tagging; only templates the playbook author wrote are trusted
    from ansible.template import trust_as_template as _data_tagging  # noqa: F401  pylint: disable=unused-import
except ImportError:
    from ansible.utils.unsafe_proxy import wrap_var as _mark_unsafe
else:
    def _mark_unsafe(value: t.Any) -> t.Any:
        return value

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def untrusted(value: t.Any) -> t.Any:
    """``value`` (and every string in it) as data Ansible never evaluates as a template, on every supported core."""
    return _mark_unsafe(value)


def untrusted_result(function: F) -> F:
    """``function`` whose result is ``untrusted``: for filters, whose results Ansible would otherwise trust."""
    @functools.wraps(function)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return untrusted(function(*args, **kwargs))
    return t.cast(F, wrapper)
