"""Whole-process time and peak memory of `safetyreport merge` (not a test; run by hand).

    python benchmarks/merge.py                       # district week and city
    python benchmarks/merge.py --sizes province      # 1,100 submitters × 12 weeks (slow to generate)

Each size gets a fresh campaign folder with a generated roster and a corpus of consistent
filings (one workbook with 附件3–6 per submitter and week, written by openpyxl), then ONE
process runs `safetyreport merge <week folders…> --period <last week>`: intake of every file
into a new ledger, the merge, the consolidated workbook and the district filing.
Targets: district week ≤ 2 s; province peak memory ≤ 1 GiB. Needs the test extras.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "src"))

SIZES = {"district": (18, 1), "city": (200, 12), "province": (1100, 12)}


def make_corpus(folder: Path, submitters: int, weeks: int) -> list[str]:
    import make_samples as ms

    from safetyreport.config import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    head = text[: text.index("[[submitters]]")].replace("end = 2021-11-30", "end = 2021-12-31")
    names = [f"第{i + 1:04d}{'街道' if i % 2 == 0 else '局'}" for i in range(submitters)]
    roster = "".join(f'\n[[submitters]]\nname = "{n}"\nkind = "{"street" if n.endswith("街道") else "unit"}"\n'
                     f'aliases = []\nemail = ""\n' for n in names)
    (folder / "safetyreport.toml").write_text(head + roster, encoding="utf-8")
    periods = [(dt.date(2021, 9, 16) + dt.timedelta(days=7 * w)).isoformat() for w in range(weeks)]
    units = [ms.Unit(n, "street" if n.endswith("街道") else "unit", random.Random(n)) for n in names]
    for w, period in enumerate(periods):
        out = folder / "inbox" / period
        out.mkdir(parents=True)
        for u in units:
            fig, fac = ms.week_figures(u, w), ms.facilities(u, w)
            style = ms.Style(header_name=u.name, date=f"{period[:4]}年{int(period[5:7])}月{int(period[8:])}日")
            person = ("张明", "李华", "13905951234")
            layouts = [ms.a3_layout(fig, style, person, u.rng), ms.a4_layout(u, style, person, u.rng),
                       ms.a5_layout(u, style, person, u.rng), ms.a6_layout(fac, style, person, u.rng)]
            ms.write_openpyxl(layouts, out / f"{u.name}_{period}.xlsx")
    return periods


def run_measured(cmd: list[str], cwd: Path) -> tuple[float, int, int]:
    """(seconds, peak RSS in MiB, exit code) of one whole process."""
    probe = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
             "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True); "
             "print(json.dumps([time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
             "p.returncode, p.stderr[-800:]]))")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=cwd, capture_output=True, text=True, check=True)
    secs, kib, code, err = json.loads(out.stdout)
    if code not in (0, 1) or err.strip():
        print(f"  stderr: {err.strip()}")
    return secs, kib // 1024, code


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="district,city")
    ap.add_argument("--keep", action="store_true", help="keep the generated corpora")
    args = ap.parse_args()
    exe = shutil.which("safetyreport") or sys.executable
    base = [exe] if exe != sys.executable else [sys.executable, "-m", "safetyreport"]
    print(f"{'size':10} {'files':>7} {'generate s':>11} {'merge s':>8} {'per file ms':>12} {'peak MiB':>9} {'exit':>5}")
    for size in args.sizes.split(","):
        submitters, weeks = SIZES[size]
        folder = Path(tempfile.mkdtemp(prefix=f"sr-bench-{size}-"))
        t = time.perf_counter()
        periods = make_corpus(folder, submitters, weeks)
        gen = time.perf_counter() - t
        cmd = base + ["merge", *[str(folder / "inbox" / p) for p in periods], "--period", periods[-1],
                      "--config", str(folder / "safetyreport.toml"), "--json"]
        secs, mib, code = run_measured(cmd, folder)
        files = submitters * weeks
        print(f"{size:10} {files:7d} {gen:11.1f} {secs:8.2f} {1000 * secs / files:12.1f} {mib:9d} {code:5d}")
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"  kept: {folder}")


if __name__ == "__main__":
    main()
