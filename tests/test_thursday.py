"""The clerk's Thursday (issue 21): a real mailbox full of chatter, lock files and late mail, the
calendar, one vocabulary across outputs, and the one command that runs the week."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, cli, cli_json
from test_fetch import _mail, campaign, fetch

CST = dt.timezone(dt.timedelta(hours=8))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WEEK2 = ROOT / "samples" / "2021-09-23"


def _at(h: int, m: int, day: int = 23) -> dt.datetime:
    return dt.datetime(2021, 9, day, h, m, tzinfo=CST)


def test_a_real_mailbox_cannot_fool_fetch(tmp_path, imap, smtp):
    sink, smtp_port = smtp
    lizhong = (WEEK2 / "鲤中街道_2021-09-23.xlsx").read_bytes()
    # a unit's filing with Excel's lock file beside it
    imap.append(_mail("鲤中街道 <lizhong@example.invalid>", "鲤中街道报表",
                      [("鲤中街道_2021-09-23.xlsx", lizhong, XLSX), ("~$鲤中街道_2021-09-23.xlsx", b"\x00" * 162, XLSX),
                       ("Thumbs.db", b"x", "application/octet-stream")]), _at(9, 10))
    # chatter: a reply-all 收到, a reply to our own 回执, an out-of-office reply with a file in it
    imap.append(_mail("开元街道 <kaiyuan@example.invalid>", "Re: 鲤中街道报表", []), _at(9, 20))
    imap.append(_mail("鲤中街道 <lizhong@example.invalid>", "Re: 回执：鲤中街道报表已收到", []), _at(9, 40))
    away = _mail("海滨街道 <haibin@example.invalid>", "自动回复：不在办公室",
                 [("海滨街道_2021-09-23.xlsx", (WEEK2 / "海滨街道_2021-09-23.xlsx").read_bytes(), XLSX)])
    imap.append(away.replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:", 1), _at(9, 50))
    # a late filing at 14:20
    imap.append(_mail("区城管局 <cgj@example.invalid>", "区城管局报表",
                      [("区城管局_2021-09-23.xlsx", (WEEK2 / "区城管局_2021-09-23.xlsx").read_bytes(), XLSX)]),
                _at(14, 20))
    cfg = campaign(tmp_path / "c", imap.port, smtp_port)
    code, dry = fetch(cfg, "--dry-run")
    assert len(dry["waiting"]) == 5 and dry["taken"] == []  # what a real run would take, nothing taken
    code, data = fetch(cfg)
    taken = {m["subject"]: m for m in data["taken"]}
    lizhong_mail = taken["鲤中街道报表"]
    assert [Path(f["path"]).name for f in lizhong_mail["files"]] == ["鲤中街道_2021-09-23.xlsx"]
    assert {s["name"] for s in lizhong_mail["skipped"]} == {"~$鲤中街道_2021-09-23.xlsx", "Thumbs.db"}
    assert "锁文件" in next(s["reason"] for s in lizhong_mail["skipped"] if s["name"].startswith("~$"))
    # 回执 only to the two mails that carried a filing from a person
    assert sorted(str(m["Subject"]) for m in sink.messages) == ["回执：区城管局报表已收到", "回执：鲤中街道报表已收到"]
    late = next(m for m in sink.messages if "区城管局" in str(m["Subject"])).get_body(("plain",)).get_content()
    assert "第2周（9月23日）的报送截止时间为 2021-09-23 12:00" in late
    assert "晚于截止时间 2 小时 20 分钟" in late
    assert all(m["Auto-Submitted"] == "auto-replied" for m in sink.messages)
    code, status = cli_json("status", "--period", "2021-09-23", "--as-of", "2021-09-23 15:00", "--config", str(cfg))
    by = {s["name"]: s for s in status["submitters"]}
    assert by["鲤中街道"]["status"] == "按时" and by["区城管局"]["status"] == "迟报"
    assert by["区城管局"]["late_by_minutes"] == 140
    # an idle run says one line
    env = dict(os.environ, SAFETYREPORT_IMAP_PASSWORD="pw")
    idle = subprocess.run([sys.executable, "-m", "safetyreport", "fetch", "--config", str(cfg)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert idle.returncode in (0, 1) and len(idle.stdout.strip().splitlines()) == 1, idle.stdout
    assert len(sink.messages) == 2


def test_the_calendar_knows_the_campaign(demo_folder):
    cfg = str(demo_folder / "safetyreport.toml")
    code, out = cli("remind", "--dry-run", "--as-of", "2021-12-01 09:00", "--config", cfg)
    assert code == 2 and "都已过去" in out and "停用" in out
    code, out = cli("status", "--as-of", "2021-09-10 09:00", "--config", cfg)
    assert code == 2 and "还没有已截止的报送周期" in out and "2021-09-16 12:00" in out
    code, status = cli_json("status", "--as-of", "2021-09-30 12:05", "--config", cfg)
    assert status["period"]["key"] == "2021-09-30" and "第3周" in status["period_chosen"]
    code, out = cli("status", "--as-of", "2021-09-30 12:05", "--config", cfg)
    assert "未指定 --period：取截止时间最近已过的第3周（9月30日）" in out


def test_run_does_the_period_in_one_command_and_dry_run_changes_nothing(demo_folder, tmp_path):
    import shutil

    folder = tmp_path / "c"
    shutil.copytree(demo_folder, folder)
    shutil.rmtree(folder / "输出")
    cfg = str(folder / "safetyreport.toml")
    before = (folder / "safetyreport.db").read_bytes()
    code, dry = cli_json("run", "--dry-run", "--email", "--as-of", "2021-09-30 12:05", "--config", cfg)
    assert code == 1 and dry["dry_run"] and dry["merge"] is None and not (folder / "输出").exists()
    assert [m["to"] for m in dry["status"]["mail"]["dry_run"]] == [["zhxtz@example.invalid"]]
    assert (folder / "safetyreport.db").read_bytes() == before  # nothing recorded, nothing sent
    code, done = cli_json("run", "--as-of", "2021-09-30 12:05", "--config", cfg)
    assert code == 1 and done["problems"] == []
    assert {s["name"]: s["status"] for s in done["status"]["submitters"] if s["status"] != "按时"} == {"海滨街道": "迟报"}
    for path in [*done["merge"]["outputs"].values(), *done["report"]["files"], done["board"]]:
        assert Path(path).is_file(), path
    code, out = cli("run", "--as-of", "2021-09-30 12:05", "--config", cfg)
    lines = out.strip().splitlines()
    assert lines[0] == "第3周（9月30日），截止 9月30日 12:00" and "海滨街道（4 小时 5 分钟）" in out
    assert any(line.strip().startswith("全区：累计发现隐患 630 项") for line in lines)


def test_the_readmes_cron_line_works_as_cron_runs_it(demo_folder, tmp_path, smtp):
    """The README's crontab line for run, with its paths made this machine's, under `env -i`."""
    import re
    import shutil

    sink, port = smtp
    folder = tmp_path / "专项整治"
    shutil.copytree(demo_folder, folder)
    toml = folder / "safetyreport.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("port = 25", f"port = {port}").replace(
        'host = "localhost"', 'host = "127.0.0.1"'), encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(x for x in readme.splitlines() if re.match(r"^5 12 \* \* 4 ", x) and " run " in x)
    command = line.split(None, 5)[5].replace("/srv/专项整治/.venv/bin/safetyreport",
                                             str(Path(sys.executable).parent / "safetyreport"))
    command = command.replace("/srv/专项整治", str(folder)).replace("SAFETYREPORT_IMAP_PASSWORD=*** ", "")
    command = command.replace("SAFETYREPORT_SMTP_PASSWORD=***", "SAFETYREPORT_SMTP_PASSWORD=x")
    proc = subprocess.run(["env", "-i", "sh", "-c", command], capture_output=True, text=True, timeout=300)
    log = (folder / "run.log").read_text(encoding="utf-8")
    assert proc.returncode in (0, 1), log
    assert "not found" not in log and "报送：" in log
    assert sink.messages and str(sink.messages[0]["Subject"]).startswith("【报送情况】")


def test_one_vocabulary_across_console_workbook_board_and_briefing(demo_folder, tmp_path):
    import re

    import openpyxl

    cfg = str(demo_folder / "safetyreport.toml")
    code, out = cli("merge", "--period", "2021-09-30", "--out", str(tmp_path), "--config", cfg)
    major = int(re.search(r"重大隐患\s+(\d+)", out).group(1))
    code, board = cli_json("board", "--as-of", "2021-09-30 12:05", "--out", str(tmp_path), "--config", cfg)
    figures = {f["key"]: f["value"] for f in board["figures"]}
    code, report = cli_json("report", "weekly", "--period", "2021-09-30", "--out", str(tmp_path), "--config", cfg)
    headline = report["briefing"]["totals"]["headline"]
    assert major == figures["major"] == int(headline["major"]) == 27  # both sources, said so in each
    assert "两个来源" in out
    ws = openpyxl.load_workbook(tmp_path / "鲤城区专项整治汇总_2021-09-30.xlsx")["报送情况"]
    said = {row[0]: row[2] for row in ws.iter_rows(min_row=4, values_only=True) if row[0]}
    code, status = cli_json("status", "--period", "2021-09-30", "--config", cfg)
    assert said == {s["name"]: s["status"] for s in status["submitters"]}
    assert said["海滨街道"] == "迟报"


def test_export_speaks_chinese_by_default_and_keys_on_request(demo_folder, tmp_path):
    import csv

    cfg = str(demo_folder / "safetyreport.toml")
    code, out = cli_json("export", "--format", "csv", "--columns", "排查发现隐患总数", "--out", str(tmp_path / "a"),
                         "--config", cfg)
    assert code == 0 and out["wide_columns"] == ["found_total"]
    detail = next(Path(p) for p in out["files"] if p.endswith("_明细.csv"))
    with detail.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:3] == ["周期", "填报单位", "类别"] and {r["是否计入"] for r in rows} <= {"是", "否"}
    assert rows[0]["收到时间"].count(":") == 2 and "T" not in rows[0]["收到时间"]  # a time, as a spreadsheet reads it
    assert rows[0]["数值"].isdigit()  # whole numbers stay whole
    code, out = cli_json("export", "--format", "csv", "--keys", "--out", str(tmp_path / "b"), "--config", cfg)
    detail = next(Path(p) for p in out["files"] if p.endswith("_明细.csv"))
    with detail.open(encoding="utf-8-sig", newline="") as f:
        assert next(csv.reader(f))[:3] == ["period", "submitter", "kind"]


def test_one_units_one_form_per_file_filings_of_two_weeks_in_one_folder_are_two_filings(tmp_path):
    import shutil

    folder = tmp_path / "区文旅局"
    folder.mkdir()
    for week in ("2021-09-16", "2021-09-23"):
        for path in (ROOT / "samples" / week).glob("区文旅局_*"):
            shutil.copy(path, folder / path.name)
    assert len(list(folder.iterdir())) >= 4
    code, report = cli_json("validate", str(folder))
    codes = [f["code"] for file in report["files"] for f in file["findings"]]
    assert code == 0 and not [c for c in codes if c in ("count-mismatch", "amount-mismatch")], codes


def test_copied_files_are_warned_about_and_corrected_in_one_step(tmp_path):
    import shutil

    folder = tmp_path / "c"
    assert cli("init", str(folder))[0] == 0
    cfg = str(folder / "safetyreport.toml")
    inbox = tmp_path / "拷来的"
    shutil.copytree(WEEK2, inbox, copy_function=shutil.copy)  # as cp does: the copy's time is now
    code, data = cli_json("intake", str(inbox), "--period", "2021-09-23", "--config", cfg)
    assert data["warnings"] and "刚复制来的" in data["warnings"][0]
    code, out = cli("intake", str(inbox), "--period", "2021-09-23", "--config", cfg)  # again: nothing new, no warning
    code, status = cli_json("status", "--period", "2021-09-23", "--as-of", "2021-09-23 12:05", "--config", cfg)
    assert {s["status"] for s in status["submitters"]} == {"迟报（待核实）"}
    code, dry = cli_json("correct", "--period", "2021-09-23", "--received-at", "2021-09-23 09:30", "--reason",
                         "按邮件实际到达时间", "--dry-run", "--config", cfg)
    assert len(dry["changed"]) == 21 and dry["dry_run"]
    code, done = cli_json("correct", "--period", "2021-09-23", "--received-at", "2021-09-23 09:30", "--reason",
                          "按邮件实际到达时间", "--config", cfg)
    assert code == 0 and len(done["changed"]) == 21
    code, status = cli_json("status", "--period", "2021-09-23", "--as-of", "2021-09-23 12:05", "--config", cfg)
    assert {s["status"] for s in status["submitters"]} == {"按时"}
    code, listing = cli_json("filings", "--config", cfg)
    assert all(f["received_source"] == "given" and f["history"][-1]["action"] == "correct" for f in listing["filings"])
    code, undone = cli_json("correct", "--undo", "--config", cfg)
    assert undone["undone"] and len(undone["changed"]) == 21
    code, status = cli_json("status", "--period", "2021-09-23", "--as-of", "2021-09-23 12:05", "--config", cfg)
    assert {s["status"] for s in status["submitters"]} == {"迟报（待核实）"}
    assert cli("check", "--config", cfg)[0] == 0  # the records beside the originals follow every change
    code, out = cli("correct", "--received-at", "2021-09-23 09:30", "--reason", "x", "--config", cfg)
    assert code == 2 and "指定要更正哪些报表" in out


def test_a_replacement_is_named_and_a_withdrawn_file_sent_again_stays_withdrawn(tmp_path):
    from conftest import a3_layout, write

    folder = tmp_path / "c"
    assert cli("init", str(folder))[0] == 0
    cfg = str(folder / "safetyreport.toml")
    first = WEEK2 / "开元街道_2021-09-23.xlsx"
    cli_json("intake", str(first), "--period", "2021-09-23", "--received-at", "2021-09-23 09:00", "--config", cfg)
    stray = write([a3_layout({("cumulative", "found_total"): 1, ("cumulative", "found_major"): 1})],
                  tmp_path / "in" / "开元街道_补充")
    code, out = cli("intake", str(stray), "--period", "2021-09-23", "--received-at", "2021-09-23 11:00",
                    "--config", cfg)
    assert "替代了 开元街道_2021-09-23.xlsx（编号 1）的附件3 的报表" in out
    # the clerk withdraws the stray file; it comes again by mail: still withdrawn
    assert cli("withdraw", "2", "--reason", "误发", "--config", cfg)[0] == 0
    raw = _mail("开元街道 <kaiyuan@example.invalid>", "再发一次", [("开元街道_补充.xlsx", stray.read_bytes(), XLSX)])
    eml = tmp_path / "m" / "again.eml"
    eml.parent.mkdir()
    eml.write_bytes(b"Received: from mx by office; Thu, 30 Sep 2021 10:00:00 +0800\r\n" + raw)
    code, data = cli_json("intake", str(eml), "--config", cfg)
    assert data["taken"][0]["still_withdrawn"] and data["taken"][0]["period"] == "2021-09-23"
    code, listing = cli_json("filings", "--config", cfg)
    assert next(f for f in listing["filings"] if f["filing_id"] == 2)["state"] == "withdrawn"


def test_every_report_as_pdf_through_libreoffice(demo_folder, tmp_path):
    import shutil

    import pytest

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice 未安装（.ci/run 会装）：跳过 PDF")
    cfg = str(demo_folder / "safetyreport.toml")
    for kind, args in (("weekly", ["--period", "2021-09-30"]), ("monthly", ["--month", "2021-09"]), ("summary", [])):
        code, out = cli_json("report", kind, *args, "--format", "pdf", "--out", str(tmp_path / kind), "--config", cfg)
        assert code == 0, out
        pdfs = [Path(p) for p in out["files"] if p.endswith(".pdf")]
        assert pdfs and all(p.read_bytes()[:5] == b"%PDF-" for p in pdfs)
        text = subprocess.run(["pdftotext", str(pdfs[0]), "-"], capture_output=True, text=True).stdout
        shown = "工作总结" if kind == "summary" else out["issue"]  # a 总结 is titled, not numbered
        assert "鲤城区" in text and shown in text.replace(" ", "")  # the document, not an empty page


def test_pdf_without_libreoffice_says_how_to_get_it(demo_folder, tmp_path, monkeypatch):
    from safetyreport.outputs import pdf

    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    code, out = cli("report", "weekly", "--period", "2021-09-30", "--format", "pdf", "--out", str(tmp_path),
                    "--config", str(demo_folder / "safetyreport.toml"))
    assert code == 2 and "需要 LibreOffice" in out and not list(tmp_path.iterdir())


def _run(cfg: Path, at: str) -> tuple[int, dict]:
    import json

    env = dict(os.environ, SAFETYREPORT_IMAP_PASSWORD="pw")
    proc = subprocess.run([sys.executable, "-m", "safetyreport", "run", "--email", "--notify-submitters", "--as-of",
                           at, "--json", "--config", str(cfg)], capture_output=True, text=True, env=env, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_three_thursdays_through_the_one_command(tmp_path, imap, smtp):
    """Three Thursdays as the clerk lives them: the units' mail with chatter, a lock file, a late
    filing, a wrong file the clerk withdraws and that comes again, copied files corrected in one
    step; `run` each Thursday at 12:05 (the 14:20 mail is taken by the next week's run)."""
    import shutil

    from conftest import a3_layout, write
    from load_mailbox import sample_mails
    from test_fetch import MANIFEST

    sink, smtp_port = smtp
    mails = sample_mails()
    cfg = campaign(tmp_path / "c", imap.port, smtp_port)
    stray = write([a3_layout({("cumulative", "found_total"): 5, ("cumulative", "fixed_total"): 9})],
                  tmp_path / "x" / "开元街道_补报").read_bytes()  # 已整改 > 发现: an error
    chatter = {"2021-09-16": [_mail("鲤中街道 <lizhong@example.invalid>", "Re: 报表收到", [])],
               "2021-09-23": [_mail("开元街道 <kaiyuan@example.invalid>", "开元街道补报",
                                    [("开元街道_补报.xlsx", stray, XLSX), ("~$开元街道_补报.xlsx", b"\0" * 160, XLSX)])],
               "2021-09-30": [_mail("开元街道 <kaiyuan@example.invalid>", "开元街道补报（再发）",
                                    [("开元街道_补报.xlsx", stray, XLSX)])]}
    replies_expected = 0
    for week, at in (("2021-09-16", "2021-09-16 12:05"), ("2021-09-23", "2021-09-23 12:05"),
                     ("2021-09-30", "2021-09-30 17:00")):
        for raw, arrival, _, w in mails:
            if w == week:
                imap.append(raw, arrival)
        day = dt.date.fromisoformat(week)
        for n, raw in enumerate(chatter[week]):
            imap.append(raw, dt.datetime(day.year, day.month, day.day, 10, n, tzinfo=CST))
        code, out = _run(cfg, at)
        assert out["problems"] == [] and out["fetch"]["failed"] == []
        replies_expected += sum(1 for m in out["fetch"]["taken"] if m["files"] and m["submitter"])
        status = {s["name"]: s["status"] for s in out["status"]["submitters"]}
        if week == "2021-09-16":
            assert status == MANIFEST["expected_status"][week]
        if week == "2021-09-23":  # the stray wrong file makes 开元街道 错报; the clerk withdraws it
            assert status["开元街道"] == "错报"
            stray_id = next(f["filing_id"] for m in out["fetch"]["taken"] for f in m["files"]
                            if Path(f["path"]).name == "开元街道_补报.xlsx")
            assert cli("withdraw", str(stray_id), "--reason", "误发的草稿", "--config", str(cfg))[0] == 0
            assert any(s["name"] == "~$开元街道_补报.xlsx" for m in out["fetch"]["taken"] for s in m["skipped"])
        if week == "2021-09-30":
            again = next(f for m in out["fetch"]["taken"] for f in m["files"]
                         if Path(f["path"]).name == "开元街道_补报.xlsx")
            assert again["still_withdrawn"]  # sent again: still withdrawn
            assert status == MANIFEST["expected_status"][week]
        assert Path(out["board"]).is_file() and Path(out["report"]["files"][0]).is_file()
    code, week2 = cli_json("status", "--period", "2021-09-23", "--config", str(cfg))
    assert {s["name"]: s["status"] for s in week2["submitters"]} == MANIFEST["expected_status"]["2021-09-23"]
    # copied files, corrected in one step
    copied = tmp_path / "拷来的"
    shutil.copytree(ROOT / "samples" / "2021-09-16", copied, copy_function=shutil.copy)
    code, data = cli_json("intake", str(copied), "--period", "2021-09-16", "--config", str(cfg))
    assert data["summary"]["new"] == 0  # the same bytes came by mail already: nothing counted twice
    # every mail that carried a filing has exactly one 回执; the coordination group one list a week
    replies = [m["In-Reply-To"] for m in sink.messages if str(m["Subject"]).startswith("回执")]
    assert len(replies) == len(set(replies)) == replies_expected
    lists = [m for m in sink.messages if str(m["Subject"]).startswith("【报送情况】")]
    assert len(lists) == 3 and all(m["To"] == "zhxtz@example.invalid" for m in lists)
    assert cli("check", "--config", str(cfg))[0] == 0


def test_a_saved_mail_is_the_evidence_for_a_correction(tmp_path):
    import shutil

    folder = tmp_path / "c"
    assert cli("init", str(folder))[0] == 0
    cfg = str(folder / "safetyreport.toml")
    copy = tmp_path / "拷来的" / "开元街道_2021-09-23.xlsx"
    copy.parent.mkdir()
    shutil.copy(WEEK2 / "开元街道_2021-09-23.xlsx", copy)
    cli_json("intake", str(copy), "--period", "2021-09-23", "--config", cfg)
    raw = _mail("开元街道 <kaiyuan@example.invalid>", "开元街道报表", [("开元街道_2021-09-23.xlsx", copy.read_bytes(), XLSX)])
    eml = tmp_path / "原邮件.eml"
    eml.write_bytes(b"Received: from mx by office; Thu, 23 Sep 2021 09:41:00 +0800\r\n" + raw)
    code, done = cli_json("correct", "--submitter", "开元街道", "--mail", str(eml), "--reason", "按原邮件到达时间",
                          "--config", cfg)
    assert code == 0 and done["changed"][0]["after"]["received_at"] == "2021-09-23T09:41:00+08:00"
    eml.write_bytes(raw)  # only the sender's Date: no evidence
    code, out = cli("correct", "--submitter", "开元街道", "--mail", str(eml), "--reason", "x", "--config", cfg)
    assert code == 2 and "Received" in out
