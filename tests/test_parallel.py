"""Reading on every core gives exactly what reading on one gives; a worker that dies is a finding
for its file, not a lost batch; the ledger's per-file queries use an index."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import ROOT, cli, run_process
from safetyreport.checking.validation import read_checked as _read_checked

SAMPLES = ROOT / "samples"
WEEKS = [str(SAMPLES / w) for w in ("2021-09-16", "2021-09-23", "2021-09-30")]


def test_validate_json_is_identical_for_one_and_two_jobs():
    one = run_process("validate", *WEEKS, str(SAMPLES / "flawed"), "--json", "--jobs", "1")
    two = run_process("validate", *WEEKS, str(SAMPLES / "flawed"), "--json", "--jobs", "2")
    assert one.returncode == two.returncode and one.returncode in (1, 2)
    assert one.stdout == two.stdout
    files = json.loads(one.stdout)["files"]
    assert len(files) > 60 and sum(1 for f in files if f["findings"]) > 10


def _ledger_dump(db: Path) -> dict:
    """Every table's rows, in id order, without the time each run happened to take them."""
    con = sqlite3.connect(db)
    out = {}
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        cols = [c[1] for c in con.execute(f"PRAGMA table_info({table})") if c[1] not in ("taken_at", "at")]
        out[table] = con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY rowid").fetchall()
    con.close()
    return out


def test_merge_gives_the_same_json_and_ledger_for_one_and_two_jobs(tmp_path):
    camp = tmp_path / "c"
    assert cli("init", str(camp))[0] == 0
    cfg = str(camp / "safetyreport.toml")
    results = []
    for jobs in ("1", "2"):
        for stale in ("safetyreport.db", "archive", "输出", "备份"):
            target = camp / stale
            shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
        proc = run_process("merge", *WEEKS, "--period", "2021-09-30", "--new-ledger", "--json", "--jobs", jobs,
                   "--received-at", "2021-09-30 10:00", "--config", cfg)
        assert proc.returncode in (0, 1), proc.stderr
        out = json.loads(proc.stdout)
        # the two workbooks are written side by side (one in a forked child) unless --jobs 1
        books = sorted((camp / "输出").glob("*.xlsx"))
        assert len(books) == 2
        results.append((out, _ledger_dump(camp / "safetyreport.db"), [_cells(b) for b in books]))
    (json1, db1, books1), (json2, db2, books2) = results
    assert json1 == json2
    assert db1 == db2 and len(db1["filings"]) > 50
    assert books1 == books2
    consolidated = next(b for b in books1 if "附件3汇总" in b)
    assert sum(1 for row in consolidated["附件3汇总"] if any(v is not None for v in row)) > 20


def _cells(path: Path) -> dict:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


# --- outputs side by side ------------------------------------------------------------------------------------


def test_side_by_side_returns_each_result_in_order_whoever_runs_it(tmp_path):
    from safetyreport.reading.parallel import side_by_side

    parent = os.getpid()
    pids = side_by_side([os.getpid, os.getpid, os.getpid], jobs=2)
    assert pids[-1] == parent and parent not in pids[:-1]  # the others ran in children
    assert side_by_side([lambda: 1, lambda: 2], jobs=1) == [1, 2]
    # a child writes its file where the parent sees it
    target = tmp_path / "a.txt"
    assert side_by_side([lambda: target.write_text("子进程") and str(target), lambda: "here"], jobs=2) == \
        [str(target), "here"]
    assert target.read_text() == "子进程"


def test_side_by_side_a_failing_or_dying_child_runs_its_task_here():
    from safetyreport.reading.parallel import side_by_side

    def boom():
        if os.getpid() != parent:
            raise ValueError("in the child")
        raise ValueError("in the parent")

    def dies_in_child():
        if os.getpid() != parent:
            os._exit(9)
        return "ran here"

    parent = os.getpid()
    with pytest.raises(ValueError, match="in the parent"):  # the error surfaces as it would serially
        side_by_side([boom, lambda: None], jobs=2)
    assert side_by_side([dies_in_child, lambda: "last"], jobs=2) == ["ran here", "last"]


def test_side_by_side_waits_for_its_children_when_its_own_task_fails(tmp_path):
    from safetyreport.reading.parallel import side_by_side

    done = tmp_path / "child-finished"

    def slow_child():
        import time

        time.sleep(0.3)
        done.write_text("ok")

    def fails():
        raise OSError("disk full")

    with pytest.raises(OSError):
        side_by_side([slow_child, fails], jobs=2)
    assert done.read_text() == "ok"  # finished, not killed half-way when the parent gave up


# --- a worker that dies ------------------------------------------------------------------------------------


