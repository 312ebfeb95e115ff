"""Filing status (按时/迟报/错报/漏报) and the late-filer e-mail, against a real SMTP server on
localhost (aiosmtpd), through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import a3_layout, cli, cli_json, consistent_filing, free_port, write
from safetyreport.ledger.store import Ledger
from safetyreport.workflow import init_job


def campaign(folder: Path, port: int | None = None, shift: bool = True) -> Path:
    init_job(folder)
    cfg = folder / "safetyreport.toml"
    text = cfg.read_text(encoding="utf-8")
    if port:
        text = text.replace("port = 25", f"port = {port}").replace('host = "localhost"', 'host = "127.0.0.1"')
    text = text.replace("retries = 3", "retries = 2\nretry_wait = 0.01")
    if not shift:
        text = text.replace("holiday_shift = true", "holiday_shift = false")
    cfg.write_text(text, encoding="utf-8")
    return cfg


def filing(folder: Path, name: str, forms=(0, 1, 2, 3), seed: str = "s", tweak=None) -> Path:
    _, _, _, layouts = consistent_filing(name, 2, seed=seed)
    if tweak:
        tweak(layouts)
    return write([layouts[i] for i in forms], folder / f"{name}_{seed}")


def intake(cfg: Path, path: Path, period: str, when: str, *extra: str):
    code, data = cli_json("intake", str(path), "--period", period, "--received-at", when, "--config", str(cfg), *extra)
    errors = any(f["severity"] == "error" for t in data["taken"] if t["new"] for f in t["findings"])
    assert code == (1 if errors else 0), data  # a file taken with errors: 1, as validate says of it
    return data


def status(cfg: Path, period: str, *extra: str):
    return cli_json("status", "--period", period, "--config", str(cfg), *extra)


def row(data: dict, name: str) -> dict:
    return next(s for s in data["submitters"] if s["name"] == name)


def test_exactly_at_the_deadline_is_on_time_one_second_after_is_late(tmp_path):
    cfg = campaign(tmp_path / "c")
    intake(cfg, filing(tmp_path, "开元街道"), "2021-09-23", "2021-09-23 12:00:00")
    intake(cfg, filing(tmp_path, "鲤中街道"), "2021-09-23", "2021-09-23 12:00:01")
    code, data = status(cfg, "2021-09-23")
    assert code == 1
    assert row(data, "开元街道")["status"] == "按时" and row(data, "开元街道")["on_time"]
    late = row(data, "鲤中街道")
    assert late["status"] == "迟报" and "1 秒" in late["reasons"]
    assert row(data, "海滨街道")["status"] == "漏报" and row(data, "海滨街道")["reasons"] == "未收到任何报表"
    # required forms only: 附件3 and 附件6 of everyone; 附件4 of 开元街道 alone (鲤中街道's 累计
    # 重大隐患 are 0 in both sources), 附件5 of both (执法检查 figures above 0)
    assert row(data, "开元街道")["required_forms"] == ["a3", "a4", "a5", "a6"]
    assert row(data, "鲤中街道")["required_forms"] == ["a3", "a5", "a6"]
    assert row(data, "海滨街道")["required_forms"] == ["a3", "a6"]
    assert data["expected_reports"] == 16 * 2 + 4 + 3 and data["actual_reports"] == 7
    assert data["actual_reports_on_time"] == 4
    assert data["reporting_rate"] == round(100 * 7 / 39, 1) and data["on_time_rate"] == round(100 * 4 / 39, 1)


def test_missing_form_and_two_filings_never_count_twice(tmp_path):
    cfg = campaign(tmp_path / "c")
    intake(cfg, filing(tmp_path, "开元街道", forms=(0, 1)), "2021-09-23", "2021-09-23 09:00")
    intake(cfg, filing(tmp_path, "开元街道", forms=(0, 1), seed="again"), "2021-09-23", "2021-09-23 10:00")
    _, data = status(cfg, "2021-09-23")
    k = row(data, "开元街道")
    assert k["status"] == "漏报" and k["missing_forms"] == ["a5", "a6"]
    assert k["reasons"] == "缺附件5、附件6；未报工作情况"  # 工作情况 is optional: shown, never 漏报
    assert data["actual_reports"] == 2  # two copies of 附件3 and 附件4 are still one report each


def test_correction_after_an_error_stays_wrong(tmp_path):
    cfg = campaign(tmp_path / "c")

    def break_sum(layouts):
        a3 = layouts[0]
        a3.cells[a3.data_cells[("cumulative", "found_total")]] += 1

    intake(cfg, filing(tmp_path, "开元街道", tweak=break_sum, seed="bad"), "2021-09-23", "2021-09-23 09:00")
    intake(cfg, filing(tmp_path, "开元街道", seed="good"), "2021-09-23", "2021-09-23 10:00")
    _, data = status(cfg, "2021-09-23")
    k = row(data, "开元街道")
    assert k["status"] == "错报"
    [wrong] = k["wrong"]  # named with its file and each error with its cell
    assert wrong["file"] == "开元街道_bad.xlsx" and wrong["corrected_before_deadline"]
    assert [(e["code"], e["sheet"]) for e in wrong["errors"]] == [("sum-mismatch", "附件3")]
    assert "开元街道_bad.xlsx" in k["reasons"] and "附件3!" in k["reasons"]
    code, merged = cli_json("merge", "--period", "2021-09-23", "--config", str(cfg))
    assert code == 0  # the correction is what counts
    assert [s["file"] for s in row(merged, "开元街道")["superseded"]] == ["开元街道_bad.xlsx"] * 4


def test_a_filing_for_another_period_does_not_count_and_is_flagged(tmp_path):
    cfg = campaign(tmp_path / "c")
    intake(cfg, filing(tmp_path, "开元街道"), "2021-09-16", "2021-09-16 09:00")
    _, data = status(cfg, "2021-09-23")
    assert row(data, "开元街道")["status"] == "漏报"
    # a form dated in week 1 (表尾日期 2021-09-16) taken in as week 2: kept, flagged
    path = write([a3_layout(footer="审核人：张明   填报人：李华   联系电话：13905951234   2021年9月16日")],
                 tmp_path / "鲤中街道")
    data = intake(cfg, path, "2021-09-23", "2021-09-23 09:00")
    codes = [f["code"] for f in data["taken"][0]["findings"]]
    assert codes == ["period-mismatch"]
    assert "第1周（9月16日）" in data["taken"][0]["findings"][0]["message"]


def test_holiday_shift_moves_the_deadline(tmp_path):
    for shift, expected in ((True, "按时"), (False, "迟报")):
        cfg = campaign(tmp_path / f"c{shift}", shift=shift)
        intake(cfg, filing(tmp_path, "开元街道"), "2021-10-07", "2021-10-08 11:00")
        _, data = status(cfg, "2021-10-07")
        assert row(data, "开元街道")["status"] == expected, shift
        assert data["period"]["deadline"].startswith("2021-10-08T12:00" if shift else "2021-10-07T12:00")


def test_machine_clock_in_any_zone_gives_the_same_answer(tmp_path):
    """Receipt from the file's mtime and deadlines are in Asia/Shanghai whatever TZ says."""
    import datetime as dt

    cfg = campaign(tmp_path / "c")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    on_time = filing(inbox, "开元街道")
    late = filing(inbox, "鲤中街道")
    deadline = dt.datetime(2021, 9, 23, 4, 0, tzinfo=dt.timezone.utc).timestamp()  # 12:00 in Shanghai
    os.utime(on_time, (deadline, deadline))
    os.utime(late, (deadline + 1, deadline + 1))
    outputs = []
    for tz in ("UTC", "America/New_York", "Asia/Shanghai"):
        folder = tmp_path / tz.replace("/", "_")
        shutil_copy_config(cfg, folder)
        env = dict(os.environ, TZ=tz)
        for args in (["intake", str(inbox), "--period", "2021-09-23", "--new-ledger"], ["status", "--period", "2021-09-23", "--json"]):
            proc = subprocess.run([sys.executable, "-m", "safetyreport", *args, "--config", str(folder / "safetyreport.toml")],
                                  capture_output=True, text=True, env=env, timeout=120)
        data = json.loads(proc.stdout)
        outputs.append({s["name"]: (s["status"], s["first_received"]) for s in data["submitters"]})
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0]["开元街道"] == ("按时", "2021-09-23T12:00:00+08:00")
    # a 迟报 resting on a file's modification time alone is never stated as fact
    assert outputs[0]["鲤中街道"] == ("迟报（待核实）", "2021-09-23T12:00:01+08:00")


