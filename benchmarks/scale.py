"""How fast, against the floor and against what a user would otherwise write (not a test).

    python benchmarks/scale.py                          # district week and city
    python benchmarks/scale.py --sizes province --keep  # 1,100 submitters × 12 weeks (slow to generate)
    python benchmarks/scale.py --corpus DIR             # reuse a corpus kept earlier (one size)
    python benchmarks/scale.py --sizes district,city,province --corpus city=DIR --corpus province=DIR
                                                        # every size in one run, kept corpora reused
    python benchmarks/scale.py --rounds 3               # each size three times: medians of the quiet rounds

For each size a corpus of consistent filings is generated (one workbook with 附件3–6 per
submitter and week, written by openpyxl), then each of these runs as ONE whole process, timed
with its peak memory:

- validate: `safetyreport validate <week folders> --json` (every core unless --jobs)
- merge:    `safetyreport merge <week folders> --period <last>` — intake of every file into a
            new ledger, the merge, the consolidated workbook and the district filing
- Thursday: the last week's files merged into a ledger that already holds the weeks before
- floor:    python-calamine reading every cell of every sheet of every file, nothing else (one core),
            just before validate and just after merge (their mean)
- peer:     pandas.read_excel (openpyxl engine) of every file, summing 附件3's 累计数 row
- peer-cal: pandas.read_excel (calamine engine) of all four forms of every file, summing 附件3
- peer-m:   the merge-equivalent peer: pandas + calamine, every form located and totalled per
            period, the lists concatenated, the last period written out (xlsxwriter)

Needs the test extras, and pandas for the peers (skipped without it).
Targets (issues 16 and 25, this 2-core machine): province validate + merge ≤ 6× the floor, ≥ 3×
faster than the peer and than the merge-equivalent peer; a province Thursday ≤ 5 s, a city one
≤ 1 s; a district Thursday merge ≤ 0.35 s; time per file flat from city to province; province peak
memory ≤ 600 MiB. Under each size's row the script prints the
targets that size can show, each "met" or "MISSED" (start-up targets: benchmarks/startup.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "src"))

SIZES = {"district": (18, 1), "city": (200, 12), "province": (1100, 12)}

FLOOR = """
import sys
from pathlib import Path
from python_calamine import CalamineWorkbook
cells = 0
for folder in sys.argv[1:]:
    for path in sorted(Path(folder).glob("*.xlsx")):
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            cells += sum(len(r) for r in wb.get_sheet_by_name(name).to_python())
print(cells)
"""

# the stronger peer, as a careful analyst would write it: calamine under pandas, all four forms of
# each file read (as our validate reads them), 附件3's 累计数 row summed
PEER_CALAMINE = """
import sys
from pathlib import Path
import pandas as pd
total = None
for folder in sys.argv[1:]:
    for path in sorted(Path(folder).glob("*.xlsx")):
        sheets = pd.read_excel(path, sheet_name=None, header=None, engine="calamine")
        df = sheets["附件3"]
        row = df[df.iloc[:, 0] == "累计数"].iloc[0, 1:27].astype(float)
        total = row if total is None else total + row
print(list(total))
"""

# the merge-equivalent peer (issue 25): what a careful analyst would write to do our merge's work
# with pandas + calamine — every form of every file read, each located by its labels (they move
# from file to file), 附件3's and 附件6's figures totalled per period, the lists of 附件4 and 附件5
# concatenated with who sent them, and the last period's consolidation written out (xlsxwriter).
# It checks nothing and keeps no ledger: a lower bound on what a script doing merge's job costs.
PEER_MERGE = """
import sys
from pathlib import Path
import pandas as pd

def below(df, label):
    # the rows under the header row whose first cell is `label`, up to the footer (审核人…)
    first = df.iloc[:, 0].astype(str).str.strip()
    top = first[first == label].index[0]
    rest = df.iloc[top + 1:]
    foot = rest.iloc[:, 0].astype(str).str.startswith(("审核人", "注"))
    return rest[~foot.cumsum().astype(bool)]

def numbers(frame):
    return frame.apply(pd.to_numeric, errors="coerce").fillna(0)

