"""The surface a clerk sees: the installed command in a subprocess, piped and at 80 columns, on
UTF-8 and GBK consoles, with whole messages asserted. Every command's --help, --json and --out."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, a3_layout, cli, write

# the console script pip installed beside this interpreter, as a clerk runs it
_SCRIPT = Path(sys.executable).parent / "safetyreport"
INSTALLED = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "safetyreport"]
COMMANDS = ["init", "validate", "intake", "fetch", "merge", "filings", "withdraw", "export", "decide", "status",
            "remind", "forms", "check", "restore", "rebuild", "demo", "report weekly", "report monthly",
            "report summary"]


def run(*args: str, cwd: Path | None = None, env: dict | None = None, columns: int = 80,
        encoding: str = "utf-8") -> subprocess.CompletedProcess:
    """`safetyreport …` as a separate process with its output piped, as cron or `> log` would."""
    full = dict(os.environ, COLUMNS=str(columns), PYTHONIOENCODING=encoding, **(env or {}))
    proc = subprocess.run([*INSTALLED, *args], capture_output=True, cwd=cwd, env=full, timeout=180)
    proc.stdout = proc.stdout.decode(encoding)
    proc.stderr = proc.stderr.decode(encoding)
    return proc


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    code, out = cli("demo", str(folder))
    assert code == 0, out
    return folder


ENGLISH = re.compile(r"Usage|Options|Arguments|Commands|Show this message|Missing|Error|Try |<list\[|"
                     r"\[default:|\[required\]|<str>|<path>|<file>|\{[a-z_]+\}")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_chinese_with_an_example_and_no_english_boilerplate(command):
    proc = run(*command.split(), "--help")
    assert proc.returncode == 0
    assert "用法：safetyreport " + command in proc.stdout and "示例" in proc.stdout
    assert not ENGLISH.search(proc.stdout), ENGLISH.search(proc.stdout)
    assert "…" not in proc.stdout


@pytest.mark.parametrize("args,message", [
    (["validate"], "错误：缺少参数：文件或文件夹。"),
    (["validate", "x.xlsx", "--bogus"], "错误：没有这个选项：--bogus。"),
    (["validate", "x.xlsx", "--jsn"], "错误：没有这个选项：--jsn。您是不是要用：--jobs、--json？"),
    (["nope"], "错误：没有这个命令：nope。"),
    (["merge", "--period"], "错误：选项 --period 后面要跟一个值。"),
    (["decide", "abc", "same", "extra"], "错误：多余的参数：extra。"),
    (["withdraw", "twelve"], "的值无效"),
])
def test_usage_errors_are_told_in_chinese_with_where_to_find_help(args, message):
    proc = run(*args)
    assert proc.returncode == 2
    assert message in proc.stderr, proc.stderr
    assert not ENGLISH.search(proc.stderr.replace("-h", "")), proc.stderr
    assert "Traceback" not in proc.stderr


def test_version():
    from safetyreport import __version__

    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"safetyreport {__version__}"


def test_a_missing_file_is_named_not_a_placeholder(tmp_path):
    proc = run("validate", "不存在.xlsx", cwd=tmp_path)
    assert proc.returncode == 2
    assert "找不到文件或文件夹：不存在.xlsx" in proc.stdout and "{" not in proc.stdout


def test_a_folder_without_spreadsheets_is_exit_2(tmp_path):
    (tmp_path / "空的").mkdir()
    (tmp_path / "空的" / "说明.txt").write_text("x", encoding="utf-8")
    for command in ("validate", "intake", "merge"):
        proc = run(command, str(tmp_path / "空的"), cwd=tmp_path)
        assert proc.returncode == 2, command
        text = proc.stdout + proc.stderr
        assert "中没有找到报表文件（.xlsx、.xls）（其中有 1 个不是报表的文件已跳过）" in text, (command, text)


def test_piped_output_prints_long_paths_and_messages_whole(tmp_path):
    deep = tmp_path / ("很长的文件夹名称" * 8) / "开元街道第2周报表更正版本"
    lay = a3_layout({("cumulative", "fixed_total"): 5}, footer="审核人：  填报人：李华  联系电话：1390595")
    path = write([lay], deep / "开元街道_合计不符_请核对后重新报送的版本")
    proc = run("validate", str(path), columns=80)
    assert proc.returncode == 1
    assert "…" not in proc.stdout
    lines = proc.stdout.splitlines()
    # each message on one line, whole, however narrow the terminal claims to be
    assert any("联系电话“1390595”不是有效的手机号（11位，1开头）或固定电话（如 0595-22123456）。" in line for line in lines)
    proc = run("validate", str(deep.parent), "--json", columns=80)
    assert json.loads(proc.stdout)["files"][0]["path"] == str(path)


def test_a_narrow_terminal_never_cuts_with_an_ellipsis(tmp_path):
    """A real terminal (a pty) 80 columns wide: rich must not shorten anything with '…'."""
    import fcntl
    import pty
    import struct
    import termios

    lay = a3_layout({("cumulative", "fixed_total"): 5})
    path = write([lay], tmp_path / ("开元街道_第2周_合计不符的报表" * 3))
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of 80 × 24
        os.environ["PYTHONIOENCODING"] = "utf-8"
        os.execv(sys.executable, [sys.executable, "-m", "safetyreport", "validate", str(path)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    text = out.decode("utf-8", errors="replace")
    assert "…" not in text and "合计不符" in text
    assert path.name in re.sub(r"\s+", "", text) or path.name in text


def test_json_on_a_gbk_console_never_crashes_on_an_emoji(tmp_path):
    path = write([a3_layout()], tmp_path / "开元街道😀报表")
    proc = run("validate", str(path), "--json", encoding="gbk")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["files"][0]["path"].endswith("开元街道😀报表.xlsx")
    proc = run("validate", str(path), encoding="gbk")  # people's output: replaced, never a crash
    assert proc.returncode == 0 and "通过" in proc.stdout and "Traceback" not in proc.stderr


def test_merge_json_is_the_same_on_a_gbk_console_and_a_utf8_one(tmp_path):
    """merge makes its JSON while the workbooks are written; a console that cannot show an emoji
    gets the same JSON in \\u escapes."""
    cli("init", str(tmp_path / "c"))
    path = write([a3_layout()], tmp_path / "开元街道😀报表")
    cfg = str(tmp_path / "c" / "safetyreport.toml")
    proc = run("merge", str(path), "--period", "2021-09-16", "--json", "--config", cfg, encoding="gbk")
    assert proc.returncode in (0, 1), proc.stderr
    assert "\\ud83d\\ude00" in proc.stdout  # the emoji, escaped
    again = run("merge", str(path), "--period", "2021-09-16", "--json", "--config", cfg)  # the same bytes: no-op
    assert json.loads(proc.stdout) == json.loads(again.stdout)
    assert json.loads(again.stdout)["taken"][0]["path"].endswith("开元街道😀报表.xlsx")


# --- configuration: as a clerk's Notepad saves it, mistakes named in Chinese ----------------------


def _config_text() -> str:
    from safetyreport.shipped import builtin_config

    return builtin_config().read_text(encoding="utf-8")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030", "utf-8"])
def test_a_config_saved_by_notepad_is_read(tmp_path, encoding):
    (tmp_path / "safetyreport.toml").write_bytes(_config_text().encode(encoding))
    proc = run("validate", str(ROOT / "samples" / "2021-09-16" / "开元街道_2021-09-16.xlsx"), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_a_config_in_an_unknown_encoding_is_named(tmp_path):
    (tmp_path / "safetyreport.toml").write_bytes(_config_text().encode("utf-16"))
    proc = run("status", cwd=tmp_path)
    assert proc.returncode == 2 and "编码无法识别：应为 UTF-8 或 GBK" in proc.stderr


@pytest.mark.parametrize("change,message", [
    (('timezone = "Asia/Shanghai"', 'timezone = "Beijing"'), "campaign.timezone：时区“Beijing”不存在"),
    (('weekly_time = "12:00"', 'weekly_time = "25:00"'), "deadlines.weekly_time：时间“25:00”应写成 24 小时制的 时:分"),
    (("end = 2021-11-30", "end = 2021-09-01"), "结束日期 end（2021-09-01）早于开始日期 start（2021-09-13）"),
    (("monthly_day = 2", "monthly_day = 40"), "deadlines.monthly_day：monthly_day 为 40，应为 1 到 28 之间的日子"),
    (("grace_minutes = 0", "grace_minutes = 0\nfoo = 1"), "deadlines.foo：不认识的设置项"),
    (("first_weekly = 2021-09-16", 'first_weekly = "9月16日"'), "deadlines.first_weekly：日期应写成 2021-09-13"),
    (('aliases = ["鲤中街道办事处", "鲤中街道办", "鲤中"]', 'aliases = ["鲤中街道办事处", "开元街道"]'),
     "简称与另一单位重名：“开元街道”既指 开元街道 又指 鲤中街道"),
    (('email = "kaiyuan@example.invalid"', 'email = "kaiyuan@example.invalid\\nBcc: x@y.z"'), "电子邮箱中不能有换行"),
    (('tls = "none"', 'tls = "TLS"'), "smtp.tls：应为 'none', 'starttls' or 'ssl' 之一"),
])
def test_configuration_mistakes_name_the_key_and_the_expected_form(tmp_path, change, message):
    text = _config_text()
    assert change[0] in text
    (tmp_path / "safetyreport.toml").write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    proc = run("status", cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr, proc.stderr
    assert "程序内部错误" not in proc.stderr and "Value error" not in proc.stderr


def test_a_roster_name_with_a_trailing_space_still_matches(tmp_path):
    text = _config_text().replace('name = "开元街道"', 'name = "开元街道 "', 1)
    (tmp_path / "safetyreport.toml").write_text(text, encoding="utf-8")
    path = write([a3_layout()], tmp_path / "报表")
    proc = run("validate", str(path), "--json", cwd=tmp_path)
    assert json.loads(proc.stdout)["files"][0]["submitter"] == "开元街道"


# --- the ledger is never created behind the clerk's back ----------------------------------------


def test_outside_a_campaign_folder_no_ledger_is_created(tmp_path):
    path = write([a3_layout()], tmp_path / "in" / "开元街道")
    for args in (["intake", str(path)], ["merge", str(path)], ["status"], ["report", "weekly"], ["filings"]):
        proc = run(*args, cwd=tmp_path)
        assert proc.returncode == 2, args
        assert "还没有报送台账（safetyreport.db）。请先在这个文件夹运行 safetyreport init" in proc.stderr, proc.stderr
    assert not (tmp_path / "safetyreport.db").exists()
    proc = run("intake", str(path), "--new-ledger", "--period", "2021-09-16", cwd=tmp_path)
    assert proc.returncode == 0 and (tmp_path / "safetyreport.db").exists()


def test_report_on_an_empty_ledger_says_so(tmp_path):
    assert run("init", str(tmp_path)).returncode == 0
    proc = run("report", "weekly", cwd=tmp_path)
    assert proc.returncode == 2 and "还没有登记任何报表，无法生成报告" in proc.stderr


# --- --out is a folder, everywhere ----------------------------------------------------------------


@pytest.mark.parametrize("command", [["merge", "--period", "2021-09-30"], ["forms", "--period", "2021-09-30"],
                                     ["report", "weekly"], ["export"]])
def test_out_is_a_folder_created_when_missing_and_a_file_there_is_an_error(demo, tmp_path, command):
    cfg = ["--config", str(demo / "safetyreport.toml")]
    target = tmp_path / "新的 输出 文件夹"
    proc = run(*command, "--out", str(target), "--json", *cfg)
    assert proc.returncode in (0, 1), proc.stderr
    assert target.is_dir() and any(target.iterdir())
    data = json.loads(proc.stdout)
    written = [Path(p) for p in json.dumps(data, ensure_ascii=False) and _paths(data)]
    assert written and all(p.parent == target for p in written)
    blocker = tmp_path / "一个文件"
    blocker.write_text("x", encoding="utf-8")
    proc = run(*command, "--out", str(blocker), *cfg)
    assert proc.returncode == 2
    assert f"--out 应为文件夹，但 {blocker} 是一个已有的文件" in proc.stderr


def _paths(data: dict) -> list[str]:
    if "outputs" in data:
        return list(data["outputs"].values())
    return data["files"]


def test_demo_out(tmp_path):
    proc = run("demo", str(tmp_path / "d"), "--out", str(tmp_path / "结果"), "--json")
    assert proc.returncode == 0, proc.stderr
    # the briefing (.md with its chart .png, .html, .docx and its annex .docx), the two workbooks, the board
    assert sorted(p.suffix for p in (tmp_path / "结果").iterdir()) == \
        [".docx", ".docx", ".html", ".html", ".md", ".png", ".xlsx", ".xlsx"]
    assert (tmp_path / "结果" / "报送看板.html").is_file()


def test_outputs_get_the_umask_permissions(demo, tmp_path):
    proc = subprocess.run(f"umask 022 && {sys.executable} -m safetyreport merge --period 2021-09-30 --out "
                          f"'{tmp_path}' --config '{demo / 'safetyreport.toml'}'", shell=True, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    modes = {oct(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()}
    assert modes == {"0o644"}


# --- every command answers in JSON -----------------------------------------------------------------


def test_every_command_has_json_a_script_can_rely_on(demo, tmp_path):
    cfg = ["--config", str(demo / "safetyreport.toml")]
    sample = str(ROOT / "samples" / "2021-09-16" / "开元街道_2021-09-16.xlsx")
    calls = {
        "init": ["init", str(tmp_path / "新活动")],
        "validate": ["validate", sample],
        "intake": ["intake", sample, "--period", "2021-09-16", *cfg],
        "merge": ["merge", "--period", "2021-09-23", "--out", str(tmp_path / "m"), *cfg],
        "filings": ["filings", "--period", "2021-09-16", *cfg],
        "export": ["export", "--format", "csv", "--out", str(tmp_path / "e"), *cfg],
        "status": ["status", "--period", "2021-09-23", *cfg],
        "remind": ["remind", "--dry-run", "--as-of", "2021-09-29 16:00", *cfg],
        "forms": ["forms", "--period", "2021-10-07", "--submitter", "开元街道", "--out", str(tmp_path / "f"), *cfg],
        "report weekly": ["report", "weekly", "--format", "md", "--out", str(tmp_path / "r"), *cfg],
        "report monthly": ["report", "monthly", "--month", "2021-09", "--format", "md", "--out", str(tmp_path / "r"), *cfg],
        "report summary": ["report", "summary", "--format", "md", "--out", str(tmp_path / "r"), *cfg],
        "decide": ["decide", "7e59", "different", *cfg],
        "withdraw": ["withdraw", "1", "--reason", "测试", *cfg],
        "check": ["check", *cfg],
        "restore": ["restore", *cfg],
        "demo": ["demo", str(tmp_path / "demo2")],
    }
    # fetch (needs a mailbox) and rebuild (needs a lost ledger) answer in JSON in test_fetch / test_robust
    assert set(calls) | {"fetch", "rebuild"} >= set(COMMANDS)
    for name, args in calls.items():
        proc = run(*args, "--json")
        assert proc.returncode in (0, 1), (name, proc.stderr)
        data = json.loads(proc.stdout)
        assert isinstance(data, dict) and data, name
    proc = run("withdraw", "1", "--undo", "--json", *cfg)
    assert json.loads(proc.stdout) == {**json.loads(proc.stdout), "withdrawn": False, "undo": True}


# --- a ledger the clerk can see and correct ---------------------------------------------------------


def test_a_filing_taken_into_the_wrong_period_is_withdrawn_and_retaken(tmp_path):
    assert run("init", str(tmp_path)).returncode == 0
    week3 = ROOT / "samples" / "2021-09-30" / "开元街道_2021-09-30.xlsx"
    proc = run("intake", str(week3), "--period", "2021-09-23", "--received-at", "2021-09-30 09:00", cwd=tmp_path)
    assert proc.returncode == 0
    # the form's own date says week 3: the clerk is told in the table's output, not only in --json
    assert "提醒 开元街道_2021-09-30.xlsx：表尾日期 2021-09-30 属于第3周（9月30日），本文件却登记为第2周（9月23日）的报表" in proc.stdout
    proc = run("intake", str(week3), "--period", "2021-09-30", cwd=tmp_path)
    assert "已登记过（内容相同，编号 1），未重复计入" in proc.stdout
    filings = json.loads(run("filings", "--json", cwd=tmp_path).stdout)["filings"]
    assert [(f["filing_id"], f["period"], f["state"]) for f in filings] == [(1, "2021-09-23", "counted")]
    proc = run("withdraw", "1", "--reason", "登记错了周期", cwd=tmp_path)
    assert proc.returncode == 0 and "已撤回：编号 1（开元街道_2021-09-30.xlsx，开元街道，2021-09-23）不再计入。原因：登记错了周期" in proc.stdout
    status = json.loads(run("status", "--period", "2021-09-23", "--json", cwd=tmp_path).stdout)
    assert next(s for s in status["submitters"] if s["name"] == "开元街道")["status"] == "漏报"
    proc = run("intake", str(week3), "--period", "2021-09-30", "--received-at", "2021-09-30 09:00", cwd=tmp_path)
    assert "已重新登记" in proc.stdout and "提醒" not in proc.stdout
    [f] = json.loads(run("filings", "--json", cwd=tmp_path).stdout)["filings"]
    assert (f["filing_id"], f["period"], f["state"]) == (1, "2021-09-30", "counted")
    assert [h["action"] for h in f["history"]] == ["withdraw", "retake"]
    assert f["history"][1]["detail"]["period_before"] == "2021-09-23"
    status = json.loads(run("status", "--period", "2021-09-30", "--json", cwd=tmp_path).stdout)
    assert next(s for s in status["submitters"] if s["name"] == "开元街道")["status"] == "按时"
    proc = run("withdraw", "1", "--undo", cwd=tmp_path)
    assert proc.returncode == 2 and "没有撤回，无需恢复" in proc.stderr
    proc = run("withdraw", "99", cwd=tmp_path)
    assert proc.returncode == 2 and "台账中没有编号为 99 的报表" in proc.stderr


def test_decide_with_a_wrong_id_lists_the_candidates_and_records_nothing(demo):
    cfg = ["--config", str(demo / "safetyreport.toml")]
    proc = run("decide", "ffffffff", "same", *cfg)
    assert proc.returncode == 2
    assert "“ffffffff”不是已发现的疑似重复的编号。可选：" in proc.stderr and "泉州海丝文化旅游有限公司" in proc.stderr
    assert "已记录" not in proc.stdout
    proc = run("decide", "4433e378", "maybe", *cfg)
    assert proc.returncode == 2 and "第二个参数应为 same" in proc.stderr


def test_every_message_template_renders_with_real_values():
    """Each catalog template, filled by finding() with values of the kind its callers pass: no
    literal {placeholder} is left (the strict mode of the whole suite catches a caller that
    forgets one)."""
    import string

    from safetyreport.findings import CATALOG, finding

    sample = {"path": "收件箱/开元街道.xlsx", "reason": "文件已损坏", "forms": "附件3 工作情况表", "other": "开元街道(1).xlsx",
              "form_label": "附件3 工作情况表", "places": "工作表“附件3”和“Sheet2”", "kept": "工作表“附件3”",
              "text": "暂无", "expected": "3", "filename": "周报.xlsx", "first": "开元街道", "first_place": "附件3!B3",
              "second": "鲤中街道", "second_place": "附件3!B3", "role": "审核人", "label": "累计数 排查发现隐患总数（C6）",
              "value": "3", "unit": "项", "formula": "=C6+D6", "count": 3, "cells": "C6、D6", "row": "累计数 ",
              "allowed": "整改完成、正在整改", "total_label": "排查发现隐患总数", "total": "4",
              "parts_text": "排查发现一般隐患 3 + 排查发现重大隐患 0", "left_label": "核实查处数", "left": "5",
              "right_label": "隐患数", "right": "3", "why": "核实查处的举报不会多于收到的举报。", "weekly": "5",
              "cumulative": "3", "list_form": "附件4", "what": "重大隐患", "table_form": "附件3", "amount": "2.5",
              "previous_period": "2021-09-16", "previous": "3", "place": "开元寺", "hazard": "电气线路私拉乱接",
              "name": "泉州海丝文化旅游有限公司", "dup_id": "4433e378", "history": "1、2、3", "date": "2021-09-16",
              "dated": "第1周（9月16日）", "chosen": "第2周（9月23日）", "received_at": "2021-12-01 09:00",
              "rows": 100000, "cols": 200, "far": "XFD1048576", "archive": "archive/40/4069a4.xlsx",
              "address": "someone@elsewhere.example", "named": "金龙街道", "sender": "开元街道",
              "record": "archive/40/4069a4.json", "problem": "与台账不一致的项：submitter",
              "deadline": "2021年9月20日", "due": "2021年9月28日", "status_label": "完成情况", "status": "正在整改"}
    for code, kind in CATALOG.items():
        names = {f for _, f, _, _ in string.Formatter().parse(kind.template) if f}
        assert names <= set(sample), (code, names - set(sample))
        text = finding(code, **{k: v for k, v in sample.items() if k in names and k != "path"},
                       path=sample["path"]).message
        assert "{" not in text and "}" not in text and "（？）" not in text, (code, text)


_LOADED = """
import sys
from safetyreport.cli.commands import main
sys.argv = ["safetyreport", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = ("sqlite3", "rich", "openpyxl", "numpy", "pandas", "xlsxwriter", "matplotlib", "docx", "jinja2")
sys.stderr.write(" ".join(m for m in heavy if m in sys.modules))
"""


@pytest.mark.parametrize("args, allowed", [
    (["--help"], set()),
    (["validate", "--help"], set()),
    (["validate", str(ROOT / "samples" / "2021-09-16" / "临江街道_2021-09-16.xlsx"), "--json"], set()),
    (["validate", str(ROOT / "samples" / "2021-09-16" / "临江街道_2021-09-16.xlsx")], {"rich"}),
])
def test_start_up_loads_only_what_the_command_needs(args, allowed):
    """Speed is a feature: help and validating one filing load no SQLite, no workbook writer, no
    pandas or numpy, and rich only to print for people (docs/performance.md, start-up)."""
    proc = subprocess.run([sys.executable, "-c", _LOADED, *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=60)
    loaded = set(proc.stderr.split())
    assert loaded <= allowed, loaded


def test_the_json_printed_is_the_json_modules_own_text():
    """`--json` is printed by console.indented_json (twice json.dumps' speed on a province): for
    any value the commands could print — nested lists, tuples and dicts, every kind of number,
    text with quotes, control characters and CJK, keys that are not text, a date — the very text
    `json.dumps(..., ensure_ascii=False, indent=2, default=str)` gives."""
    import datetime as dt
    import json

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from safetyreport.cli.console import indented_json

    scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
               | st.text() | st.dates())
    keys = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                          | st.dictionaries(keys, inner, max_size=4), max_leaves=30)

    @settings(max_examples=300, deadline=None)
    @given(values)
    def same(value):
        assert indented_json(value) == json.dumps(value, ensure_ascii=False, indent=2, default=str)

    same()
    fixed = {"文件": "开元街道\u2028\"附件3\".xlsx\x1b[31m", 1: [dt.date(2021, 9, 16), (), {}, -0.0, 10**30]}
    assert indented_json(fixed) == json.dumps(fixed, ensure_ascii=False, indent=2, default=str)