def shutil_copy_config(cfg: Path, folder: Path) -> None:
    folder.mkdir()
    (folder / "safetyreport.toml").write_bytes(cfg.read_bytes())


def test_campaign_record_counts_each_kind(tmp_path):
    cfg = campaign(tmp_path / "c")
    intake(cfg, filing(tmp_path, "开元街道", seed="w1"), "2021-09-16", "2021-09-16 13:00")
    intake(cfg, filing(tmp_path, "开元街道", seed="w2"), "2021-09-23", "2021-09-23 09:00")
    code, data = cli_json("status", "--campaign", "--as-of", "2021-09-30 12:05", "--config", str(cfg))
    assert code == 1
    k = next(s for s in data["campaign"]["submitters"] if s["name"] == "开元街道")
    assert (k["按时"], k["迟报"], k["错报"], k["漏报"]) == (1, 1, 0, 1)
    assert [d["status"] for d in k["details"]] == ["迟报", "按时", "漏报"]
    h = next(s for s in data["campaign"]["submitters"] if s["name"] == "海滨街道")
    assert h["漏报"] == 3


def test_email_to_the_coordination_group_and_the_late_once(tmp_path, smtp):
    sink, port = smtp
    cfg = campaign(tmp_path / "c", port)
    intake(cfg, filing(tmp_path, "开元街道"), "2021-09-23", "2021-09-23 09:00")
    intake(cfg, filing(tmp_path, "鲤中街道"), "2021-09-23", "2021-09-23 13:30")
    code, data = status(cfg, "2021-09-23", "--email", "--notify-submitters")
    assert code == 1
    assert len(sink.messages) == 1 + 17  # the list, and a notice to each of the 17 not on time
    group = sink.messages[0]
    assert group["To"] == "zhxtz@example.invalid"
    assert "第2周（9月23日）报表报送情况" in group["Subject"] and "17 个单位" in group["Subject"]
    assert "鲤城区整治联席办" in str(group["From"])
    body = group.get_body(("plain",)).get_content()
    assert "- 鲤中街道：迟报；收到时间 2021-09-23 13:30；晚于截止时间 1 小时 30 分钟" in body
    assert "- 海滨街道：漏报；收到时间 未收到；未收到任何报表" in body
    assert "开元街道：" not in body
    html_part = group.get_body(("html",)).get_content()
    assert "<table" in html_part and "鲤中街道" in html_part
    lizhong = next(m for m in sink.messages if m["To"] == "lizhong@example.invalid")
    assert lizhong["Subject"].startswith("【迟报】")
    assert all(e.mail_from == "zzlxb@example.invalid" for e in sink.envelopes)
    # a second run sends nothing new
    code, again = status(cfg, "2021-09-23", "--email", "--notify-submitters")
    assert len(sink.messages) == 18 and again["mail"]["sent"] == [] and len(again["mail"]["already_sent"]) == 18
    # a late correction changes the list: the group is told again, the others are not
    intake(cfg, filing(tmp_path, "海滨街道"), "2021-09-23", "2021-09-23 15:00")
    status(cfg, "2021-09-23", "--email", "--notify-submitters")
    new = [m["Subject"] for m in sink.messages[18:]]
    assert len(new) == 2 and "报送情况" in new[0] and new[1].startswith("【迟报】")


