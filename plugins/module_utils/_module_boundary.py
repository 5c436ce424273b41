# -*- coding: utf-8 -*-
# Copyright: clusterops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error boundary every module of this collection runs in.

Argument spec -> the missing-library check -> the task -> our exceptions rendered once into fail_json.
A task returns its result dict; a result with ``failed`` true is reported as a failure with all its fields.
"""
from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.clusterops.groups.plugins.module_utils._errors import ClusterOpsError
from ansible_collections.clusterops.groups.plugins.module_utils._transport import HAS_REQUESTS, REQUESTS_IMPORT_ERROR

Task = t.Callable[[AnsibleModule], t.Dict[str, t.Any]]


def run_module(argument_spec: t.Dict[str, t.Any], task: Task, **module_options: t.Any) -> None:
    """Build the AnsibleModule (check mode supported), run `task(module)` and exit or fail exactly once."""
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **module_options)
    # a URL with user:password@ is refused, but Ansible would still echo it in invocation.module_args
    module.no_log_values.update(url_credentials(module.params))
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    try:
        result = task(module)
    except ClusterOpsError as error:
        module.fail_json(**error.to_result())
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


def url_credentials(params: t.Mapping[str, t.Any]) -> set[str]:
    """The ``user:password`` (and the password) of every api_url in ``params``, top level or in ``nodes``."""
    urls = [params.get("api_url")] + [node.get("api_url") for node in params.get("nodes") or [] if isinstance(node, t.Mapping)]
    found: set[str] = set()
    for url in urls:
        if isinstance(url, str) and "@" in url:
            try:
                userinfo = urlsplit(url).netloc.rpartition("@")[0]
            except ValueError:
                continue
            found.update(value for value in (userinfo, userinfo.partition(":")[2]) if value)
    return found