out = Path(sys.argv[1])
totals, facilities, hazards, enforcement = {}, {}, [], []
for folder in sys.argv[2:]:
    period = Path(folder).name
    for path in sorted(Path(folder).glob("*.xlsx")):
        unit = path.stem.rsplit("_", 1)[0]
        sheets = pd.read_excel(path, sheet_name=None, header=None, engine="calamine")
        a3 = sheets["附件3"]
        rows = a3[a3.iloc[:, 0].isin(["累计数", "当周数"])].set_index(0)
        t = numbers(rows)
        totals[period] = t if period not in totals else totals[period] + t
        a6 = sheets["附件6"]
        a6 = a6[a6.iloc[:, 0].astype(str).str.strip().isin(["视频监控点", "视频探头数", "无人机巡查", "电子围栏"])]
        f = numbers(a6.set_index(0).iloc[:, :3])
        facilities[period] = f if period not in facilities else facilities[period].add(f, fill_value=0)
        a4 = below(sheets["附件4"], "序号").iloc[1:, :6]
        a4 = a4[a4.iloc[:, 1].notna()].assign(unit=unit, period=period)
        hazards.append(a4)
        a5 = below(sheets["附件5"], "停产停业整改名单").iloc[:, :7]
        a5 = a5.dropna(how="all").assign(unit=unit, period=period)
        enforcement.append(a5)
last = sorted(totals)[-1]
hz = pd.concat(hazards, ignore_index=True)
en = pd.concat(enforcement, ignore_index=True)
with pd.ExcelWriter(out, engine="xlsxwriter") as xw:
    totals[last].to_excel(xw, sheet_name="附件3")
    hz[hz["period"] == last].to_excel(xw, sheet_name="附件4", index=False)
    en[en["period"] == last].to_excel(xw, sheet_name="附件5", index=False)
    facilities[last].to_excel(xw, sheet_name="附件6")
print(len(hz), len(en), float(totals[last].to_numpy().sum()))
"""

PEER = """
import sys
from pathlib import Path
import pandas as pd
total = None
for folder in sys.argv[1:]:
    for path in sorted(Path(folder).glob("*.xlsx")):
        df = pd.read_excel(path, sheet_name="附件3", header=None, engine="openpyxl")
        row = df[df.iloc[:, 0] == "累计数"].iloc[0, 1:27].astype(float)
        total = row if total is None else total + row
print(list(total))
"""


def make_corpus(folder: Path, submitters: int, weeks: int) -> list[str]:
    import make_samples as ms
    from safetyreport.shipped import builtin_config

    text = builtin_config().read_text(encoding="utf-8")
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
    (folder / "periods.json").write_text(json.dumps(periods), encoding="utf-8")
    return periods


# Measured as installed: pip compiles bytecode when it installs a package, and Python caches it on
# the first run of an editable install. A host that sets PYTHONDONTWRITEBYTECODE (this workplace
# does) would otherwise make every run compile our 30-odd modules again (about 40 ms). Start-up
# itself is measured by benchmarks/startup.py.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


# per measurement, the share of the host's CPU that other processes used while it ran: a figure
# taken while something else was busy is said to be noisy, not taken at face value
OTHERS: list[float] = []


def _busy_seconds() -> float | None:
    """CPU seconds the whole host has spent busy since boot (Linux /proc/stat), None elsewhere."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def warm(dirs: list[str]) -> None:
    """Every file of these folders read once, untimed. This VM pages out memory left untouched
    for a while (DAMON reclaim, action `pageout`), the page cache included: a corpus read minutes
    earlier may be back on the virtual disk, and whichever command came first paid for reading it
    (a province validate 28.6 s in one round, 21.2 s in the next, the floor — measured last — always
    warm). A clerk's files have just arrived; every measurement, ours, the floor's and the peers',
    now starts with them in memory."""
    for folder in dirs:
        for path in sorted(Path(folder).iterdir()):
            if path.is_file():
                path.read_bytes()


