"""The second red-team round (issue 22), each attack written as a test: nothing lost, nothing
impersonated, nothing executable."""

from __future__ import annotations

import os
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


# --- mail identity --------------------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WEEK2 = ROOT / "samples" / "2021-09-23"


def _eml(folder: Path, name: str, raw: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.eml"
    path.write_bytes(b"Received: from mx by office; Thu, 23 Sep 2021 10:00:00 +0800\r\n" + raw)
    return path


def _init(tmp_path: Path) -> str:
    assert cli("init", str(tmp_path / "c"))[0] == 0
    return str(tmp_path / "c" / "safetyreport.toml")


def test_a_reused_message_id_with_other_content_is_a_new_mail_and_said_so(tmp_path):
    from test_fetch import _mail

    cfg = _init(tmp_path)
    first = _mail("开元街道 <kaiyuan@example.invalid>", "开元街道报表",
                  [("开元街道.xlsx", (WEEK2 / "开元街道_2021-09-23.xlsx").read_bytes(), XLSX)], mid="<same@example.invalid>")
    second = _mail("鲤中街道 <lizhong@example.invalid>", "鲤中街道报表",
                   [("鲤中街道.xlsx", (WEEK2 / "鲤中街道_2021-09-23.xlsx").read_bytes(), XLSX)], mid="<same@example.invalid>")
    code, one = cli_json("intake", str(_eml(tmp_path / "m1", "a", first)), "--config", cfg)
    code, two = cli_json("intake", str(_eml(tmp_path / "m2", "b", second)), "--config", cfg)
    assert [t["submitter"] for t in one["taken"]] == ["开元街道"]
    assert [t["submitter"] for t in two["taken"]] == ["鲤中街道"]  # not dropped as "taken before"
    code, again = cli_json("intake", str(_eml(tmp_path / "m3", "b", second)), "--config", cfg)
    assert again["taken"] == []  # the very same mail again: once
    code, listing = cli_json("filings", "--config", cfg)
    assert sorted(f["submitter"] for f in listing["filings"]) == ["开元街道", "鲤中街道"]


def test_a_unit_address_in_an_encoded_display_name_is_not_the_sender(tmp_path):
    from test_fetch import _mail

    cfg = _init(tmp_path)
    data = (WEEK2 / "开元街道_2021-09-23.xlsx").read_bytes()
    for n, sender in enumerate(["=?utf-8?Q?kaiyuan@example.invalid?= <evil2@example.org>",
                                "\"kaiyuan@example.invalid\" <evil2@example.org>",
                                "kaiyuan@example.invalid <evil2@example.org>"]):
        raw = _mail("x", f"报表{n}", [("开元街道.xlsx", data, XLSX)]).replace(b"From: x", f"From: {sender}".encode())
        code, out = cli_json("intake", str(_eml(tmp_path / f"m{n}", "a", raw)), "--config", cfg)
        codes = [f["code"] for t in out["taken"] for f in t["findings"]]
        assert "unknown-sender" in codes, (sender, out)
        assert "evil2@example.org" in next(f["message"] for t in out["taken"] for f in t["findings"]
                                           if f["code"] == "unknown-sender")


def test_a_form_of_another_unit_sent_from_a_units_address_is_held_not_counted(tmp_path):
    from test_fetch import _mail

    cfg = _init(tmp_path)
    own = _mail("开元街道 <kaiyuan@example.invalid>", "开元街道报表",
                [("开元街道.xlsx", (WEEK2 / "开元街道_2021-09-23.xlsx").read_bytes(), XLSX)])
    other = _mail("开元街道 <kaiyuan@example.invalid>", "转发鲤中街道报表",
                  [("鲤中街道.xlsx", (WEEK2 / "鲤中街道_2021-09-23.xlsx").read_bytes(), XLSX)])
    cli_json("intake", str(_eml(tmp_path / "m1", "own", own)), "--period", "2021-09-23", "--config", cfg)
    code, out = cli_json("intake", str(_eml(tmp_path / "m2", "other", other)), "--period", "2021-09-23",
                         "--config", cfg)
    held = out["taken"][0]
    assert held["submitter"] == "开元街道" and "sender-mismatch" in [f["code"] for f in held["findings"]]
    code, merged = cli_json("merge", "--period", "2021-09-23", "--out", str(tmp_path / "o"), "--config", cfg)
    kaiyuan = next(r for r in merged["submitters"] if r["name"] == "开元街道")
    assert {v["file"] for v in kaiyuan["forms"].values()} == {"开元街道.xlsx"}  # its real filing still counts
    code, listing = cli_json("filings", "--config", cfg)
    withdrawn = [f for f in listing["filings"] if f["state"] == "withdrawn"]
    assert len(withdrawn) == 1 and withdrawn[0]["file"] == "鲤中街道.xlsx" and "待核实" in withdrawn[0]["withdrawn_reason"]
    assert withdrawn[0]["history"][0]["action"] == "hold"


def test_two_units_may_not_share_an_address(tmp_path):
    cfg = Path(_init(tmp_path))
    text = cfg.read_text(encoding="utf-8").replace('email = "lizhong@example.invalid"',
                                                  'email = "lizhong@example.invalid, kaiyuan@example.invalid"')
    cfg.write_text(text, encoding="utf-8")
    code, out = cli("status", "--config", str(cfg))
    assert code == 2 and "邮箱重复" in out and "kaiyuan@example.invalid" in out and "开元街道" in out


def test_saved_mail_goes_into_the_period_the_clerk_names(tmp_path):
    from test_fetch import _mail

    cfg = _init(tmp_path)
    raw = _mail("开元街道 <kaiyuan@example.invalid>", "开元街道报表",
                [("开元街道.xlsx", (WEEK2 / "开元街道_2021-09-23.xlsx").read_bytes(), XLSX)])
    code, out = cli_json("intake", str(_eml(tmp_path / "m", "a", raw)), "--period", "2021-09-30", "--config", cfg)
    assert [t["period"] for t in out["taken"]] == ["2021-09-30"]


def _nested(levels: int) -> bytes:
    nested = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(levels))
    return b"From: kaiyuan@example.invalid\r\nSubject: nested\r\nMIME-Version: 1.0\r\n" + nested + b"x\r\n"


