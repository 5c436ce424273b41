"""The layers hold (docs/design.md): each module_utils file imports only the layers below it."""
from __future__ import annotations

import ast
import os

import pytest

MODULE_UTILS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "module_utils")
OURS = "ansible_collections.clusterops.groups.plugins.module_utils."
# file -> the files of ours it may import; a new file must be placed here (and in docs/design.md) on purpose
ALLOWED = {
    "_errors": set(),
    "_secrets": {"_errors"},
    "_request_deadline": set(),
    "_transport": {"_errors", "_request_deadline", "_secrets"},
    "_group_name": {"_errors"},
    "_group_state": {"_errors", "_transport"},
    "_record_trust": {"_errors"},
    "_run_record": {"_errors", "_group_state", "_record_trust", "_secrets", "_transport"},
    "_connection_options": {"_errors", "_group_state", "_secrets", "_transport"},
    "_transaction": {"_node_identity"},
    "_summary": {"_saved_plan", "_transaction"},
    "_saved_plan": {"_errors", "_node_identity", "_transaction"},
    "_node_identity": {"_secrets"},
    "_run_scope": set(),
    "_run_lock": {"_errors", "_record_trust"},
    "_run_opening": {"_errors", "_run_record"},
    "_module_base": {"_connection_options", "_errors", "_secrets", "_transport"},
    "_node_connections": {"_connection_options", "_errors", "_node_identity", "_request_deadline", "_run_record", "_transport"},
    "_cluster_transaction": {"_connection_options", "_errors", "_group_name", "_group_state", "_node_connections",
                             "_run_lock", "_run_opening", "_run_record", "_saved_plan", "_summary", "_transaction",
                             "_transport"},
    "_cluster_status": {"_cluster_transaction", "_connection_options", "_errors", "_group_name", "_group_state", "_saved_plan",
                        "_summary", "_transaction", "_transport"},
}
INTERNAL_HEADER = "# Internal to this collection: not a public API"
# words of the group API that must stay out of the transport
GROUP_WORDS = ("groupId", "/v1/group", "api_token", "group_path")


def imports_of_ours(name: str) -> set[str]:
    with open(os.path.join(MODULE_UTILS, name + ".py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(OURS):
                found.add(node.module[len(OURS):])
            elif node.module == OURS.rstrip("."):
                found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below(name: str) -> None:
    assert imports_of_ours(name) <= ALLOWED[name], imports_of_ours(name) - ALLOWED[name]


def test_the_transport_knows_no_group_words() -> None:
    with open(os.path.join(MODULE_UTILS, "_transport.py"), encoding="utf-8") as handle:
        text = handle.read()
    assert [word for word in GROUP_WORDS if word in text] == []


def _module_utils_files() -> list[str]:
    return sorted(name[:-3] for name in os.listdir(MODULE_UTILS) if name.startswith("_") and name.endswith(".py")
                  and name != "__init__.py")


def test_every_module_utils_file_is_placed_in_a_layer() -> None:
    assert sorted(set(_module_utils_files()) - set(ALLOWED)) == []


@pytest.mark.parametrize("name", _module_utils_files())
def test_every_module_utils_file_says_it_is_internal(name: str) -> None:
    with open(os.path.join(MODULE_UTILS, name + ".py"), encoding="utf-8") as handle:
        head = handle.read().splitlines()[:6]
    assert any(line.startswith(INTERNAL_HEADER) for line in head), head


MODULES = os.path.join(MODULE_UTILS, "..", "modules")


def _module_file_imports(name: str) -> set[str]:
    with open(os.path.join(MODULES, name), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    return {node.module.split(".")[-1] for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("module_utils.")}


@pytest.mark.parametrize("name", sorted(name for name in os.listdir(MODULES) if name.endswith(".py") and name != "__init__.py"))
def test_each_module_file_stands_on_the_module_base_and_the_semantics_not_the_transport(name: str) -> None:
    """A module file reads top to bottom: argspec and error boundary from the base, then the semantics it runs."""
    imports = _module_file_imports(name)
    assert "_module_base" in imports
    assert "_transport" not in imports
    with open(os.path.join(MODULES, name), encoding="utf-8") as handle:
        assert "def execute_module(" in handle.read()