def crash_on_name(item, schemas, roster):
    """A reader that kills its process on one file, as a crash in a reader library would."""
    path, sha = item if isinstance(item, tuple) else (item, None)
    if "崩溃" in path.name:
        os._exit(3)
    return _read_checked((path, sha), schemas, roster)


def test_a_worker_that_dies_is_a_finding_for_its_file_and_the_rest_are_read(tmp_path):
    from safetyreport.config import load_config
    from safetyreport.reading.parallel import read_all
    from safetyreport.schema import load_schemas

    cfg = load_config(None)
    schemas = load_schemas(*cfg.schema_dirs())
    files = sorted(Path(WEEKS[0]).glob("*.xlsx"))[:9]
    bad = tmp_path / "开元街道_崩溃.xlsx"
    shutil.copy(files[0], bad)
    items = files[:4] + [bad] + files[4:]
    seen = []
    results = list(read_all(items, crash_on_name, schemas, cfg.roster, jobs=2, progress=seen.append))
    assert [r.path for r, _ in results] == [str(p) for p in items]  # in input order, none lost
    crashed = results[4][0]
    assert [f.code for f in crashed.findings] == ["reader-crashed"] and crashed.sha256  # kept, by its hash
    assert crashed.submitter is not None and crashed.submitter.name == "开元街道"  # named by its file name
    assert all(r.forms and not any(f.code == "reader-crashed" for f in r.findings)
               for r, _ in results[:4] + results[5:])
    assert sorted(map(str, seen)) == sorted(map(str, items))  # progress for every file


def test_validate_says_which_file_crashed_its_reader(tmp_path, monkeypatch):
    """Through the command: the crash is an unreadable file (exit 2) with a Chinese message."""
    from typer.testing import CliRunner

    import safetyreport.checking.validation as validation
    from safetyreport.cli.commands import app

    folder = tmp_path / "in"
    folder.mkdir()
    for p in sorted(Path(WEEKS[0]).glob("*.xlsx"))[:5]:
        shutil.copy(p, folder / p.name)
    shutil.copy(next(Path(WEEKS[0]).glob("*.xlsx")), folder / "崩溃.xlsx")
    monkeypatch.setattr(validation, "read_checked", crash_on_name)
    res = CliRunner().invoke(app, ["validate", str(folder), "--json", "--jobs", "2"])
    assert res.exit_code == 2, res.output
    files = {Path(f["path"]).name: f for f in json.loads(res.stdout)["files"]}
    crash = next(f for f in files["崩溃.xlsx"]["findings"] if f["code"] == "reader-crashed")
    assert "读取程序异常退出" in crash["message"]
    assert sum(1 for f in files.values() if f["forms"]) == 5


# --- the ledger's queries use an index -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["knows", "filing", "supersede-clear", "supersede-rows", "supersede-set",
                                  "counting", "findings-of"])
def test_per_file_queries_use_an_index(tmp_path, name):
    from safetyreport.config import load_config
    from safetyreport.ledger.store import QUERIES, Ledger

    camp = tmp_path / "c"
    assert cli("init", str(camp))[0] == 0
    cfg = load_config(camp / "safetyreport.toml")
    with Ledger.of(cfg, create=False, changes=False) as ledger:
        params = [1] * QUERIES[name].count("?")
        plan = [row[-1] for row in ledger.db.execute("EXPLAIN QUERY PLAN " + QUERIES[name], params)]
    # every table the query touches is reached by an index or the row id, never scanned whole
    assert plan and not [step for step in plan if step.startswith("SCAN ") and "INDEX" not in step], plan
    assert any("INDEX" in step or "INTEGER PRIMARY KEY" in step for step in plan), plan


def test_pool_workers_end_with_a_parent_killed_by_sigkill(tmp_path):
    """kill -9 of a run reading on two cores leaves no worker behind (PR_SET_PDEATHSIG)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    sample = ROOT / "samples" / "2021-09-16" / "开元街道_2021-09-16.xlsx"
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(1500):  # enough work to keep both workers busy for a while
        os.link(sample, folder / f"开元街道_{n:04d}.xlsx")
    proc = subprocess.Popen([sys.executable, "-m", "safetyreport", "validate", str(folder), "--jobs", "2", "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.monotonic() + 30
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True).stdout
        workers = {int(x) for x in out.split()}
        time.sleep(0.05)
    assert len(workers) >= 2, "the run finished before its workers could be seen"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    alive = set(workers)
    while alive and time.monotonic() < deadline:
        alive = {w for w in alive if os.path.exists(f"/proc/{w}") and "Z" not in _state(w)}
        time.sleep(0.1)
    assert not alive, alive


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
