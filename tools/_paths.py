"""Where the checkout is, for scripts under tools/ (they import `simulator` and the collection as installed by
`make setup`: tools/install_dev_packages.sh)."""
from __future__ import annotations

import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
