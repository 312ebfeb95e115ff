"""The second red-team round (issue 22), each attack written as a test: nothing lost, nothing
impersonated, nothing executable."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import ROOT, cli, cli_json

SAMPLE = ROOT / "samples" / "2021-09-16" / "开元街道_2021-09-16.xlsx"


def _campaign_with_backups(tmp_path: Path, demo_folder: Path, n: int = 3) -> Path:
    """A copy of the demo with `n` good backups made by real changes (withdraw and undo)."""
    folder = tmp_path / "c"
    shutil.copytree(demo_folder, folder)
    cfg = str(folder / "safetyreport.toml")
    for i in range(n):
        assert cli("withdraw", "1", "--reason", f"测试{i}", "--config", cfg)[0] == 0
        assert cli("withdraw", "1", "--undo", "--config", cfg)[0] == 0
    return folder


def _corrupt(ledger: Path) -> None:
    db = sqlite3.connect(ledger)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    with ledger.open("r+b") as f:  # the headers of many b-tree pages: SQLite sees a malformed image
        for page in range(20, 60):
            f.seek(4096 * page)
            f.write(b"\xff" * 64)


def test_a_corrupt_ledger_is_never_backed_up_and_every_command_says_so(tmp_path, demo_folder):
    folder = _campaign_with_backups(tmp_path, demo_folder)
    cfg = str(folder / "safetyreport.toml")
    good = sorted((folder / "备份").glob("safetyreport-*.db"))
    assert len(good) == 6
    _corrupt(folder / "safetyreport.db")
    for _ in range(25):  # more failed runs than backups kept (20)
        code, out = cli("intake", str(SAMPLE), "--period", "2021-09-16", "--config", cfg)
        assert code == 2 and "报送台账已损坏" in out and "磁盘空间" not in out, out
    assert sorted((folder / "备份").glob("safetyreport-*.db")) == good  # not one good backup rotated out
    assert not list((folder / "备份").glob(".*.tmp"))
    for args in (["status", "--period", "2021-09-23"], ["merge", "--period", "2021-09-30"], ["check"],
                 ["board"], ["filings"]):
        code, out = cli(*args, "--config", cfg)
        assert code == 2 and "报送台账已损坏" in out, (args, out)
    code, out = cli("check", "--config", cfg)
    assert good[-1].name in out  # the way back names the newest good backup
    code, listing = cli_json("restore", "--config", cfg)
    assert code == 0 and all(b["good"] for b in listing["backups"])
    code, done = cli_json("restore", "1", "--config", cfg)
    assert code == 0 and done["restored"].endswith(good[-1].name) and "损坏-" in done["saved_current"]
    assert Path(done["saved_current"]).is_file()  # the damaged ledger set aside, not deleted
    assert cli("check", "--config", cfg)[0] == 0
    code, status = cli_json("status", "--period", "2021-09-23", "--as-of", "2021-09-23 12:05", "--config", cfg)
    assert code == 1 and len(status["submitters"]) == 18


def test_a_damaged_backup_is_marked_and_never_restored(tmp_path, demo_folder):
    folder = _campaign_with_backups(tmp_path, demo_folder, n=1)
    cfg = str(folder / "safetyreport.toml")
    newest = sorted((folder / "备份").glob("safetyreport-*.db"))[-1]
    newest.write_bytes(b"not a database" * 100)
    code, listing = cli_json("restore", "--config", cfg)
    assert [b["good"] for b in listing["backups"]] == [False, True]
    code, out = cli("restore", "1", "--config", cfg)
    assert code == 2 and "已损坏" in out and "不能用来恢复" in out


def test_a_backup_on_a_full_disk_leaves_no_empty_file_and_names_the_folder(tmp_path, demo_folder, monkeypatch):
    from safetyreport.config import load_config
    from safetyreport.ledger.store import Ledger, LedgerError

    folder = _campaign_with_backups(tmp_path, demo_folder, n=0)
    cfg = load_config(folder / "safetyreport.toml")

    real = sqlite3.connect

    def full(target, *a, **k):  # the backup's file is created, then the disk is full
        if str(target).endswith(".tmp"):
            Path(target).touch()
            raise sqlite3.OperationalError("database or disk is full")
        return real(target, *a, **k)

    monkeypatch.setattr(sqlite3, "connect", full)
    with pytest.raises(LedgerError, match="磁盘空间不足") as e:
        Ledger.of(cfg, changes=True)
    assert str(folder / "备份") in str(e.value)
    assert not [p for p in (folder / "备份").iterdir() if p.name.endswith(".tmp")]


def test_export_writes_text_never_a_formula_in_xlsx_and_csv(tmp_path):
    import csv

    import openpyxl

    from conftest import PERSON, SCHEMAS, a3_layout, write
    from safetyreport.outputs.layout import footer_text, layout_form

    folder = tmp_path / "c"
    assert cli("init", str(folder))[0] == 0
    a4 = layout_form(SCHEMAS["a4"], submitter="开元街道", records=3)
    attacks = ['=HYPERLINK("http://evil.example","点我")', "=cmd|' /C calc'!A0", "＝1+1", "@SUM(1+1)", "+1+1",
               "-1+1", "正常\x00\x1b[31m"]
    for n, text in enumerate(attacks[:3]):
        a4.cells[a4.data_cells[(str(n), "place")]] = f"开元寺{n}"
        a4.cells[a4.data_cells[(str(n), "hazard")]] = text
        a4.cells[a4.data_cells[(str(n), "measures")]] = attacks[n + 3]
        a4.cells[a4.data_cells[(str(n), "status")]] = "正在整改"
    a4.cells[a4.data_cells[("0", "remark")]] = attacks[6]
    a4.cells[(a4.footer_row, 0)] = footer_text(*PERSON, date="2021年9月16日")
    a3 = a3_layout({(row, k): 3 for row in ("cumulative", "weekly") for k in ("found_major", "found_total")})
    path = write([a3, a4], tmp_path / "in" / "开元街道")
    cfg = str(folder / "safetyreport.toml")
    code, _ = cli("intake", str(path), "--period", "2021-09-16", "--received-at", "2021-09-16 09:00", "--config", cfg)
    assert code in (0, 1)
    code, out = cli_json("export", "--out", str(tmp_path / "x"), "--config", cfg)
    assert code == 0
    wb = openpyxl.load_workbook(out["files"][0])
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "s"]
    assert not [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert any("HYPERLINK" in t for t in texts) and any(t.startswith("=cmd|") for t in texts)  # shown, as text
    code, out = cli_json("export", "--format", "csv", "--out", str(tmp_path / "y"), "--config", cfg)
    detail = next(Path(p) for p in out["files"] if p.endswith("_明细.csv"))
    with detail.open(encoding="utf-8-sig", newline="") as f:
        fields = [v for row in csv.reader(f) for v in row]
    assert "'=HYPERLINK(\"http://evil.example\",\"点我\")" in fields and "'＝1+1" in fields
    assert "'@SUM(1+1)" in fields and "'+1+1" in fields and "'-1+1" in fields
    assert not [v for v in fields if "\x00" in v or "\x1b" in v]
    raw = detail.read_bytes()
    assert b"\x00" not in raw and b"\x1b" not in raw
