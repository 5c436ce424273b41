"""tools/benchmark.py --smoke (N = 3) runs end to end and prints its figures; durations are never asserted."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCHMARK = os.path.join(REPO_ROOT, "tools", "benchmark.py")
FIGURE_ROW = re.compile(r"^nodes=3\s+scenario=(?P<scenario>\w+)\s.*wall_s=[\d.]+\s.*cpu_s=[\d.]+\s+"
                        r"req_per_node=(?P<requests>[\d.]+)\s.*peak_rss_mib=\d+\s.*complete=(?P<complete>\w+)",
                        re.MULTILINE)


@pytest.mark.playbook
@pytest.mark.timeout(290)
def test_smoke_mode_prints_every_figure():
    result = subprocess.run([sys.executable, BENCHMARK, "--smoke"], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=280, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    rows = {match["scenario"]: match for match in FIGURE_ROW.finditer(result.stdout)}
    assert sorted(rows) == ["create", "delete", "floor", "uri"], output[-4000:]
    assert all(row["complete"] == "yes" for row in rows.values()), output[-4000:]
    # The happy path costs one GET and one write per node, for the floor, uri and our playbooks alike.
    assert {name: float(row["requests"]) for name, row in rows.items()} == dict.fromkeys(rows, 2.0)
    assert "| nodes | scenario |" in result.stdout and "ours_over_uri" in result.stdout
