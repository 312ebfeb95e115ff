"""Issue 20: a second campaign set up from its notice with configuration and a schema file only —
seed 001's monthly 《消防安全隐患突出场所隐患问题汇总表》, "每月28日前报送至区专项办", filed by
townships and departments. Driven through the real CLI on filings written by two writers (openpyxl
and xlsxwriter) the way units fill them: a title, the unit on its own row, records, a footer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import cli_json

SCHEMA = '''
# 消防安全隐患突出场所隐患问题汇总表 (seed 001, 区消防安全专项整治: "每月28日前报送至区专项办")
id = "fire_hazards"
name = "消防安全隐患突出场所隐患问题汇总表"
title = "消防安全隐患突出场所隐患问题汇总表"
layout = "list"
identify = ["隐患问题", "整改措施"]
submitter_labels = ["填报单位"]
footer = false
none_words = ["无", "暂无"]
duplicates = { place = "place", description = "problem", what = "隐患" }

[[columns]]
key = "seq"
label = "序号"
type = "text"
[[columns]]
key = "place"
label = "场所（单位）名称"
aliases = ["场所名称", "单位名称"]
type = "text"
required = true
[[columns]]
key = "problem"
label = "隐患问题"
type = "text"
required = true
[[columns]]
key = "measures"
label = "整改措施"
type = "text"
[[columns]]
key = "deadline"
label = "整改时限"
type = "date"
[[columns]]
key = "owner"
label = "整改责任人"
type = "text"
[[columns]]
key = "status"
label = "完成情况"
type = "status"
required = true

[overdue]
date = "deadline"
status = "status"

[[statuses]]
key = "closed"
label = "已整改"
synonyms = ["已完成", "完成", "整改完成"]
closed = true
[[statuses]]
key = "open"
label = "正在整改"
synonyms = ["整改中", "未完成"]
'''

CONFIG = '''
[campaign]
name = "东园区消防安全专项整治"
district = "东园区"
office = "东园区消防安全专项整治办公室"
start = 2021-07-01
end = 2021-12-31
weekly_forms = ["fire_hazards"]
schemas_dir = "schemas"

[deadlines]
# "每月28日前报送": the period's own month, moved earlier off a day off
cadence = "monthly"
due_day = 28
due_month = "same"
due_time = "18:00"
holidays = [2021-10-01, 2021-10-04, 2021-10-05, 2021-10-06, 2021-10-07]
workdays = [2021-10-09]

[filing_status]
required_forms = { fire_hazards = "always" }

[[submitters]]
name = "东园镇"
kind = "street"
label = "乡镇"
aliases = ["东园"]

[[submitters]]
name = "西山乡"
kind = "street"
label = "乡镇"

[[submitters]]
name = "区住建局"
kind = "unit"
label = "部门"
'''

RECORDS = {
    "东园镇": [("东园旧街", "疏散通道堵塞", "清理杂物", "2021年10月底前", "张三", "正在整改"),
               ("东园农贸市场", "电气线路私拉乱接", "重新布线", "2021.9.30", "李四", "已完成")],
    "西山乡": [("西山敬老院", "消防设施损坏", "更换灭火器", "长期", "王五", "整改中"),
               ("西山小学", "消防通道被占用", "清理占道车辆", "9月20日前", "赵六", "正在整改"),
               ("西山客运站", "灭火器过期", "更换", "尽快", "钱七", "整改中")],
}


def _write_openpyxl(path: Path, unit: str, rows: list[tuple]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "汇总表"
    ws.append(["消防安全隐患突出场所隐患问题汇总表"])
    ws.append([f"填报单位：{unit}"])
    ws.append(["序号", "场所（单位）名称", "隐患问题", "整改措施", "整改时限", "整改责任人", "完成情况"])
    for n, r in enumerate(rows, start=1):
        ws.append([n, *r])
    wb.save(path)


def _write_xlsxwriter(path: Path, unit: str, rows: list[tuple]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.merge_range(0, 0, 0, 6, "消防安全隐患突出场所隐患问题汇总表")
    ws.write(1, 0, "填报单位：")  # the unit in the next cell, as many units type it
    ws.write(1, 1, unit)
    for c, h in enumerate(["序号", "场所名称", "隐患问题", "整改措施", "整改时限", "整改责任人", "完成情况"]):
        ws.write(3, c, h)  # one blank row under the unit
    for n, r in enumerate(rows, start=1):
        ws.write_row(3 + n, 0, [str(n), *r])
    wb.close()


@pytest.fixture
def campaign(tmp_path):
    folder = tmp_path / "东园消防"
    (folder / "schemas").mkdir(parents=True)
    (folder / "schemas" / "fire_hazards.toml").write_text(SCHEMA, encoding="utf-8")
    (folder / "safetyreport.toml").write_text(CONFIG, encoding="utf-8")
    sept = tmp_path / "2021年9月"
    sept.mkdir()
    _write_openpyxl(sept / "东园镇.xlsx", "东园镇", RECORDS["东园镇"])
    _write_xlsxwriter(sept / "西山乡消防隐患.xlsx", "西山乡", RECORDS["西山乡"])
    return folder, sept


def test_monthly_periods_follow_the_notices_deadline_rule(campaign):
    folder, _ = campaign
    from safetyreport.config import load_config
    from safetyreport.periods import filing_periods, parse_period

    cfg = load_config(folder / "safetyreport.toml")
    periods = filing_periods(cfg)
    assert [p.key for p in periods] == ["2021-07", "2021-08", "2021-09", "2021-10", "2021-11", "2021-12"]
    assert [p.deadline.date() for p in periods][:3] == [dt.date(2021, 7, 28), dt.date(2021, 8, 27),  # 8/28 a Saturday
                                                          dt.date(2021, 9, 28)]
    assert periods[3].label == "2021年10月" and periods[3].deadline.hour == 18
    for name in ("2021-09", "2021年9月", "2021.9", "第3期", "2021年9月份"):
        assert parse_period(cfg, name).key == "2021-09", name
    code, out = cli_json("merge", "--period", "2021-09-16", "--config", str(folder))
    assert code == 2 and "以月份表示" in out["error"]["message"] and "2021-07" in out["error"]["message"]


def test_quarterly_and_every_n_days_rhythms(campaign):
    """每季度末月24日前 (seed 001's 打通消防生命通道工作统计表) and 每15天一个工作节点 (seed 002)."""
    folder, _ = campaign
    from safetyreport.config import parse_config
    from safetyreport.periods import filing_periods, parse_period, period_from_name, period_of_date

    quarterly = parse_config(CONFIG.replace('cadence = "monthly"\ndue_day = 28', 'cadence = "quarterly"\ndue_day = 24'), "")
    periods = filing_periods(quarterly)
    assert [(p.key, p.label, p.deadline.date()) for p in periods] == [
        ("2021-Q3", "2021年第三季度", dt.date(2021, 9, 24)), ("2021-Q4", "2021年第四季度", dt.date(2021, 12, 24))]
    for name in ("2021-Q3", "2021年第三季度", "2021年第3季度", "第1期"):
        assert parse_period(quarterly, name).key == "2021-Q3", name
    assert period_from_name(quarterly, "2021年第四季度报表").key == "2021-Q4"
    assert period_of_date(quarterly, dt.date(2021, 9, 30)).key == "2021-Q4"  # after Q3's deadline: the next one
    nodes = parse_config(CONFIG.replace('cadence = "monthly"', 'cadence = "every-days"\nevery_days = 15\n'
                                                               'first_weekly = 2021-10-15'), "")
    keys = [p.key for p in filing_periods(nodes)][:4]
    assert keys == ["2021-10-15", "2021-10-30", "2021-11-14", "2021-11-29"]
    assert filing_periods(nodes)[2].deadline.date() == dt.date(2021, 11, 15)  # a Sunday: the next working day
    assert parse_period(nodes, "第2期").key == "2021-10-30" and filing_periods(nodes)[0].label == "第1期（10月15日）"


def test_half_monthly_half_yearly_and_yearly_rhythms():
    """每半月 (seed 002), 每半年 and 每年 (年底前报送工作报告, seed 001): keys, names, deadlines."""
    from safetyreport.config import parse_config
    from safetyreport.periods import filing_periods, parse_period, period_from_name

    def campaign(cadence: str, extra: str = "") -> object:
        return parse_config(CONFIG.replace('cadence = "monthly"\ndue_day = 28', f'cadence = "{cadence}"{extra}')
                            .replace("end = 2021-12-31", "end = 2022-12-31"), "")

    halves = filing_periods(campaign("half-monthly"))
    assert [(p.key, p.label, p.deadline.date()) for p in halves[:3]] == [
        ("2021-07-H1", "2021年7月上半月", dt.date(2021, 7, 15)), ("2021-07-H2", "2021年7月下半月", dt.date(2021, 7, 30)),
        ("2021-08-H1", "2021年8月上半月", dt.date(2021, 8, 13))]  # 7/31 and 8/15 fall on a weekend: earlier
    assert parse_period(campaign("half-monthly"), "2021年8月上半月").key == "2021-08-H1"
    assert parse_period(campaign("half-monthly"), "2021-08-H2").key == "2021-08-H2"
    years = campaign("half-yearly", "\ndue_day = 25")
    assert [(p.key, p.label, p.deadline.date()) for p in filing_periods(years)] == [
        ("2021-H2", "2021年下半年", dt.date(2021, 12, 24)), ("2022-H1", "2022年上半年", dt.date(2022, 6, 24)),
        ("2022-H2", "2022年下半年", dt.date(2022, 12, 23))]  # 25日 on a Saturday or Sunday: the Friday before
    assert parse_period(years, "2022年上半年").key == "2022-H1" and period_from_name(years, "2022-H1报表").key == "2022-H1"
    yearly = campaign("yearly", "\ndue_day = 28")
    assert [(p.key, p.label) for p in filing_periods(yearly)] == [("2021", "2021年"), ("2022", "2022年")]
    assert parse_period(yearly, "2022年度").key == "2022" and filing_periods(yearly)[1].deadline.date() == dt.date(2022, 12, 28)


def test_a_monthly_list_campaign_merges_and_reports_who_filed(campaign):
    folder, sept = campaign
    cfg = str(folder)
    code, out = cli_json("intake", str(sept), "--received-at", "2021-09-27 09:30", "--new-ledger", "--config", cfg)
    assert code == 0, out
    assert {f["period"] for f in out["taken"]} == {"2021-09"}  # the folder's name says the month
    code, merged = cli_json("merge", "--period", "2021年9月", "--config", cfg)
    assert code == 0, merged
    status = {s["name"]: s["status"] for s in merged["submitters"]}
    assert status == {"东园镇": "filed", "西山乡": "filed", "区住建局": "missing"}
    records = merged["lists"]["fire_hazards"]
    assert [(r["submitter"], r["values"]["place"], r["values"]["status"], r["values"]["deadline"]) for r in records] == [
        ("东园镇", "东园旧街", "open", "2021-10-31"), ("东园镇", "东园农贸市场", "closed", "2021-09-30"),
        ("西山乡", "西山敬老院", "open", "长期"), ("西山乡", "西山小学", "open", "--09-20"),  # a year left out
        ("西山乡", "西山客运站", "open", "尽快")]  # what was written, when it is no date
    # 逾期未整改: past its 整改时限 at the month's deadline (9月28日) and not closed; 长期 never; 尽快 is no date
    overdue = [f for f in merged["findings"] if f["code"] == "overdue"]
    assert [(f["cell"], f["severity"]) for f in overdue] == [("E6", "warning")] and "西山小学" in overdue[0]["message"]
    assert "2021年9月20日" in overdue[0]["message"] and "正在整改" in overdue[0]["message"]
    unreadable = [f for f in merged["findings"] if f["code"] == "unreadable-deadline"]
    assert [f["cell"] for f in unreadable] == ["E7"] and "尽快" in unreadable[0]["message"]
    assert merged["totals"]["cumulative_submitters"] == 2 and merged["totals"]["weekly_submitters"] == 2
    # the consolidated workbook: a sheet laid out from the schema, every record with its unit
    import openpyxl

    book = openpyxl.load_workbook(merged["outputs"]["workbook"])
    sheet = book["消防安全隐患突出场所隐患问题汇总表汇总"]
    rows = [[c for c in r if c is not None] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert rows[0][:4] == [1, "东园镇", "东园旧街", "疏散通道堵塞"] and rows[2][:3] == [3, "西山乡", "西山敬老院"]
    assert len([r for r in rows if r and isinstance(r[0], int)]) == 5
    assert rows[3][:3] == [4, "西山乡", "西山小学"] and "9月20日" in rows[3]  # a date without its year, as written
    assert "正在整改" in rows[0] and "已整改" in rows[1]  # the status as the form words it
    # the district's own filing for the level above is a filing this tool reads back, unit by unit
    code, report = cli_json("validate", merged["outputs"]["district_filing"], "--config", cfg)
    read = report["files"][0]
    # not attributed to 东园镇 (alias 东园) for the 东园 in 东园区: the district's name is its own place
    assert read["forms"] == ["fire_hazards"] and not read["submitter"], report
    filed = openpyxl.load_workbook(merged["outputs"]["district_filing"]).active
    texts = [str(v) for r in filed.iter_rows(values_only=True) for v in r if v is not None]
    assert "填报单位：东园区" in texts and "正在整改（西山乡报送）" in texts and "东园农贸市场" in texts
    code, st = cli_json("status", "--period", "2021-09", "--config", cfg)
    verdicts = {r["name"]: r["codes"] for r in st["submitters"]}
    assert code == 1 and "missing" in verdicts["区住建局"] and verdicts["东园镇"] == ["on_time"]
    assert st["period"]["label"] == "2021年9月" and st["period"]["deadline"].startswith("2021-09-28T18:00")
    # October: 东园镇 files late (after 28日 18:00), the others not at all; carried forward, not counted twice
    octo = sept.parent / "2021-10"
    octo.mkdir()
    _write_openpyxl(octo / "东园镇.xlsx", "东园镇", RECORDS["东园镇"][:1])
    code, out = cli_json("intake", str(octo), "--received-at", "2021-10-29 09:00", "--config", cfg)
    code, merged = cli_json("merge", "--period", "2021-10", "--config", cfg)
    status = {s["name"]: s["status"] for s in merged["submitters"]}
    assert status == {"东园镇": "filed", "西山乡": "carried", "区住建局": "missing"}
    assert len(merged["lists"]["fire_hazards"]) == 4  # 东园镇's October list and 西山乡's September one
    # 西山乡's carried list still stands: 西山小学 is still overdue in October, from the September file
    overdue = [f for f in merged["findings"] if f["code"] == "overdue"]
    assert len(overdue) == 1 and "西山小学" in overdue[0]["message"] and "2021年10月28日" in overdue[0]["message"]
    _, st = cli_json("status", "--period", "2021-10", "--config", cfg)
    assert "late" in next(r for r in st["submitters"] if r["name"] == "东园镇")["codes"]


def test_the_monthly_campaigns_data_exports(campaign, tmp_path):
    folder, sept = campaign
    cfg = str(folder)
    cli_json("intake", str(sept), "--received-at", "2021-09-27 09:30", "--new-ledger", "--config", cfg)
    code, out = cli_json("export", "--format", "csv", "--out", str(tmp_path / "导出"), "--config", cfg)
    assert code == 0, out
    text = Path(out["files"][0]).read_text(encoding="utf-8-sig")
    assert "东园旧街" in text and "西山敬老院" in text and "2021-09" in text
    assert [Path(f).name for f in out["files"]] == ["东园区_数据导出_明细.csv"]  # no wide tables of 附件3 columns
    code, out = cli_json("export", "--columns", "found_total", "--out", str(tmp_path / "导出"), "--config", cfg)
    assert code == 2 and "都是清单" in out["error"]["message"]


def _package_strings() -> list[tuple[str, str]]:
    """("module:line", text) of every string constant in the package's code, docstrings aside."""
    import ast

    root = Path(__file__).resolve().parents[1] / "src" / "safetyreport"
    out = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(node.body[0].value) for node in ast.walk(tree)
                if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        out += [(f"{path.relative_to(root)}:{n.lineno}", n.value) for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]
    assert len(out) > 1000  # the whole package was read
    return out


def test_no_module_names_the_built_in_campaigns_places_or_year():
    """Issue 20: campaign facts live in the campaign's files. The package's code (docstrings and
    comments aside) names no place of the built-in campaign and no year of it."""
    import re

    # a year only as a format example in a message ("如 2021年9月16日"), never as data
    hits = [f"{where} {text[:40]}" for where, text in _package_strings()
            if re.search(r"鲤城|泉州|福建", text) or re.search(r"(?<!如 )(?<!如)2021年(?!9月16日)", text)]
    assert not hits, hits


def test_no_module_names_a_form_id_of_the_built_in_campaign():
    """Issue 20: which form is the totals table, the hazards list, the enforcement lists … is said by
    the schemas (role), never by a form id in the package's code (docstrings and comments aside)."""
    from safetyreport.schema import load_schemas

    ids = {s.id for s in load_schemas()}
    assert {"a3", "a4", "a5", "a6", "narrative"} <= ids
    hits = [f"{where} {text}" for where, text in _package_strings()
            if text in ids or any(f'"{i}"' in text or f"'{i}'" in text for i in ids)]
    assert not hits, hits


def test_a_blank_printed_date_of_any_year_is_no_date_attempt():
    from safetyreport.values import looks_like_date_attempt

    for blank in ("2021年  月  日", "2023年 月 日", "    年  月  日", "年月日"):
        assert not looks_like_date_attempt(blank), blank
    assert looks_like_date_attempt("2023年10月 日") and looks_like_date_attempt("10.5")


@pytest.mark.parametrize("written,value,on", [
    ("2021年10月31日", "2021-10-31", dt.date(2021, 10, 31)), ("2021.6.30", "2021-06-30", dt.date(2021, 6, 30)),
    (dt.datetime(2021, 11, 5), "2021-11-05", dt.date(2021, 11, 5)),  # an Excel date cell
    ("2021年10月底前", "2021-10-31", dt.date(2021, 10, 31)), ("2021年2月", "2021-02-28", dt.date(2021, 2, 28)),
    ("10月底前", "--10-31", dt.date(2021, 10, 31)), ("9月20日前", "--09-20", dt.date(2021, 9, 20)),
    ("1月底", "--01-31", dt.date(2022, 1, 31)),  # written in December: next January
    ("长期", None, None), ("持续", None, None), ("", None, None)])
def test_deadlines_are_read_as_units_write_them(written, value, on):
    from safetyreport.values import deadline_in, parse_deadline

    assert parse_deadline(written) == (value, "")
    assert deadline_in(value, dt.date(2021, 12, 28)) == on


def test_a_deadline_that_is_no_date_is_said_not_guessed():
    from safetyreport.values import parse_deadline

    for text in ("尽快", "13月底", "下周"):
        assert parse_deadline(text) == (None, "not-a-date"), text


def test_the_board_and_the_briefing_of_a_campaign_of_lists(campaign, tmp_path):
    """The board tells the list campaign's records and its 逾期未整改 (no 附件3/4 figures, no
    重大隐患 section, axes named by month); its 简报 and 总结 come from its schema; the 月报 (the
    built-in campaign's weekly-to-monthly report) refuses and says why."""
    folder, sept = campaign
    cfg = str(folder)
    cli_json("intake", str(sept), "--received-at", "2021-09-27 09:30", "--new-ledger", "--config", cfg)
    # its 简报: the list's records, new, closed and open, 逾期未整改, per unit, and who filed (campaign.md.j2)
    code, out = cli_json("report", "weekly", "--period", "2021-09", "--config", cfg)
    assert code == 0, out
    fire = out["briefing"]["lists"][0]
    assert (fire["total"], fire["new"], fire["closed"], fire["open"]) == (5, 5, 1, 4)
    assert {u["name"]: (u["total"], u["overdue"]) for u in fire["units"]} == {
        "东园镇": (2, 0), "西山乡": (3, 1), "区住建局": (0, 0)}
    md = Path(next(f for f in out["files"] if f.endswith(".md"))).read_text(encoding="utf-8")
    assert "本期整改完成 1 条：东园镇报送的东园农贸市场“电气线路私拉乱接”。" in md
    assert "- 西山乡：“西山小学”的整改时限是 2021年9月20日" in md and "漏报：区住建局。" in md
    assert "> 报：" not in md and "> 送：" not in md  # no 版记 line for what the configuration does not say
    code, out = cli_json("report", "monthly", "--month", "2021-09", "--config", cfg)
    assert code == 2 and "月报按周报数字逐月汇总" in out["error"]["message"] and "report weekly" in out["error"]["message"]
    # its 总结, from its schema alone: the list where it stands, and each unit's filing record (July and
    # August, before anyone filed, are 漏报 for every unit; September on time but for 区住建局)
    code, out = cli_json("report", "summary", "--config", cfg)
    assert code == 0, out
    b = out["briefing"]
    assert b["head"] == "title" and b["totals"]["lists"]["fire_hazards"] == {"total": 5, "closed": 1, "open": 4}
    assert {r["name"]: (r["按时"], r["漏报"]) for r in b["filing"]["record"]} == {
        "东园镇": (1, 2), "西山乡": (1, 2), "区住建局": (0, 3)}
    md = Path(next(f for f in out["files"] if f.endswith(".md"))).read_text(encoding="utf-8")
    assert "各单位共报送 5 条，已整改 1 条，正在整改 4 条，其中逾期未整改 1 条。" in md
    assert "| 区住建局 | 0 | 0 | 0 | 3 |" in md and "东园区消防安全专项整治办公室" in md
    code, out = cli_json("board", "--config", cfg)
    assert code == 0, out
    import html
    import re

    page = Path(out["file"]).read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", page, flags=re.S)))
    assert "逾期未整改（整改时限已过、仍未完成）" in text and "“西山小学”的整改时限是 2021年9月20日" in text
    assert "未销号重大隐患" not in text and "累计发现隐患" not in text and "第1周" not in text
    assert re.search(r"消防安全隐患突出场所隐患问题汇总表（全部记录）\s*5\s*条", text)


def _district(demo: Path, tmp_path: Path, name: str, withdraw: bool = False) -> tuple[Path, dict]:
    """The demo campaign as another district of the same city: its filing to the city, and merge's totals."""
    import shutil

    folder = tmp_path / name
    shutil.copytree(demo, folder)
    toml = folder / "safetyreport.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('district = "鲤城区"', f'district = "{name}"'),
                    encoding="utf-8")
    if withdraw:  # one unit's latest filing set aside: its figures are carried, this district's 当周 differ
        listing = cli_json("filings", "--period", "2021-09-30", "--json", "--config", str(folder))[1]
        last = next(f for f in reversed(listing["filings"]) if "a3" in f["forms"] and f["state"] == "counted")
        assert cli_json("withdraw", str(last["filing_id"]), "--reason", "测试", "--config", str(folder))[0] == 0
    code, merged = cli_json("merge", "--period", "2021-09-30", "--out", str(tmp_path / "收件" / name), "--config", str(folder))
    assert code in (0, 1), merged
    return Path(merged["outputs"]["district_filing"]), merged


def test_a_city_consolidates_its_districts_filings_with_the_same_commands(demo_folder, tmp_path):
    """Issue 20: the filing a district sends up is itself a filing: a city campaign whose
    submitters are districts takes in the demo's filing and two more districts' and totals them."""
    from safetyreport.shipped import builtin_config

    runs = {name: _district(demo_folder, tmp_path, name, withdraw) for name, withdraw in
            (("鲤城区", False), ("丰泽区", False), ("洛江区", True))}
    city = tmp_path / "泉州市"
    city.mkdir()
    text = builtin_config().read_text(encoding="utf-8").split("[[submitters]]")[0]
    text = (text.replace('district = "鲤城区"', 'district = "泉州市"').replace('places = ["福建省", "泉州市"]', 'places = ["福建省"]')
            .replace(', narrative = "optional"', "").replace(', "narrative"]', "]"))
    text += "".join(f'[[submitters]]\nname = "{n}"\nkind = "district"\n\n' for n in runs)
    (city / "safetyreport.toml").write_text(text, encoding="utf-8")
    inbox = tmp_path / "收件"
    code, merged = cli_json("merge", str(inbox), "--period", "2021-09-30", "--new-ledger",
                            "--received-at", "2021-09-30 15:00", "--config", str(city))
    assert code in (0, 1), merged
    assert {s["name"]: s["status"] for s in merged["submitters"]} == dict.fromkeys(runs, "filed")
    districts = [m for _, m in runs.values()]
    assert districts[2]["totals"]["weekly"] != districts[0]["totals"]["weekly"]  # 洛江区 differs
    for key, value in merged["totals"]["cumulative"].items():
        assert value == pytest.approx(sum(d["totals"]["cumulative"][key] for d in districts)), key
    for key, value in merged["totals"]["weekly"].items():
        assert value == pytest.approx(sum(d["totals"]["weekly"][key] for d in districts)), key
    hazards = sum(len([i for i in d["lists"]["a4"] if not i["duplicate_of"]]) for d in districts)
    assert len(merged["lists"]["a4"]) == hazards  # every district's 重大隐患, none lost


def test_init_starts_a_campaign_from_another_campaigns_folder(campaign, tmp_path):
    """`init --campaign FOLDER`: the configuration, schemas and templates, none of the filings."""
    folder, sept = campaign
    cli_json("intake", str(sept), "--received-at", "2021-09-27 09:30", "--new-ledger", "--config", str(folder))
    new = tmp_path / "明年"
    code, out = cli_json("init", str(new), "--campaign", str(folder))
    assert code == 0, out
    assert sorted(p.name for p in new.iterdir()) == ["safetyreport.db", "safetyreport.toml", "schemas"]
    assert (new / "schemas" / "fire_hazards.toml").read_text(encoding="utf-8") == SCHEMA
    code, st = cli_json("status", "--period", "2021-09", "--config", str(new))
    assert code == 1 and {r["name"]: r["codes"] for r in st["submitters"]} == {
        "东园镇": ["missing"], "西山乡": ["missing"], "区住建局": ["missing"]}  # a fresh ledger
    code, out = cli_json("init", str(tmp_path / "又一个"), "--campaign", str(tmp_path / "没有这个"))
    assert code == 2 and "找不到活动文件夹" in out["error"]["message"]


def test_two_units_reporting_one_place_are_a_suspected_duplicate_until_decided(campaign):
    """The schema's duplicates (place, description): a township and a department both list 东园旧街's
    blocked exit, written differently; the clerk confirms it is one, and it is counted once."""
    folder, sept = campaign
    _write_openpyxl(sept / "区住建局.xlsx", "区住建局",
                    [("东园旧街（老街区）", "疏散通道被堵塞", "督促清理", "2021年10月31日", "孙八", "正在整改")])
    cfg = str(folder)
    code, merged = cli_json("merge", str(sept), "--period", "2021-09", "--new-ledger",
                            "--received-at", "2021-09-27 09:30", "--config", cfg)
    dups = merged["duplicates"]
    assert [(d["first"], d["second"], d["what"], d["verdict"]) for d in dups] == [("东园镇", "区住建局", "隐患", None)]
    assert len(merged["lists"]["fire_hazards"]) == 6
    code, out = cli_json("decide", dups[0]["id"], "same", "--config", cfg)
    assert code == 0, out
    _, merged = cli_json("merge", "--period", "2021-09", "--config", cfg)
    counted = [i for i in merged["lists"]["fire_hazards"] if not i["duplicate_of"]]
    assert len(counted) == 5 and merged["duplicates"][0]["verdict"] == "same"


def test_run_does_the_monthly_routine_of_a_campaign_of_lists(campaign):
    """`run` (cron's one command) for the monthly campaign: status, merge, its 简报 and the board."""
    folder, sept = campaign
    cfg = str(folder)
    cli_json("intake", str(sept), "--received-at", "2021-09-27 09:30", "--new-ledger", "--config", cfg)
    code, out = cli_json("run", "--period", "2021-09", "--config", cfg)
    assert code == 1, out  # 区住建局 did not file: status's verdict is the exit code
    assert out["report"]["briefing"]["lists"][0]["total"] == 5 and out["board"].endswith("报送看板.html")



def test_a_campaign_filed_once_by_a_fixed_date():
    """"11月20日前报送" (seed 001's 工作报告): one period, due that day, earlier off a day off."""
    from safetyreport.config import parse_config
    from safetyreport.errors import UserError
    from safetyreport.periods import filing_periods, parse_period

    once = parse_config(CONFIG.replace('cadence = "monthly"', 'cadence = "once"\nfirst_weekly = 2021-11-20'), "")
    (only,) = filing_periods(once)
    assert (only.key, only.label, only.deadline.date()) == ("2021-11-20", "一次性报送（11月19日）", dt.date(2021, 11, 19))
    assert parse_period(once, "第1期") == only and parse_period(once, "2021-11-20") == only
    with pytest.raises(UserError, match="只报送一次"):
        parse_period(once, "2021-10")
