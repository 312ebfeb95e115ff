"""Never lose the ledger, never send twice, never let an input hang or a crash half-write:
through the real CLI in separate processes, racing and killed as a busy office would."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, a3_layout, write
from safetyreport.workflow import init_job

SAMPLES = ROOT / "samples"
PER_WEEK = len(list((SAMPLES / "2021-09-16").glob("*.xls*")))  # 17 workbooks + 区文旅局's four files


def run(*args: str, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "safetyreport", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "safetyreport", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def campaign(folder: Path, **settings) -> Path:
    init_job(folder)
    cfg = folder / "safetyreport.toml"
    text = cfg.read_text(encoding="utf-8")
    for key, value in settings.items():
        text = text.replace(f"{key} = ", f"{key} = {value}\n# was: ", 1)
    cfg.write_text(text, encoding="utf-8")
    return cfg


def filings(folder: Path) -> int:
    con = sqlite3.connect(folder / "safetyreport.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return con.execute("SELECT count(*) FROM filings").fetchone()[0]
    finally:
        con.close()


# --- the ledger is never silently recreated ---------------------------------------------------------


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_lost_ledger_is_never_replaced_by_an_empty_one(tmp_path, how):
    cfg = campaign(tmp_path / "c")
    assert run("intake", str(SAMPLES / "2021-09-16"), "--config", str(cfg)).returncode == 0
    assert run("merge", "--period", "2021-09-16", "--config", str(cfg)).returncode == 0
    workbook = next((tmp_path / "c" / "输出").glob("*汇总*.xlsx"))
    good = workbook.read_bytes()
    db = tmp_path / "c" / "safetyreport.db"
    for extra in ("-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)
    db.unlink() if how == "deleted" else db.write_bytes(b"")
    for args in (["merge", "--period", "2021-09-16"], ["status", "--email"], ["report", "weekly"],
                 ["intake", str(SAMPLES / "2021-09-23")]):
        proc = run(*args, "--config", str(cfg))
        assert proc.returncode == 2, args
        assert "不见了或是空的" in proc.stderr and "safetyreport restore" in proc.stderr and "rebuild" in proc.stderr
    assert workbook.read_bytes() == good  # the good workbook was not overwritten with 18 × 未报送
    assert not db.exists() or db.stat().st_size == 0
    # recovery from the archive alone gives the same district figures
    proc = run("rebuild", "--config", str(cfg), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["filings"] == PER_WEEK
    merged = json.loads(run("merge", "--period", "2021-09-16", "--config", str(cfg), "--json").stdout)
    truth = json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))["a3"]["2021-09-16"]
    assert merged["totals"]["cumulative"]["found_total"] == sum(t["cumulative"]["found_total"] for t in truth.values())
    assert {s["received_at"] for s in merged["submitters"]} != {None}


def test_backups_are_kept_and_one_is_restored(tmp_path):
    cfg = campaign(tmp_path / "c", keep_backups=2)
    for week in ("2021-09-16", "2021-09-23", "2021-09-30"):
        assert run("intake", str(SAMPLES / week), "--config", str(cfg)).returncode == 0
    backups = sorted((tmp_path / "c" / "备份").glob("safetyreport-*.db"))
    assert len(backups) == 2  # before the 2nd and 3rd intake (the first had nothing to keep)
    listing = json.loads(run("restore", "--config", str(cfg), "--json").stdout)["backups"]
    assert [b["filings"] for b in listing] == [2 * PER_WEEK, PER_WEEK]  # newest first
    proc = run("restore", "2", "--config", str(cfg), "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["saved_current"]
    assert filings(tmp_path / "c") == PER_WEEK
    assert run("restore", "99", "--config", str(cfg)).returncode == 2


def test_a_large_ledger_is_backed_up_by_a_process_of_its_own_holding_the_state_before(tmp_path, monkeypatch):
    """A ledger past BACKUP_BESIDE_BYTES is copied by `backup_child` while the intake works: the
    backup holds the filings from before the intake, never the intake's own, and is pruned to
    keep_backups as before. A child that cannot even start leaves the backup to this process."""
    from conftest import cli
    from safetyreport.ledger import store

    cfg = campaign(tmp_path / "c", keep_backups=2)
    assert cli("intake", str(SAMPLES / "2021-09-16"), "--config", str(cfg))[0] == 0
    monkeypatch.setattr(store, "BACKUP_BESIDE_BYTES", 0)
    child, mark = store.BACKUP_CHILD[-1], tmp_path / "the child ran"
    said = (f"import pathlib, runpy, sys; pathlib.Path({str(mark)!r}).touch(); sys.argv = [{child!r}, *sys.argv[1:]]; "
            f"runpy.run_path({child!r}, run_name='__main__')")
    monkeypatch.setattr(store, "BACKUP_CHILD", [sys.executable, "-I", "-S", "-c", said])
    assert cli("intake", str(SAMPLES / "2021-09-23"), "--config", str(cfg))[0] == 0
    assert mark.exists()
    monkeypatch.setattr(store, "BACKUP_CHILD", [str(tmp_path / "no-such-python")])
    assert cli("intake", str(SAMPLES / "2021-09-30"), "--config", str(cfg))[0] == 0
    backups = sorted((tmp_path / "c" / "备份").glob("safetyreport-*.db"))
    assert len(backups) == 2 and filings(tmp_path / "c") == 3 * PER_WEEK
    held = [sqlite3.connect(b).execute("SELECT count(*) FROM filings").fetchone()[0] for b in backups]
    assert held == [PER_WEEK, 2 * PER_WEEK]  # before the second intake (the child's), before the third (here)
    assert not list((tmp_path / "c" / "备份").glob(".*.tmp"))


def test_a_backup_that_fails_beside_the_work_undoes_the_work(tmp_path, monkeypatch):
    """The disk fills while `backup_child` copies: the intake it was to protect does not land
    (exit 2, the clerk's message with the folder), the ledger is as it was, no .tmp is left."""
    from conftest import cli
    from safetyreport.ledger import store

    cfg = campaign(tmp_path / "c")
    assert cli("intake", str(SAMPLES / "2021-09-16"), "--config", str(cfg))[0] == 0
    stub = "import sys; print('ready', flush=True); sys.stdin.read(); print('error 28 No space left on device')"
    monkeypatch.setattr(store, "BACKUP_BESIDE_BYTES", 0)
    monkeypatch.setattr(store, "BACKUP_CHILD", [sys.executable, "-c", stub])
    code, out = cli("intake", str(SAMPLES / "2021-09-23"), "--config", str(cfg))
    assert code == 2 and "磁盘空间不足" in out and "本次操作没有执行" in out and "备份" in out, out
    assert filings(tmp_path / "c") == PER_WEEK
    stub = "print('error 0 database disk image is malformed')"  # before it held anything
    monkeypatch.setattr(store, "BACKUP_CHILD", [sys.executable, "-c", stub])
    code, out = cli("intake", str(SAMPLES / "2021-09-23"), "--config", str(cfg))
    assert code == 2 and "database disk image is malformed" in out and filings(tmp_path / "c") == PER_WEEK


# --- concurrency ---------------------------------------------------------------------------------------


def test_a_second_command_waits_for_the_first_and_says_so(tmp_path):
    cfg = campaign(tmp_path / "c", lock_wait_seconds=30)
    assert run("intake", str(SAMPLES / "2021-09-16"), "--config", str(cfg)).returncode == 0
    holder = sqlite3.connect(tmp_path / "c" / "safetyreport.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another safetyreport is writing
    threading.Timer(2.0, lambda: holder.execute("COMMIT")).start()
    began = time.monotonic()
    proc = run("intake", str(SAMPLES / "2021-09-23"), "--config", str(cfg))
    assert proc.returncode == 0 and time.monotonic() - began >= 1.9
    assert "另一个 safetyreport 正在运行，等待它结束…" in proc.stderr
    holder.close()


def test_a_wait_that_runs_out_names_the_cause_not_a_backup(tmp_path):
    cfg = campaign(tmp_path / "c", lock_wait_seconds=1)
    assert run("intake", str(SAMPLES / "2021-09-16"), "--config", str(cfg)).returncode == 0
    holder = sqlite3.connect(tmp_path / "c" / "safetyreport.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        proc = run("intake", str(SAMPLES / "2021-09-23"), "--config", str(cfg))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 2
    assert "等待 1 秒后，另一个 safetyreport 仍在使用报送台账" in proc.stderr
    assert "备份" not in proc.stderr and "损坏" not in proc.stderr
    assert filings(tmp_path / "c") == PER_WEEK


def test_four_first_runs_at_once_create_one_ledger(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    from safetyreport.shipped import builtin_config

    (folder / "safetyreport.toml").write_text(builtin_config().read_text(encoding="utf-8"), encoding="utf-8")
    weeks = ["2021-09-16", "2021-09-23", "2021-09-30", "2021-09-16"]
    procs = [start("intake", str(SAMPLES / w), "--new-ledger", "--config", str(folder / "safetyreport.toml"))
             for w in weeks]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert all(code == 0 for code, _ in results), results
    assert filings(folder) == 3 * PER_WEEK  # three weeks, the repeated week counted once


def test_overlapping_email_runs_never_send_twice(tmp_path, smtp):
    sink, port = smtp
    cfg = campaign(tmp_path / "c")
    text = cfg.read_text(encoding="utf-8").replace("port = 25", f"port = {port}").replace(
        'host = "localhost"', 'host = "127.0.0.1"')
    cfg.write_text(text, encoding="utf-8")
    assert run("intake", str(SAMPLES / "2021-09-16"), "--period", "2021-09-23", "--config", str(cfg),
               "--received-at", "2021-09-23 09:00").returncode == 0
    args = ("status", "--period", "2021-09-23", "--email", "--notify-submitters", "--config", str(cfg))
    procs = [start(*args) for _ in range(3)]
    codes = [p.wait(timeout=300) for p in procs]
    assert all(c in (0, 1) for c in codes), [p.stderr.read() for p in procs]
    to = sorted(m["To"] for m in sink.messages)
    assert len(to) == len(set(to))  # nobody got the same message twice
    assert "zhxtz@example.invalid" in to
    for m in sink.messages:  # and every message is dated and identified
        assert m["Date"] and m["Message-ID"] and m["Message-ID"].endswith("@example.invalid>")


# --- kill -9 at any moment: all or nothing ---------------------------------------------------------------


@pytest.mark.parametrize("command", ["intake", "merge", "report"])
def test_kill_9_leaves_the_ledger_whole_and_outputs_old_or_new(tmp_path, command):
    cfg = campaign(tmp_path / "c")
    assert run("intake", str(SAMPLES / "2021-09-16"), "--config", str(cfg)).returncode == 0
    assert run("report", "weekly", "--config", str(cfg)).returncode == 0
    out = tmp_path / "c" / "输出"
    before = filings(tmp_path / "c")
    args = {"intake": ["intake", str(SAMPLES / "2021-09-23"), "--config", str(cfg)],
            "merge": ["merge", str(SAMPLES / "2021-09-30"), "--config", str(cfg)],
            "report": ["report", "weekly", "--config", str(cfg)]}[command]
    for delay in (0.3, 0.7, 1.2, 2.0):
        child = start(*args)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        count = filings(tmp_path / "c")
        assert count in (before, before + PER_WEEK), (command, delay, count)
        before = count
        import docx
        import openpyxl

        for path in out.iterdir():
            if path.name.startswith("."):
                continue  # a temporary file the kill left: never under a real name
            if path.suffix == ".docx":
                docx.Document(str(path))
            elif path.suffix == ".xlsx":
                openpyxl.load_workbook(path)
            elif path.suffix == ".html":
                assert path.read_text(encoding="utf-8").rstrip().endswith("</html>")


# --- the archive is verified -----------------------------------------------------------------------------


def test_an_altered_or_missing_original_is_found_and_taking_it_again_restores_it(tmp_path):
    cfg = campaign(tmp_path / "c")
    original = SAMPLES / "2021-09-16" / "开元街道_2021-09-16.xlsx"
    assert run("intake", str(SAMPLES / "2021-09-16"), "--config", str(cfg)).returncode == 0
    assert run("check", "--config", str(cfg)).returncode == 0
    archived = next(p for p in (tmp_path / "c" / "archive").rglob("*.xlsx")
                    if p.read_bytes() == original.read_bytes())
    archived.write_bytes(archived.read_bytes() + b"\0")
    other = next(p for p in (tmp_path / "c" / "archive").rglob("*.xls") if p != archived)
    other.unlink()
    proc = run("check", "--config", str(cfg), "--json")
    assert proc.returncode == 1
    codes = sorted(p["code"] for p in json.loads(proc.stdout)["problems"])
    assert codes == ["archive-altered", "archive-missing"]
    merged = json.loads(run("merge", "--period", "2021-09-16", "--config", str(cfg), "--json").stdout)
    assert sorted(f["code"] for f in merged["findings"] if f["code"].startswith("archive-")) == codes
    proc = run("intake", str(original), "--config", str(cfg))
    assert "存档原件已补回" in proc.stdout
    assert archived.read_bytes() == original.read_bytes()
    assert sorted(p["code"] for p in json.loads(run("check", "--config", str(cfg), "--json").stdout)["problems"]) \
        == ["archive-missing"]


# --- inputs that are not what they seem ---------------------------------------------------------------


def test_hidden_files_are_listed_as_skipped(tmp_path):
    folder = tmp_path / "收件箱"
    write([a3_layout()], folder / "开元街道")
    write([a3_layout(submitter="鲤中街道")], folder / "..鲤中街道.xlsx")
    write([a3_layout(submitter="海滨街道")], folder / ".隐藏" / "海滨街道")
    proc = run("validate", str(folder), "--json")
    data = json.loads(proc.stdout)
    assert [Path(f["path"]).name for f in data["files"]] == ["开元街道.xlsx"]
    skipped = {Path(s["path"]).name: s["reason"] for s in data["skipped"]}
    assert set(skipped) == {"..鲤中街道.xlsx", "海滨街道.xlsx"} and all("隐藏" in r for r in skipped.values())
    proc = run("validate", str(folder / "..鲤中街道.xlsx"), "--json")  # named on purpose: read
    assert proc.returncode == 0 and json.loads(proc.stdout)["files"][0]["submitter"] == "鲤中街道"


def test_a_fifo_or_a_device_is_refused_at_once(tmp_path):
    fifo = tmp_path / "开元街道.xlsx"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        for command in ("validate", "intake"):
            extra = ["--new-ledger"] if command == "intake" else []
            began = time.monotonic()
            proc = run(command, str(path), *extra, cwd=tmp_path, timeout=30)
            assert proc.returncode == 2 and time.monotonic() - began < 20, (command, path)
            assert "Traceback" not in proc.stderr
    proc = run("validate", str(fifo), "--json", cwd=tmp_path, timeout=30)
    assert "不是普通文件（是管道或设备等特殊文件）" in proc.stdout
    folder = tmp_path / "夹"
    folder.mkdir()
    os.mkfifo(folder / "管道.xlsx")
    write([a3_layout()], folder / "开元街道")
    data = json.loads(run("validate", str(folder), "--json", timeout=30).stdout)
    assert [Path(s["path"]).name for s in data["skipped"]] == ["管道.xlsx"]


def test_a_tiny_xls_with_a_cell_at_the_last_row_is_read_in_bounded_memory(tmp_path):
    """65,536 × 256 declared by one far cell: calamine would allocate the whole sheet (1.1 GB);
    the reader takes the cells that are there. Bound: 200 MB peak for the whole process."""
    lay = a3_layout()
    lay.cells[(65535, 255)] = 1
    path = write([lay], tmp_path / "开元街道", "xlwt")
    assert path.stat().st_size < 20_000
    # the child's own peak: Linux carries a parent's high-water mark across exec, so reset it first
    code = ("import re, sys, json; open('/proc/self/clear_refs', 'w').write('5');"
            "from pathlib import Path; from safetyreport.config import load_config;"
            "from safetyreport.reading.reader import read_file; from safetyreport.schema import load_schemas;"
            f"r = read_file(Path({str(path)!r}), load_schemas(), load_config(None).roster);"
            "peak = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) / 1024;"
            "print(json.dumps({'forms': [f.schema_id for f in r.forms], 'codes': [f.code for f in r.findings],"
            "'peak_mb': peak}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    result = json.loads(proc.stdout)
    assert result["forms"] == ["a3"] and result["codes"] == ["sheet-beyond-limit"]  # the far cell is named
    assert result["peak_mb"] < 200, result


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_output_blocked_by_a_folder_names_the_file_and_why_in_chinese(tmp_path, jobs):
    """A folder where the district filing should go: the clerk reads which file and why (not our
    hidden temporary name, not "Is a directory"), exit 2 — whether the filing is written beside
    the workbook in a child process (--jobs 2) or in turn (--jobs 1)."""
    from conftest import run_process

    camp = tmp_path / "c"
    init_job(camp)
    out = tmp_path / "输出"
    (out / "鲤城区_2021-09-16.xlsx").mkdir(parents=True)
    proc = run_process("merge", str(ROOT / "samples" / "2021-09-16"), "--period", "2021-09-16", "--jobs", jobs,
                       "--out", str(out), "--config", str(camp / "safetyreport.toml"))
    assert proc.returncode == 2
    assert f"无法读写文件 {out / '鲤城区_2021-09-16.xlsx'}：同一位置已有一个同名的文件夹" in proc.stderr
    assert ".tmp" not in proc.stderr and "Traceback" not in proc.stderr
    assert not list(out.glob(".*.tmp"))  # no temporary file left behind


def test_os_errors_read_in_chinese_and_name_what_the_user_knows(tmp_path):
    import errno

    from safetyreport.atomic import os_error_text, os_reason

    assert os_reason(OSError(errno.ENOSPC, "No space left on device")) == "磁盘空间不足"
    assert "Excel" in os_reason(PermissionError(errno.EACCES, "Permission denied"))
    assert os_reason(OSError(errno.EXDEV, "Invalid cross-device link")) == "Invalid cross-device link"
    e = IsADirectoryError(errno.EISDIR, "Is a directory", str(tmp_path / ".汇总.xlsx.k2j4m9x_.tmp"), None,
                          str(tmp_path / "汇总.xlsx"))
    assert os_error_text(e) == f"{tmp_path / '汇总.xlsx'}：同一位置已有一个同名的文件夹"
    e = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".汇总.xlsx.k2j4m9x_.tmp"))
    assert os_error_text(e).startswith(f"{tmp_path / '汇总.xlsx'}：没有权限")
    e = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".0a1b2c.xlsx.tmp"))  # the ledger's copy
    assert os_error_text(e).startswith(f"{tmp_path / '0a1b2c.xlsx'}：没有权限")


def test_an_archived_copy_holds_the_very_bytes_and_a_full_disk_names_the_file(tmp_path, monkeypatch):
    """The ledger's copies of originals (atomic.copy_bytes): the same bytes, an existing target
    emptied first; where the kernel cannot copy between the two (another filesystem) shutil does;
    a full disk is an OSError that names the file being written, so the clerk reads which one."""
    import errno
    import os

    from safetyreport import atomic
    from safetyreport.atomic import copy_bytes, os_error_text

    src = tmp_path / "开元街道.xlsx"
    src.write_bytes(os.urandom(300_000))
    target = tmp_path / ".ab.xlsx.tmp"
    target.write_bytes(b"x" * 900_000)  # a copy cut short earlier
    copy_bytes(src, target)
    assert target.read_bytes() == src.read_bytes()

    def cannot(errno_, *_args):
        def copy_file_range(*_a, **_k):
            raise OSError(errno_, os.strerror(errno_))
        return copy_file_range

    monkeypatch.setattr(atomic.os, "copy_file_range", cannot(errno.EXDEV), raising=False)
    other = tmp_path / "other.xlsx"
    copy_bytes(src, other)
    assert other.read_bytes() == src.read_bytes()

    monkeypatch.setattr(atomic.os, "copy_file_range", cannot(errno.ENOSPC), raising=False)
    try:
        copy_bytes(src, target)
    except OSError as e:
        assert os_error_text(e) == f"{tmp_path / 'ab.xlsx'}：磁盘空间不足"
    else:
        raise AssertionError("a full disk must fail the copy")
