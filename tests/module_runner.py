"""Run one of our modules in-process, as Ansible would, and get (failed, result) back.

`run_module("group", {...}, check_mode=True)` or `run_module(group.main, {...})`. The client's backoff sleep
is patched out, so retries cost no time. `patch_module_args` is the one way tests hand args to a module, on
every ansible-core release we test.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import json
from typing import Any, Callable, Iterator
from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings

from ansible_collections.clusterops.groups.plugins.module_utils import _transport

MODULE_PACKAGE = "ansible_collections.clusterops.groups.plugins.modules"
# From ansible-core 2.22 a module's JSON hands its no_log values to the controller under this key, which the
# controller consumes to mask them and never shows: the result as a user sees it has no such key.
CONTROLLER_PROTOCOL_KEYS = ("_ansible_new_secrets",)


try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19 has no testing helper and reads the args from basic._ANSIBLE_ARGS
    @contextlib.contextmanager
    def patch_module_args(args: dict[str, Any] | None = None) -> Iterator[None]:
        """Expose `args` to AnsibleModule instances created within this context (ansible-core 2.16-2.18)."""
        serialized = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode("utf-8")
        with mock.patch.object(basic, "_ANSIBLE_ARGS", serialized):
            yield


def _no_sleep(_seconds: float) -> None:
    """Backoff replaced in tests: retries happen at once."""


def _forget_earlier_warnings() -> None:
    """A real module runs in a fresh process; in-process runs share ansible's global warning store."""
    for store in ("_global_warnings", "_global_deprecations"):
        getattr(module_warnings, store, []).clear()


def warning_texts(result: dict[str, Any]) -> str:
    """Every warning of a result as one text, whatever shape the release gives them (strings, or 2.19's summaries)."""
    return json.dumps(result.get("warnings") or [])


def resolve_main(module: str | Callable[[], None]) -> Callable[[], None]:
    """A module's main(): from a callable, a short name ("group") or an FQCN ("clusterops.groups.group")."""
    if callable(module):
        return module
    short_name = module.rsplit(".", 1)[-1]
    return importlib.import_module("%s.%s" % (MODULE_PACKAGE, short_name)).main


def run_module(module: str | Callable[[], None], args: dict[str, Any], check_mode: bool = False,
               diff: bool = False) -> tuple[bool, dict[str, Any]]:
    """Run the module's main() with `args`; return (failed, result) from the JSON it printed."""
    module_args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    _forget_earlier_warnings()
    stdout = io.StringIO()
    with patch_module_args(module_args), mock.patch.object(_transport, "DEFAULT_SLEEP", _no_sleep), \
            contextlib.redirect_stdout(stdout):
        try:
            resolve_main(module)()
        except SystemExit:
            pass
    output = stdout.getvalue()
    try:
        result = json.loads(output)
    except ValueError as error:
        raise AssertionError("module printed no JSON result: %r" % output[-2000:]) from error
    for key in CONTROLLER_PROTOCOL_KEYS:
        result.pop(key, None)
    return bool(result.get("failed")), result
