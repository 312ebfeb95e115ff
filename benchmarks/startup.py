"""Whole-process start-up times a clerk feels (not a test; run by hand).

    python benchmarks/startup.py [--runs 15]

Targets on the reference machine (issue 16): `safetyreport --help` ≤ 0.08 s, `validate` of one
submission (one workbook, 附件3–6) ≤ 0.2 s. Prints the median and the best of N runs, after one
warm-up run each.

Measured as installed: pip compiles bytecode when it installs a package, and Python caches it on
the first run of an editable install. A host that sets PYTHONDONTWRITEBYTECODE (this workplace
does) would otherwise compile our modules again on every run (about 40 ms), so it is unset here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "2021-09-23" / "开元街道_2021-09-23.xlsx"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(cmd: list[str], runs: int) -> list[float]:
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    exe = shutil.which("safetyreport")
    base = [exe] if exe else [sys.executable, "-m", "safetyreport"]
    cases = [
        ("python -c pass (floor)", [sys.executable, "-c", "pass"], None),
        ("safetyreport --help", base + ["--help"], 0.08),
        ("safetyreport validate --help", base + ["validate", "--help"], None),
        ("safetyreport validate <one filing>", base + ["validate", str(SAMPLE)], 0.2),
        ("safetyreport validate <one filing> --json", base + ["validate", str(SAMPLE), "--json"], 0.2),
    ]
    print(f"{'command':45} {'median s':>9} {'best s':>8} {'target':>7}")
    for name, cmd, target in cases:
        times = measure(cmd, args.runs)
        med = statistics.median(times)
        mark = "" if target is None else (" ok" if med <= target else " MISSED")
        print(f"{name:45} {med:9.3f} {min(times):8.3f} {target or '':>7}{mark}")


if __name__ == "__main__":
    main()