def test_failed_send_is_retried_reported_and_not_recorded(tmp_path, smtp):
    sink, port = smtp
    dead = free_port()  # nothing listens there
    cfg = campaign(tmp_path / "c", dead)
    from conftest import run_process

    proc = run_process("status", "--period", "2021-09-23", "--email", "--config", str(cfg))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    # the table is printed all the same; then what failed, in words the clerk can act on
    assert "第2周（9月23日），截止 2021-09-23 12:00" in proc.stdout and "应报 18 个单位" in proc.stdout
    assert f"邮件发送失败：无法连接发信服务器 127.0.0.1:{dead}（连接被拒绝" in proc.stderr
    assert "已尝试 2 次" in proc.stderr and "未发送" in proc.stdout
    code, data = status(cfg, "2021-09-23", "--email")
    assert code == 2 and "连接被拒绝" in data["mail"]["error"] and len(data["mail"]["unsent"]) == 1
    assert len(data["submitters"]) == 18
    with Ledger(cfg.parent) as ledger:
        assert ledger.sent() == []
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(f"port = {dead}", f"port = {port}"), encoding="utf-8")
    code, data = status(cfg, "2021-09-23", "--email")
    assert len(data["mail"]["sent"]) == 1 and len(sink.messages) == 1


def test_a_missing_password_is_named_before_trying(tmp_path, smtp, monkeypatch):
    sink, port = smtp
    cfg = campaign(tmp_path / "c", port)
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('user = ""', 'user = "clerk"'), encoding="utf-8")
    monkeypatch.delenv("SAFETYREPORT_SMTP_PASSWORD", raising=False)
    code, data = status(cfg, "2021-09-23", "--email")
    assert code == 2 and "没有设置环境变量 SAFETYREPORT_SMTP_PASSWORD" in data["mail"]["error"]
    assert sink.messages == []


