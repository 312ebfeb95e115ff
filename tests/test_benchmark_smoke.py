"""The benchmark is not part of the test suite; this only checks it still runs, at the
smallest size (a district week), and prints its table."""

import subprocess
import sys

from conftest import ROOT


def test_benchmark_runs_at_the_smallest_size():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--sizes", "district"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["size", "files", "validate"]
    row = lines[1].split()
    assert row[0] == "district" and row[1] == "18"
    assert "stderr" not in proc.stdout and "exit" not in lines[1]
