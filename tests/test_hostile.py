"""Broken and hostile input: a clear finding, nothing lost, nothing let in — through the real
CLI, in separate processes, within bounded time and memory."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import make_hostile
from conftest import ROOT, SCHEMAS, a3_layout, cli_json, consistent_filing, write
from safetyreport.checking.rules import check_form
from safetyreport.config import load_config
from safetyreport.reading.reader import read_file
from safetyreport.workflow import init_job

ROSTER = load_config(None).roster


def _limited():  # 1.5 GiB of address space for the child: a bomb must not need more
    resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))


def run(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "safetyreport", *args], capture_output=True, timeout=120,
                          env=env, cwd=cwd, preexec_fn=_limited)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return folder, make_hostile.build(folder)


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


def test_every_hostile_file_gets_its_finding_and_no_traceback(corpus):
    folder, cases = corpus
    before = _hashes(folder)
    t = time.perf_counter()
    proc = run("validate", str(folder), "--json")
    assert time.perf_counter() - t < 60
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    skipped = {Path(s["path"]).name for s in report["skipped"]}
    for case in cases:
        if case.skipped:
            assert case.name in skipped, case.name
            continue
        found = by_name[case.name]["findings"]
        if case.code is None:
            assert found == [] and by_name[case.name]["forms"] == ["a3"], case.name
        else:
            assert [f["code"] for f in found] == [case.code], (case.name, found)
            assert case.message in found[0]["message"], (case.name, found[0]["message"])
            assert len(found[0]["message"]) < 400, case.name  # a 2 MB cell is quoted, not copied
    assert "/etc/passwd" not in proc.stdout.decode() and "root:" not in proc.stdout.decode()
    assert _hashes(folder) == before  # inputs are never written to


def test_merge_takes_in_the_good_and_records_the_broken(corpus, tmp_path):
    folder, cases = corpus
    camp = tmp_path / "c"
    init_job(camp)
    inbox = tmp_path / "2021-09-23"
    inbox.mkdir()
    for case in cases:
        (inbox / case.name).write_bytes((folder / case.name).read_bytes())
    _, _, _, layouts = consistent_filing("鲤中街道", 2)
    write(layouts, inbox / "鲤中街道")
    proc = run("merge", str(inbox), "--period", "2021-09-23", "--config", str(camp / "safetyreport.toml"), "--json")
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr
    data = json.loads(proc.stdout)
    assert next(s for s in data["submitters"] if s["name"] == "鲤中街道")["status"] == "filed"
    taken = {Path(t["path"]).name for t in data["taken"]}
    assert taken == {c.name for c in cases if not c.skipped} | {"鲤中街道.xlsx"}  # nothing silently dropped
    codes = {f["code"] for f in data["findings"]}
    assert {"unreadable-file", "unsupported-format", "no-form-found"} <= codes


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.dictionaries(
        st.sampled_from([("cumulative", c.key) for c in SCHEMAS["a3"].columns] +
                        [("weekly", c.key) for c in SCHEMAS["a3"].columns]),
        st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=False),
                  st.text(max_size=30), st.sampled_from(["—", "无", "３项", "1,2,3", "=1+1", "-0", "1e309", "\x00"])),
        max_size=12),
    shift=st.tuples(st.integers(0, 6), st.integers(0, 4)),
    drop=st.sets(st.integers(0, 40), max_size=4),
)
def test_fuzzed_cells_and_layouts_give_values_or_findings_never_exceptions(cells, shift, drop, tmp_path):
    lay = a3_layout({k: v for k, v in cells.items() if not (isinstance(v, str) and "\x00" in v)}).shifted(*shift)
    for i, rc in enumerate(sorted(lay.cells)):
        if i in drop:  # labels, titles or values gone
            del lay.cells[rc]
    path = write([lay], tmp_path / "fuzz")
    read = read_file(path, SCHEMAS, ROSTER)
    findings = list(read.findings)
    for form in read.forms:
        findings += check_form(form, SCHEMAS[form.schema_id])
        for row in form.table.values():
            for cell in row.values():
                assert cell.value is None or isinstance(cell.value, (int, float, str, list, bool))
    assert all(f.message and f.code for f in findings)


def test_killing_a_merge_mid_way_leaves_workbook_and_ledger_intact(tmp_path):
    camp = tmp_path / "c"
    init_job(camp)
    cfg = str(camp / "safetyreport.toml")
    first = tmp_path / "2021-09-16"
    first.mkdir()
    for name in ("开元街道", "鲤中街道"):
        write(consistent_filing(name, 1)[3], first / name)
    proc = run("merge", str(first), "--period", "2021-09-16", "--config", cfg, "--json")
    assert proc.returncode == 0
    workbook = Path(json.loads(proc.stdout)["outputs"]["workbook"])
    good = workbook.read_bytes()
    db = camp / "safetyreport.db"
    filings_before = sqlite3.connect(db).execute("SELECT count(*) FROM filings").fetchone()[0]
    second = tmp_path / "2021-09-23"
    second.mkdir()
    for i in range(40):  # enough work that the kill lands inside the intake transaction
        write(consistent_filing("开元街道", 2, seed=f"k{i}")[3], second / f"开元街道_{i}")
    for delay in (0.4, 0.9, 1.6):
        child = subprocess.Popen([sys.executable, "-m", "safetyreport", "merge", str(second), "--period",
                                  "2021-09-16", "--out", str(workbook.parent), "--config", cfg],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = con.execute("SELECT count(*) FROM filings").fetchone()[0]
        forms = con.execute("SELECT count(*) FROM forms").fetchone()[0]
        con.close()
        assert count in (filings_before, filings_before + 40)  # one transaction: all or nothing
        assert forms == 4 * count
        import openpyxl

        assert workbook.read_bytes() == good or openpyxl.load_workbook(workbook)  # old, or a whole new one


def test_gbk_console_does_not_crash(tmp_path):
    env = dict(os.environ, PYTHONIOENCODING="gbk")
    proc = run("validate", str(ROOT / "samples" / "2021-09-23" / "开元街道_2021-09-23.xlsx"), env=env)
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr
    text = proc.stdout.decode("gbk")
    assert "开元街道" in text and "通过" in text


def test_chinese_paths_with_spaces(tmp_path):
    folder = tmp_path / "收件 箱" / "第 2 周"
    folder.mkdir(parents=True)
    path = write([a3_layout()], folder / "开元街道 第2周 (更正)")
    code, report = cli_json("validate", str(folder))
    assert code == 0 and report["files"][0]["submitter"] == "开元街道"
    camp = tmp_path / "活动 文件夹"
    init_job(camp)
    code, data = cli_json("intake", str(path), "--period", "2021-09-23", "--config", str(camp / "safetyreport.toml"))
    assert code == 0 and data["taken"][0]["submitter"] == "开元街道"


def test_mail_html_escapes_what_submitters_wrote(tmp_path):
    from safetyreport.ledger.status import StatusReport, SubmitterStatus, WrongFiling
    from safetyreport.mail.send import status_messages
    from safetyreport.periods import parse_period

    cfg = load_config(None)
    wrong = WrongFiling("<script>alert(1)</script>.xlsx", [{"code": "sum-mismatch", "sheet": "附件3", "cell": "F6",
                                                         "message": "<b>合计</b>不符"}])
    sub = SubmitterStatus(ROSTER.get("开元街道"), wrong_filings=[wrong], required=["a3"])
    period = parse_period(cfg, "2021-09-23")
    report = StatusReport(period, [sub], {"a3": "always"}, {"a3": "附件3"}, True, period.deadline)
    html = status_messages(cfg, report)[0].html
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html


def test_a_full_disk_is_a_clear_error_and_nothing_half_written(tmp_path, monkeypatch):
    from conftest import cli
    from safetyreport.ledger import store as ledger_module

    camp = tmp_path / "c"
    init_job(camp)
    path = write([a3_layout()], tmp_path / "开元街道")

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(ledger_module.Ledger, "add", full)
    code, out = cli("intake", str(path), "--period", "2021-09-23", "--config", str(camp / "safetyreport.toml"))
    assert code == 2 and "报送台账读写失败" in out and "disk is full" in out
    con = sqlite3.connect(camp / "safetyreport.db")
    assert con.execute("SELECT count(*) FROM filings").fetchone()[0] == 0


def test_an_original_that_cannot_be_copied_rolls_the_whole_intake_back(tmp_path, monkeypatch):
    """The disk filling up on the third archive copy fails the intake with the clear message and
    exit 2, no filing counts, and every file that was copied is whole."""
    import errno

    from conftest import cli
    from safetyreport.ledger import store as ledger_module

    camp = tmp_path / "c"
    init_job(camp)
    names = ["开元街道", "鲤中街道", "海滨街道", "临江街道", "浮桥街道"]
    folder = tmp_path / "2021-09-23"
    for k, name in enumerate(names):
        write(consistent_filing(name)[3], folder / name, "xlsxwriter" if k % 2 else "openpyxl")
    copied: list[str] = []
    real = ledger_module.copy_bytes

    def filling_up(src, dst, *a, **k):
        if len(copied) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        copied.append(str(dst))
        return real(src, dst, *a, **k)

    monkeypatch.setattr(ledger_module, "copy_bytes", filling_up)
    code, out = cli("intake", str(folder), "--config", str(camp / "safetyreport.toml"))
    assert code == 2 and "磁盘空间不足" in out, out
    con = sqlite3.connect(camp / "safetyreport.db")
    assert con.execute("SELECT count(*) FROM filings").fetchone()[0] == 0
    assert not (camp / "archive" / "filings.jsonl").exists()  # no record of a filing that does not count
    for done in camp.glob("archive/*/*.xlsx"):  # what was copied before the disk filled is whole
        assert hashlib.sha256(done.read_bytes()).hexdigest() == done.stem
    assert len(copied) == 2
    # room again: the same intake takes all five
    monkeypatch.setattr(ledger_module, "copy_bytes", real)
    code, out = cli("intake", str(folder), "--config", str(camp / "safetyreport.toml"), "--json")
    assert code == 0 and json.loads(out)["summary"] == {"files": 5, "new": 5}
    assert len(list(camp.glob("archive/*/*.xlsx"))) == 5