def test_dry_run_prints_and_sends_nothing(tmp_path, smtp):
    sink, port = smtp
    cfg = campaign(tmp_path / "c", port)
    code, out = cli("status", "--period", "2021-09-23", "--email", "--dry-run", "--config", str(cfg))
    assert "（演练，未发送）" in out and "zhxtz@example.invalid" in out
    assert sink.messages == []


def test_reminders_before_the_deadline_go_to_those_who_have_not_filed(tmp_path, smtp):
    sink, port = smtp
    cfg = campaign(tmp_path / "c", port)
    intake(cfg, filing(tmp_path, "开元街道"), "2021-09-23", "2021-09-22 15:00")
    intake(cfg, filing(tmp_path, "鲤中街道", forms=(0,)), "2021-09-23", "2021-09-22 15:00")
    code, data = cli_json("remind", "--as-of", "2021-09-22 16:00", "--config", str(cfg))
    assert code == 0 and data["period"]["key"] == "2021-09-23"
    to = sorted(m["To"] for m in sink.messages)
    assert len(to) == 17 and "kaiyuan@example.invalid" not in to and "lizhong@example.invalid" in to
    lizhong = next(m for m in sink.messages if m["To"] == "lizhong@example.invalid")
    body = lizhong.get_body(("plain",)).get_content()
    # 鲤中街道's 附件3 shows no 重大隐患: 附件4 is not asked of it
    assert "尚未报送：附件5、附件6。" in body and "附件4" not in body
    assert lizhong["Subject"].startswith("【催报】")
    cli_json("remind", "--as-of", "2021-09-22 17:00", "--config", str(cfg))
    assert len(sink.messages) == 17  # same day: not again
    cli_json("remind", "--as-of", "2021-09-23 08:30", "--config", str(cfg))
    assert len(sink.messages) == 34  # the morning of the deadline: once more


def test_header_injection_is_impossible(tmp_path):
    from safetyreport.config import load_config
    from safetyreport.mail.send import Outgoing, build

    cfg = load_config(campaign(tmp_path / "c"))
    msg = build(cfg, Outgoing("status", "p", ["a@example.invalid"], "主题\r\nBcc: evil@example.invalid", "正文", "<p>正文</p>"))
    assert "Bcc" not in msg and "\n" not in msg["Subject"]
