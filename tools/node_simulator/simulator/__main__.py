"""python -m simulator serve ...: run a simulated cluster until SIGTERM/SIGINT."""
from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