def run_measured(cmd: list[str], cwd: Path) -> tuple[float, int, int]:
    """(seconds, peak RSS in MiB, exit code) of one whole process; the CPU other processes used
    meanwhile is recorded in OTHERS."""
    probe = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
             "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True); "
             "u = resource.getrusage(resource.RUSAGE_CHILDREN); me = resource.getrusage(resource.RUSAGE_SELF); "
             "print(json.dumps([time.perf_counter() - t, u.ru_maxrss, "
             "p.returncode, p.stderr[-800:], u.ru_utime + u.ru_stime + me.ru_utime + me.ru_stime]))")
    before = _busy_seconds()
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=cwd, capture_output=True, text=True, check=True,
                         env=ENV)
    after = _busy_seconds()
    secs, kib, code, err, ours = json.loads(out.stdout)
    if before is not None and after is not None and secs > 0.5:  # shorter ones are within the clock's grain
        OTHERS.append(max(0.0, (after - before) - ours) / (secs * (os.cpu_count() or 1)))
    if err.strip():
        print(f"  stderr: {err.strip()}")
    return secs, kib // 1024, code


@dataclass
class Round:
    """One round of a size's measurements, taken one after another (so its ratio is paired)."""

    validate: float
    merge: float
    thursday: float  # read cold
    thursday_validated: float  # the week validated on arrival first (untimed)
    floor: float
    peak: int
    merge_code: int
    others: float  # the largest share of the host's CPU other processes used during one of its measurements
    floors: list[float]  # the floor just before validate and just after merge (`floor` is their mean)

    @property
    def ours(self) -> float:
        return self.validate + self.merge

    @property
    def noisy(self) -> bool:
        return self.others > 0.10


def typical(rounds: list[Round]) -> tuple[Round, float, list[Round]]:
    """The median of each figure over the quiet rounds (all of them when none is quiet), the median
    of the rounds' own ours/floor, and the rounds that counted."""
    quiet = [r for r in rounds if not r.noisy] or rounds

    def med(field: str) -> float:
        return statistics.median(getattr(r, field) for r in quiet)

    mid = Round(med("validate"), med("merge"), med("thursday"), med("thursday_validated"), med("floor"),
                max(r.peak for r in quiet), max(r.merge_code for r in quiet), max(r.others for r in quiet),
                [f for r in quiet for f in r.floors])
    return mid, statistics.median(r.ours / r.floor for r in quiet), quiet


def verdicts(size: str, v_s: float, m_s: float, t_s: float, peak: int, ours_floor: float, p_s: float,
             pm_s: float, per_file: dict[str, float]) -> list[str]:
    """Issues 16's and 25's targets that this size can show, each met or MISSED (medians of the
    quiet rounds; ours/floor the median of each round's own; Thursday read cold)."""
    ours = v_s + m_s
    checks: list[tuple[str, float, str, float]] = []  # (what, measured, op, target)
    if size == "city":
        checks.append(("city Thursday s", t_s, "<=", 1.0))
    if size == "district":
        checks += [("district Thursday merge s", m_s, "<=", 0.35), ("peer s / merge s", p_s / m_s, ">=", 1.0)]
    if size == "province":
        checks += [("ours / floor", ours_floor, "<=", 6.0), ("peer / ours", p_s / ours, ">=", 3.0),
                   ("merge-equivalent peer / ours", pm_s / ours, ">=", 3.0),
                   ("Thursday s", t_s, "<=", 5.0), ("peak MiB", peak, "<=", 600)]
    if size == "province" and "city" in per_file:  # time per file flat: within a quarter of the city's
        checks.append(("merge ms/file ÷ city's", per_file["province"] / per_file["city"], "<=", 1.25))
    out = []
    for what, got, op, target in checks:
        ok = got <= target if op == "<=" else got >= target
        out.append(f"  target {what} {op} {target:g}: {got:.2f} {'met' if ok else 'MISSED'}")
    return out


