"""Make this checkout's `ansible_collections.clusterops.groups` importable in every process of a development venv.

`make setup` (tools/install_dev_packages.sh) installs this module with the simulator and a .pth line calling
`install()`. It adds a finder at the end of sys.meta_path, not an import path entry: ansible-core scans every
entry of the import path for collections, so one naming .collections would make the checkout an installed
collection for the venv's ansible-galaxy and ansible-playbook. Being last, it yields to a tree that puts its own
.collections on the import path (pytest's `pythonpath`, e.g. the mutated copy of tools/validation_mutants.py).
"""
from __future__ import annotations

import importlib.machinery
import os
import sys
import typing as t

# tools/node_simulator/checkout_collection.py; .collections/ansible_collections/clusterops/groups -> the checkout
CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAMESPACE = "ansible_collections"
NAMESPACE_DIR = os.path.join(CHECKOUT, ".collections", NAMESPACE)


class CheckoutCollectionFinder:
    """Finds the `ansible_collections` namespace in .collections; its subpackages are then found through it."""

    @classmethod
    def find_spec(cls, fullname: str, path: t.Any = None, target: t.Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != NAMESPACE or not os.path.isdir(NAMESPACE_DIR):
            return None
        spec = importlib.machinery.ModuleSpec(NAMESPACE, None, is_package=True)  # no loader: a namespace package
        spec.submodule_search_locations = [NAMESPACE_DIR]
        return spec


def install() -> None:
    """Append the finder once (the .pth line runs at every interpreter start)."""
    if CheckoutCollectionFinder not in sys.meta_path:
        sys.meta_path.append(CheckoutCollectionFinder)
