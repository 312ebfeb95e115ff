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