def fresh(folder: Path, trash: Path) -> None:
    """No ledger, no outputs and no read cache: every measurement starts cold. What the last
    measurement wrote is moved aside, not deleted: ext4 will not reuse an inode freed in the last
    minutes, and allocating beside thousands of them costs ~0.8 ms a file (perf: recently_deleted in
    __ext4_new_inode) — a merge just after deleting the previous one's archive spent 4 s of system
    time on that alone. The trash goes after the last size, so start another run only minutes
    after one ended."""
    aside = trash / str(len(list(trash.iterdir())) if trash.exists() else 0)
    for stale in ("safetyreport.db", "safetyreport.db-wal", "safetyreport.db-shm", "archive", "输出", "备份",
                  ".safetyreport-reads.db", ".safetyreport-reads.db-journal"):
        if (folder / stale).exists():
            aside.mkdir(parents=True, exist_ok=True)
            (folder / stale).rename(aside / stale)


def measure_round(base: list[str], folder: Path, trash: Path, weeks_dirs: list[str], periods: list[str],
                  options: list[str]) -> Round:
    """The floor, validate, merge and the floor again, then the Thursday twice (cold; validated on
    arrival), one after another. This host's speed drifts by a quarter over minutes (the floor
    itself 4.15–6.09 s a province from one run to the next, round against round 4.4 and 5.0): the
    floor measured just before and just after ours, and their mean taken, pairs the ratio with the
    minute ours ran in rather than with whatever came a minute later."""
    OTHERS.clear()
    fresh(folder, trash)
    floors = [measure_floor(weeks_dirs, folder)]
    warm(weeks_dirs)
    v_s, v_mib, _ = run_measured(base + ["validate", *weeks_dirs, "--json", *options], folder)
    warm(weeks_dirs)
    m_s, m_mib, m_code = run_measured(base + ["merge", *weeks_dirs, "--period", periods[-1], "--new-ledger",
                                              "--json", *options], folder)
    floors.append(measure_floor(weeks_dirs, folder))
    # a Thursday: the last week's files into a ledger that holds the weeks before (set up untimed),
    # read cold; and as when the clerk validated each file on arrival (validate untimed, its reads kept)
    thursday = {False: float("nan"), True: float("nan")}
    if len(periods) > 1:
        for validated in (False, True):
            fresh(folder, trash)
            run_measured(base + ["merge", *weeks_dirs[:-1], "--period", periods[-2], "--new-ledger", "--json",
                                 *options], folder)
            if validated:
                run_measured(base + ["validate", weeks_dirs[-1], "--json", *options], folder)
            warm(weeks_dirs[-1:])
            thursday[validated] = run_measured(base + ["merge", weeks_dirs[-1], "--period", periods[-1], "--json",
                                                       *options], folder)[0]
    return Round(v_s, m_s, thursday[False], thursday[True], statistics.mean(floors), max(v_mib, m_mib), m_code,
                 max(OTHERS, default=0.0), floors)


def measure_floor(weeks_dirs: list[str], folder: Path) -> float:
    warm(weeks_dirs)
    return run_measured([sys.executable, "-c", FLOOR, *weeks_dirs], folder)[0]