def _broken_mails() -> dict[str, bytes]:
    return {
        "8bit": (b"From: \xbf\xaa\xd4\xaa <kai\xffyuan@example.invalid>\r\nSubject: \xff\xfe\r\n"
                 b"Message-ID: <\xff\xfe@x>\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n"
                 b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"a.xlsx\"\r\n"
                 b"Content-Transfer-Encoding: base64\r\n\r\n!!!notbase64\r\n--B--\r\n"),
        "nested": _nested(3000),
    }


def test_broken_mails_are_reported_never_silently_and_never_stop_the_others(tmp_path):
    from test_fetch import _mail

    cfg = _init(tmp_path)
    inbox = tmp_path / "m"
    for name, raw in _broken_mails().items():
        _eml(inbox, name, raw)
    good = _mail("开元街道 <kaiyuan@example.invalid>", "开元街道报表",
                 [("开元街道.xlsx", (WEEK2 / "开元街道_2021-09-23.xlsx").read_bytes(), XLSX)])
    _eml(inbox, "good", good)
    code, out = cli_json("intake", str(inbox), "--config", cfg)
    assert code == 2  # a mail that could not be read at all
    assert [t["submitter"] for t in out["taken"] if t["submitter"]] == ["开元街道"]
    reasons = {Path(f["path"]).stem: f["reason"] for f in out["failed"]}
    assert "嵌套" in reasons["nested"]
    # the 8-bit mail's attachment is on record with what is wrong with it, for nobody's account
    rest = [t for t in out["taken"] if not t["submitter"]]
    assert "8bit" in reasons or (len(rest) == 1 and any(f["severity"] == "error" for f in rest[0]["findings"]))
    code, again = cli_json("intake", str(inbox), "--config", cfg)  # the same run again: nothing new, still said
    assert {Path(f["path"]).stem for f in again["failed"]} == set(reasons)


