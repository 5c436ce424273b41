"""Make `ansible_collections.clusterops.groups` and the `simulator` package importable from tools/."""
from __future__ import annotations

import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS_DIR = os.path.join(REPO_ROOT, ".collections")
COLLECTION_LINK = os.path.join(COLLECTIONS_DIR, "ansible_collections", "clusterops", "groups")


def ensure_import_paths() -> None:
    """Create the collection link if missing and put it and tests/ on sys.path."""
    if not os.path.lexists(COLLECTION_LINK):
        os.makedirs(os.path.dirname(COLLECTION_LINK), exist_ok=True)
        os.symlink(os.path.join("..", "..", ".."), COLLECTION_LINK)
    for path in (COLLECTIONS_DIR, os.path.join(REPO_ROOT, "tests")):
        if path not in sys.path:
            sys.path.insert(0, path)