def corpus_of(given: list[str], size: str) -> Path | None:
    """The kept corpus named for this size ("province=DIR"), or the one given bare."""
    for item in given:
        named, sep, folder = item.partition("=")
        if sep and named == size:
            return Path(folder)
        if not sep:
            return Path(item)
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="district,city")
    ap.add_argument("--keep", action="store_true", help="keep the generated corpora")
    ap.add_argument("--corpus", action="append", default=[],
                    help="reuse a corpus kept earlier: DIR (one size), or SIZE=DIR, as often as there are sizes")
    ap.add_argument("--jobs", type=int, default=0, help="--jobs for validate and merge (default: every core)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="measure ours and the floor this many times, one after another; noisy rounds are set aside "
                         "and the medians of the others reported (the peers run once)")
    args = ap.parse_args()
    exe = shutil.which("safetyreport")
    base = [exe] if exe else [sys.executable, "-m", "safetyreport"]
    try:
        import pandas  # noqa: F401

        has_pandas = True
    except ImportError:
        has_pandas = False
    print(f"{'size':9} {'files':>6} {'validate s':>10} {'merge s':>8} {'ms/file':>8} {'Thursday s':>10} "
          f"{'Thu valid. s':>12} {'peak MiB':>8} "
          f"{'floor s':>8} {'peer s':>7} {'peer-cal s':>10} {'peer-m s':>8} {'ours/floor':>10} {'peer/ours':>9} "
          f"{'peer-cal/ours':>13} {'peer-m/ours':>11}")
    per_file: dict[str, float] = {}
    leftovers: list[Path] = []  # deleted after every size is measured: see fresh()
    for size in args.sizes.split(","):
        submitters, weeks = SIZES[size]
        kept = corpus_of(args.corpus, size)
        if kept is not None:
            folder = kept
            periods = json.loads((folder / "periods.json").read_text(encoding="utf-8"))
        else:
            folder = Path(tempfile.mkdtemp(prefix=f"sr-bench-{size}-"))
            periods = make_corpus(folder, submitters, weeks)
        weeks_dirs = [str(folder / "inbox" / p) for p in periods]
        cfg = ["--config", str(folder / "safetyreport.toml")]
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []

        trash = folder / ".bench-trash"
        rounds = [measure_round(base, folder, trash, weeks_dirs, periods, jobs + cfg) for _ in range(args.rounds)]
        mid, ours_floor, quiet = typical(rounds)
        v_s, m_s, t_s, tv_s, f_s, peak, m_code = (mid.validate, mid.merge, mid.thursday, mid.thursday_validated,
                                                   mid.floor, mid.peak, mid.merge_code)
        warm(weeks_dirs)
        p_s = run_measured([sys.executable, "-c", PEER, *weeks_dirs], folder)[0] if has_pandas else float("nan")
        warm(weeks_dirs)
        pc_s = (run_measured([sys.executable, "-c", PEER_CALAMINE, *weeks_dirs], folder)[0]
                if has_pandas else float("nan"))
        trash.mkdir(exist_ok=True)
        warm(weeks_dirs)
        pm_s = (run_measured([sys.executable, "-c", PEER_MERGE, str(trash / "peer-merge.xlsx"), *weeks_dirs],
                             folder)[0] if has_pandas else float("nan"))
        files = len(periods) * submitters
        ours = v_s + m_s
        print(f"{size:9} {files:6d} {v_s:10.2f} {m_s:8.2f} {1000 * m_s / files:8.1f} {t_s:10.2f} {tv_s:12.2f} "
              f"{peak:8d} {f_s:8.2f} {p_s:7.2f} {pc_s:10.2f} {pm_s:8.2f} {ours_floor:10.1f} "
              f"{p_s / ours:9.2f} {pc_s / ours:13.2f} {pm_s / ours:11.2f}" + ("" if m_code in (0, 1) else f"  exit {m_code}"))
        per_file[size] = 1000 * m_s / files
        for k, r in enumerate(rounds, 1):
            print(f"  round {k}: validate {r.validate:.2f} merge {r.merge:.2f} Thursday {r.thursday:.2f} "
                  f"({r.thursday_validated:.2f} validated) floor {r.floor:.2f} (before {r.floors[0]:.2f}, "
                  f"after {r.floors[-1]:.2f}) ours/floor {r.ours / r.floor:.1f}; "
                  f"other processes used up to {100 * r.others:.0f}% of the host's CPU"
                  + ("  NOISY (over 10%): set aside" if r.noisy and not any(r is q for q in quiet) else
                     "  NOISY (over 10%), and no round was quiet: measure again on a quiet host" if r.noisy else ""))
        for line in verdicts(size, v_s, m_s, t_s, peak, ours_floor, p_s, pm_s, per_file):
            print(line)
        if args.keep or kept is not None:
            print(f"  corpus: {folder}")
            leftovers.append(trash)
        else:
            leftovers.append(folder)
    for stale in leftovers:
        shutil.rmtree(stale, ignore_errors=True)
    print("ours = validate + merge（整个语料各一次，validate 读过的 merge 不再读）；Thursday = 已有前几周的台账中登记并汇总最后一周"
          "（冷读）；Thu valid. = 同上，但这些报表收到时已 validate 过（validate 不计时）。")
    if not has_pandas:
        print("（pandas 未安装：未测对照组 peer。pip install pandas 后再运行。）")


if __name__ == "__main__":
    main()