def test_a_long_attachment_name_keeps_its_suffix_and_fits_the_file_system(tmp_path):
    from test_fetch import _mail

    cfg = _init(tmp_path)
    name = "开元街道" + "关于景区和非景区景点安全管理专项整治工作情况的报告" * 8 + ".xlsx"
    raw = _mail("开元街道 <kaiyuan@example.invalid>", "报表",
                [(name, (WEEK2 / "开元街道_2021-09-23.xlsx").read_bytes(), XLSX)])
    code, out = cli_json("intake", str(_eml(tmp_path / "m", "a", raw)), "--config", cfg)
    assert len(out["taken"]) == 1 and out["taken"][0]["submitter"] == "开元街道"
    saved = Path(out["taken"][0]["path"]).name
    assert saved.endswith(".xlsx") and len(saved.encode()) <= 200


def test_an_oversized_attachment_is_refused_before_it_is_decoded(tmp_path):
    import base64
    import tracemalloc

    from safetyreport.mail.mailbox import parse, unpack

    payload = base64.encodebytes(os.urandom(12 * 1024 * 1024))
    raw = (b"From: kaiyuan@example.invalid\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Disposition: attachment; filename=\"big.xlsx\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + payload + b"\r\n--B--\r\n")
    msg = parse(raw)
    tracemalloc.start()
    out = unpack(msg, 5 * 1024 * 1024)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert not out.forms and "超过 5 MB 的上限" in out.skipped[0][1]
    assert peak < 4 * 1024 * 1024  # the 12 MB were never decoded


# --- through a real mailbox (pymap) and mail server (aiosmtpd) -------------------------------------------------



def test_fetch_lists_a_broken_mail_on_every_run_until_dismissed_and_replies_to_the_real_address(tmp_path, imap,
                                                                                                  smtp):
    import datetime as dt

    from test_fetch import _mail, campaign, fetch

    sink, smtp_port = smtp
    at = dt.datetime(2021, 9, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    imap.append(_nested(80), at)  # deeper than any mail client nests (pymap cannot store 3,000 levels)
    spoof = _mail("x", "开元街道报表", [("开元街道.xlsx", (WEEK2 / "开元街道_2021-09-23.xlsx").read_bytes(), XLSX)])
    imap.append(spoof.replace(b"From: x", b"From: =?utf-8?Q?kaiyuan@example.invalid?= <evil2@example.org>"), at)
    cfg = campaign(tmp_path / "c", imap.port, smtp_port)
    code, first = fetch(cfg)
    assert code == 2 and len(first["failed"]) == 1 and "嵌套" in first["failed"][0]
    taken = first["taken"][0]
    assert taken["submitter"] is None and taken["sender"] == "evil2@example.org"
    assert [m["To"] for m in sink.messages] == ["evil2@example.org"]  # never the address in the display name
    code, second = fetch(cfg)
    assert code == 2 and second["failed"] == first["failed"] and second["taken"] == []  # said again, not retaken
    number = first["failed"][0].split("编号 ")[1].split("]")[0]
    code, out = fetch(cfg, "--dismiss", number)
    assert code == 0 and out["dismissed"] == [int(number)] and out["failed"] == []
    code, third = fetch(cfg)
    assert code == 0 and third["failed"] == []


class _SlowSink:
    """An SMTP handler that takes its time over each message, so a run can be killed mid-send."""

    def __init__(self, delay: float):
        from conftest import Sink

        self.inner, self.delay = Sink(), delay

    @property
    def messages(self):
        return self.inner.messages

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        await asyncio.sleep(self.delay)
        return await self.inner.handle_DATA(server, session, envelope)


def test_kill_9_during_replies_never_sends_a_reply_twice_nor_loses_one(tmp_path, imap):
    import datetime as dt
    import random
    import subprocess
    import sys
    import time

    from aiosmtpd.controller import Controller

    from conftest import free_port
    from load_mailbox import sample_mails
    from test_fetch import campaign

    handler = _SlowSink(0.15)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        mails = [m for m in sample_mails() if m[1].date() == dt.date(2021, 9, 16)][:12]
        for raw, arrival, *_ in mails:
            imap.append(raw, arrival)
        cfg = campaign(tmp_path / "c", imap.port, controller.port)
        env = dict(os.environ, SAFETYREPORT_IMAP_PASSWORD="pw")
        rng = random.Random(7)
        args = [sys.executable, "-m", "safetyreport", "fetch", "--json", "--config", str(cfg)]

        def settle() -> None:
            """The clerk settles what a killed run left unconfirmed, as the mail server's log says."""
            time.sleep(0.4)  # a message the server was given is logged by now
            code, checked = cli_json("check", "--config", str(cfg))
            pending = checked["unconfirmed_mail"]
            assert len(pending) <= 1 and code == (1 if pending else 0)  # one message is in flight at a time
            if pending:
                got = {m["In-Reply-To"] for m in handler.messages}
                arrived = pending[0]["key"].removeprefix("reply|") in got
                cli_json("check", "--mail-sent" if arrived else "--mail-resend", "--config", str(cfg))

        for _ in range(8):  # kill -9 at random moments, mostly while replies are going out
            proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            time.sleep(rng.uniform(0.8, 2.5))
            proc.kill()
            proc.wait()
            settle()
        for _ in range(2):  # then runs that finish
            proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
            assert proc.returncode in (0, 1), proc.stderr
            settle()
        replies = [m["In-Reply-To"] for m in handler.messages]
        sent_ids = sorted(__import__("email").message_from_bytes(raw)["Message-ID"] for raw, *_ in mails)
        assert sorted(set(replies)) == sent_ids  # none lost
        assert len(replies) == len(set(replies)), sorted(replies)  # none twice
        assert cli("check", "--config", str(cfg))[0] == 0
    finally:
        controller.stop()


# --- concurrency, and a unit's line breaks in mail ----------------------------------------------------------


def test_reads_see_one_state_of_the_ledger_while_an_intake_commits(tmp_path, demo_folder):
    from safetyreport.config import load_config
    from safetyreport.ledger.store import Ledger
    from safetyreport.workflow import intake_job

    folder = tmp_path / "c"
    shutil.copytree(demo_folder, folder)
    cfg = load_config(folder / "safetyreport.toml")
    from conftest import a3_layout, write

    late = write([a3_layout({("cumulative", "found_total"): 1, ("cumulative", "found_major"): 1})],
                 tmp_path / "in" / "开元街道_2021-10-07")
    with Ledger.of(cfg) as ledger:
        with ledger.snapshot():
            filings = {f.id for f in ledger.filings()}
            intake_job(cfg, [late], "2021-10-07", "2021-10-07 09:00")  # another connection commits meanwhile
            assert {f.id for f in ledger.filings()} == filings
            assert {filing for _, filing, _, _ in ledger.form_index()} <= filings
        assert len(ledger.filings()) == len(filings) + 1


def test_concurrent_intakes_merges_and_status_finish_without_an_internal_error(tmp_path, demo_folder):
    import subprocess
    import sys

    folder = tmp_path / "c"
    shutil.copytree(demo_folder, folder)
    cfg = str(folder / "safetyreport.toml")
    week = ROOT / "samples" / "2021-09-30"
    procs = []
    from conftest import a3_layout, write

    for n, path in enumerate(sorted(week.glob("*.xls*"))[:6]):
        unit = path.name.split("_")[0]  # a new filing of this unit's, for a week the demo has none of
        copy = write([a3_layout({("cumulative", "found_total"): n + 1, ("cumulative", "found_major"): n + 1},
                                submitter=unit)], tmp_path / f"in{n}" / f"{unit}_2021-10-07")
        commands = [["intake", str(copy), "--period", "2021-10-07", "--received-at", "2021-10-08 09:00"],
                    ["merge", "--period", "2021-10-07", "--out", str(tmp_path / f"o{n}")],
                    ["status", "--period", "2021-10-07", "--as-of", "2021-10-08 12:05"]]
        for args in commands:
            procs.append(subprocess.Popen([sys.executable, "-m", "safetyreport", *args, "--json", "--config", cfg],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode in (0, 1), (p.args, err)
        assert "Traceback" not in err and "程序内部错误" not in err
    code, status = cli_json("status", "--period", "2021-10-07", "--as-of", "2021-10-08 12:05", "--config", cfg)
    assert sum(bool(s["received"]) for s in status["submitters"]) == 6


def test_line_breaks_from_a_file_name_stay_inside_their_line_in_status_mail(tmp_path):
    import datetime as dt

    from safetyreport.config import load_config
    from safetyreport.mail.send import status_messages
    from safetyreport.workflow import intake_job, status_job

    folder = tmp_path / "c"
    assert cli("init", str(folder))[0] == 0
    cfg = load_config(folder / "safetyreport.toml")
    forged = tmp_path / "in" / "开元街道\n- 鲤中街道：按时\r\n.xlsx"
    forged.parent.mkdir()
    shutil.copy(ROOT / "samples" / "flawed" / "合计不符_开元街道.xlsx", forged)
    intake_job(cfg, [forged], "2021-09-16", "2021-09-16 09:00")
    report = status_job(cfg, "2021-09-16", at=dt.datetime(2021, 9, 16, 12, 5, tzinfo=dt.timezone.utc)).report
    for message in status_messages(cfg, report, notify_submitters=True):
        lines = message.text.split("\n")
        assert not any(line.startswith("- 鲤中街道：按时") for line in lines), message.text
        assert any("开元街道 - 鲤中街道：按时" in line for line in lines) or message.kind == "notice"


# --- the archive's records, and the low-severity items -----------------------------------------------------------


def test_an_edited_record_is_caught_by_check_and_refused_by_rebuild(tmp_path, demo_folder):
    import json

    folder = _campaign_with_backups(tmp_path, demo_folder, n=0)
    cfg = str(folder / "safetyreport.toml")
    assert cli("withdraw", "5", "--reason", "登记错了", "--config", cfg)[0] == 0
    code, listing = cli_json("filings", "--config", cfg)
    withdrawn_at = next(h["at"] for f in listing["filings"] if f["filing_id"] == 5 for h in f["history"])
    kaiyuan = next(f for f in listing["filings"] if f["submitter"] == "开元街道" and f["period"] == "2021-09-30")
    journal = folder / "archive" / "filings.jsonl"
    lines = journal.read_text(encoding="utf-8").splitlines()
    last = max(i for i, line in enumerate(lines) if json.loads(line)["sha256"] == kaiyuan["sha256"])
    data = json.loads(lines[last])
    data["submitter"] = "鲤中街道"  # someone gives 开元街道's filing to 鲤中街道
    lines[last] = json.dumps(data, ensure_ascii=False)
    journal.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, checked = cli_json("check", "--config", cfg)
    assert code == 1 and [p["code"] for p in checked["problems"]] == ["record-altered"]
    assert "submitter" in checked["problems"][0]["message"] and "archive/filings.jsonl" in checked["problems"][0]["message"]
    # rebuilt from the archive alone, the edited record is refused and named, the rest comes back
    (folder / "safetyreport.db").rename(tmp_path / "old.db")
    for side in ("-wal", "-shm"):
        (folder / f"safetyreport.db{side}").unlink(missing_ok=True)
    code, rebuilt = cli_json("rebuild", "--config", cfg)
    assert code == 1 and len(rebuilt["refused"]) == 1 and "校验和不符" in rebuilt["refused"][0]
    assert rebuilt["filings"] == len(listing["filings"]) - 1
    code, after = cli_json("filings", "--config", cfg)
    assert not [f for f in after["filings"] if f["sha256"] == kaiyuan["sha256"]]
    again = next(f for f in after["filings"] if f["state"] == "withdrawn")
    assert again["history"][-1]["at"] == withdrawn_at  # the withdrawal keeps its time through a rebuild


def test_check_rewrites_a_record_from_a_sound_ledger(tmp_path, demo_folder):
    import json

    folder = _campaign_with_backups(tmp_path, demo_folder, n=0)
    cfg = str(folder / "safetyreport.toml")
    journal = folder / "archive" / "filings.jsonl"
    lines = journal.read_text(encoding="utf-8").splitlines()
    lost = json.loads(lines[0])["sha256"]
    journal.write_text("".join(f"{line}\n" for line in lines if json.loads(line)["sha256"] != lost), encoding="utf-8")
    code, checked = cli_json("check", "--config", cfg)
    assert code == 1 and len(checked["problems"]) == 1 and "记录不见了" in checked["problems"][0]["message"]
    assert cli("check", "--rewrite-records", "--config", cfg)[0] == 0
    assert lost in journal.read_text(encoding="utf-8").splitlines()[-1] and cli("check", "--config", cfg)[0] == 0


def test_an_archive_kept_the_old_way_still_checks_and_rebuilds(tmp_path, demo_folder):
    """Before issue 25 each original had its record in a .json file beside it: such an archive
    checks clean and rebuilds the same filings; a record appended since holds over the old file,
    and a line a crash cut short is passed over."""
    import json

    folder = _campaign_with_backups(tmp_path, demo_folder, n=0)
    cfg = str(folder / "safetyreport.toml")
    journal = folder / "archive" / "filings.jsonl"
    latest = {}
    for line in journal.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        latest[record["sha256"]] = record
    for record in latest.values():
        (folder / record["archive_path"]).with_suffix(".json").write_text(json.dumps(record, ensure_ascii=False, indent=1),
                                                                          encoding="utf-8")
    journal.write_text('{"sha256": "cut sho', encoding="utf-8")  # all that is left of it: a torn line
    code, before = cli_json("filings", "--config", cfg)
    assert cli("check", "--config", cfg)[0] == 0
    (folder / "safetyreport.db").rename(tmp_path / "old.db")
    for side in ("-wal", "-shm"):
        (folder / f"safetyreport.db{side}").unlink(missing_ok=True)
    code, rebuilt = cli_json("rebuild", "--config", cfg)
    assert code == 0 and rebuilt["filings"] == len(latest) == len(before["filings"])
    code, after = cli_json("filings", "--config", cfg)
    key = [(f["sha256"], f["submitter"], f["period"], f["state"], f["received_at"]) for f in before["filings"]]
    assert sorted(key) == sorted((f["sha256"], f["submitter"], f["period"], f["state"], f["received_at"])
                                 for f in after["filings"])
    assert cli("check", "--config", cfg)[0] == 0
    text = journal.read_text(encoding="utf-8")
    assert text.startswith('{"sha256": "cut sho\n') and len(text.splitlines()) == 1 + len(latest)


def test_the_small_things_say_what_is_wrong_with_the_right_exit_code(tmp_path, demo_folder):
    cfg = str(demo_folder / "safetyreport.toml")
    code, out = cli("merge", str(tmp_path / "没有这个文件夹"), "--period", "2021-09-30", "--out", str(tmp_path / "o"),
                    "--config", cfg)
    assert code == 2 and "找不到文件" in out
    code, out = cli("withdraw", "9" * 30, "--reason", "x", "--config", cfg)
    assert code == 2 and "没有编号为" in out
    code, out = cli("status", "--period", "2021-09-30xyz", "--config", cfg)
    assert code == 2 and "不是本次专项整治的报送周期" in out
    code, data = cli_json("status", "--period", "2021-09-30xyz", "--config", cfg)
    assert code == 2 and data["error"]["kind"] == "period" and data["exit_code"] == 2
    code, data = cli_json("fetch", "--config", cfg)  # no mailbox configured: said as JSON too
    assert code == 2 and data["error"]["kind"] == "fetch" and "[imap]" in data["error"]["message"]
    copy = tmp_path / "c"
    shutil.copytree(demo_folder, copy)
    toml = copy / "safetyreport.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('a6 = "always"', 'a6 = "always", a9 = "always"'),
                    encoding="utf-8")
    code, data = cli_json("status", "--config", str(toml))
    assert code == 2 and data["error"]["kind"] == "config" and "a9" in data["error"]["message"]


def test_chart_words_in_a_units_text_stay_text_in_the_markdown(tmp_path):
    from safetyreport.outputs.report import md_text, to_markdown

    class B:  # the few fields to_markdown prints around the body
        campaign = masthead = issue = office = date = "x"
        head = "masthead"

    body = f"# t\n\n![图1 趋势](chart:trend)\n\n{md_text('见 ![图](chart:trend) 与 (chart:trend)')}\n"
    out = to_markdown(B(), body, {"trend": b"png"}, "s")
    md = out["s.md"].decode()
    assert "![图1 趋势](s_图1.png)" in md or "(s_" in md.split("\n")[4]
    assert md.count("chart:trend") == 2  # the unit's two mentions, untouched
