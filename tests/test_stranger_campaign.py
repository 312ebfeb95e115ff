"""Issue 20's test of a campaign that is not shipped: set up as a new user would from seed 001's
notice — a county's 消防安全专项整治 with a monthly list of hazards "每月28日前" and a quarterly
statistics table "每季度末月24日前", townships and a department on the roster, another year — with
configuration and schema files only, and driven through the real CLI on filings written the way
units fill them by two writers (openpyxl and xlsxwriter)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from conftest import cli_json

LIST_SCHEMA = '''
id = "hazard_list"
name = "消防安全隐患问题清单"
title = "消防安全隐患问题清单"
layout = "list"
identify = ["隐患问题", "整改时限"]
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
label = "场所名称"
type = "text"
required = true
[[columns]]
key = "problem"
label = "隐患问题"
type = "text"
required = true
[[columns]]
key = "deadline"
label = "整改时限"
type = "date"
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
label = "已完成"
synonyms = ["已整改", "完成"]
closed = true
[[statuses]]
key = "open"
label = "整改中"
synonyms = ["未完成", "正在整改"]
'''

TABLE_SCHEMA = '''
id = "lane_stats"
name = "打通消防生命通道季度统计表"
title = "打通消防生命通道季度统计表"
layout = "table"
identify = ["已按标准划线", "现有数量"]
submitter_labels = ["填报单位"]
footer_date = true

[[rows]]
key = "estates"
label = "既有住宅小区"
[[rows]]
key = "old"
label = "老旧小区"
[[rows]]
key = "parking"
label = "公共停车场"

[[columns]]
key = "count"
label = "现有数量"
unit = "个"
flow = false
[[columns]]
key = "marked"
label = "已按标准划线"
unit = "个"
flow = false
[[columns]]
key = "rate"
label = "完成率"
type = "percent"
flow = false
derive = "marked / count * 100"
'''

CONFIG = '''
[campaign]
name = "南岭县消防安全专项整治"
district = "南岭县"
office = "南岭县消防安全专项整治办公室"
start = 2022-07-01
end = 2022-12-31
weekly_forms = ["hazard_list", "lane_stats"]
schemas_dir = "schemas"
places = ["东海省", "云州市"]

[deadlines]
# 隐患问题清单“每月28日前报送”；统计表“每季度末月24日前报送”：都带“前”，遇休息日提前
cadence = "monthly"
due_day = 28
due_time = "17:30"

[deadlines.forms.lane_stats]
cadence = "quarterly"
due_day = 24

[filing_status]
required_forms = { hazard_list = "always", lane_stats = "always" }

[briefing]
issuer = "南岭县消防安全专项整治办公室"

[[submitters]]
name = "龙门镇"
kind = "street"
label = "乡镇"

[[submitters]]
name = "石桥乡"
kind = "street"
label = "乡镇"

[[submitters]]
name = "县应急局"
kind = "unit"
label = "部门"
'''

HAZARDS = {
    "龙门镇": [("龙门农贸市场", "疏散通道堆放杂物", "2022年8月31日", "已完成"),
               ("龙门敬老院", "灭火器过期未更换", "9月15日前", "整改中")],
    "石桥乡": [("石桥中学", "消防车通道被占用", "2022.10.31", "正在整改"),
               ("龙门农贸市场", "疏散通道堆放杂物品", "2022年8月31日", "已整改")],
    "县应急局": [("无", "", "", "")],
}
# 现有数量, 已按标准划线, 完成率 as typed: a percentage, a fraction, blank (left to the tool)
LANES = {
    "龙门镇": [("既有住宅小区", 40, 30, "75%"), ("老旧小区", 12, 3, 0.25), ("公共停车场", 5, 5, None)],
    "石桥乡": [("既有住宅小区", 10, 10, "100%"), ("老旧小区", 8, 2, "25%"), ("公共停车场", 2, 0, "0%")],
}


def _list_openpyxl(path: Path, unit: str, rows: list[tuple]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "隐患清单"
    ws.append(["消防安全隐患问题清单"])
    ws.append([f"填报单位：{unit}"])
    ws.append(["序号", "场所名称", "隐患问题", "整改时限", "完成情况"])
    for n, r in enumerate(rows, start=1):
        ws.append([n if r[0] != "无" else None, *r])
    wb.save(path)


def _list_xlsxwriter(path: Path, unit: str, rows: list[tuple]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.merge_range(0, 0, 0, 4, "消防安全隐患问题清单")
    ws.write(1, 0, "填报单位：")
    ws.write(1, 1, unit)
    ws.write_row(3, 0, ["序号", "场所名称", "隐患问题", "整改时限", "完成情况"])
    for n, r in enumerate(rows, start=1):
        ws.write_row(3 + n, 0, [str(n), *r])
    wb.close()


def _table(path: Path, unit: str, rows: list[tuple], writer: str, date: str = "2022年9月22日") -> None:
    lines = [["打通消防生命通道季度统计表"], [f"填报单位：{unit}"], ["类别", "现有数量", "已按标准划线", "完成率"],
             *[list(r) for r in rows], [f"审核人：王一      填报人：李二      联系电话：13900000000      {date}"]]
    if writer == "openpyxl":
        wb = openpyxl.Workbook()
        for line in lines:
            wb.active.append(line)
        wb.save(path)
        return
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("统计表")
    for r, line in enumerate(lines):
        for c, v in enumerate(line):
            if v is not None:
                ws.write(r, c, v)
    book.close()


@pytest.fixture
def county(tmp_path):
    folder = tmp_path / "南岭消防"
    (folder / "schemas").mkdir(parents=True)
    (folder / "schemas" / "hazard_list.toml").write_text(LIST_SCHEMA, encoding="utf-8")
    (folder / "schemas" / "lane_stats.toml").write_text(TABLE_SCHEMA, encoding="utf-8")
    (folder / "safetyreport.toml").write_text(CONFIG, encoding="utf-8")
    aug, sept = tmp_path / "2022-08", tmp_path / "2022年9月"
    aug.mkdir()
    sept.mkdir()
    _list_openpyxl(aug / "龙门镇8月.xlsx", "龙门镇", HAZARDS["龙门镇"][:1])
    _list_xlsxwriter(aug / "石桥乡.xlsx", "石桥乡", HAZARDS["石桥乡"][:1])
    _list_openpyxl(sept / "龙门镇隐患清单.xlsx", "龙门镇", HAZARDS["龙门镇"])
    _list_xlsxwriter(sept / "石桥乡.xlsx", "石桥乡", HAZARDS["石桥乡"])
    _list_openpyxl(sept / "县应急局.xlsx", "县应急局", HAZARDS["县应急局"])
    _table(sept / "龙门镇第三季度统计表.xlsx", "龙门镇", LANES["龙门镇"], "openpyxl")
    return folder, aug, sept


def _take(folder: Path, files: Path | list[Path], at: str) -> dict:
    paths = [str(p) for p in files] if isinstance(files, list) else [str(files)]
    new = [] if (folder / "safetyreport.db").exists() else ["--new-ledger"]
    code, out = cli_json("intake", *paths, "--received-at", at, *new, "--config", str(folder))
    assert code in (0, 1), out
    return out


def test_the_quarterly_table_is_due_only_in_the_quarters_last_month(county):
    folder, aug, sept = county
    cfg = str(folder)
    # 2022-09-24 is a Saturday: "24日前" moves to Friday the 23rd; 2022-Q3 names the month it is due in
    code, out = cli_json("status", "--period", "2022-Q3", "--config", cfg)
    assert code == 2 and "intake、merge 或 fetch 加 --new-ledger" in out["error"]["message"]  # no such option on status
    _take(folder, aug, "2022-08-26 10:00")
    code, out = cli_json("status", "--period", "2022-Q3", "--config", cfg)
    assert code in (0, 1), out
    assert out["period"]["key"] == "2022-09"
    assert out["form_deadlines"] == {"lane_stats": "2022-09-23T17:30:00+08:00"}
    code, out = cli_json("status", "--period", "2022-08", "--config", cfg)
    assert out["required_forms"] == {"hazard_list": "always"} and out["form_deadlines"] == {}
    # the blank forms of a month carry the forms due in it
    code, out = cli_json("forms", "--period", "2022-08", "--submitter", "龙门镇", "--out", str(folder / "空表"), "--config", cfg)
    assert code == 0, out
    sheets = openpyxl.load_workbook(out["files"][0]).sheetnames
    assert "打通消防生命通道季度统计表" not in "".join(sheets) and len([s for s in sheets if not s.startswith("_")]) == 1
    code, out = cli_json("forms", "--period", "2022-09", "--submitter", "龙门镇", "--out", str(folder / "空表"), "--config", cfg)
    assert len([s for s in openpyxl.load_workbook(out["files"][0]).sheetnames if not s.startswith("_")]) == 2


def test_a_county_campaign_with_a_monthly_list_and_a_quarterly_table(county, tmp_path):
    folder, aug, sept = county
    cfg = str(folder)
    _take(folder, aug, "2022-08-26 10:00")
    _take(folder, sept, "2022-09-22 16:00")
    # 石桥乡's table: two days after the table's deadline, still before the list's; its footer date
    # (9月25日) places it in September
    late = tmp_path / "石桥乡季度表.xlsx"
    _table(late, "石桥乡", LANES["石桥乡"], "xlsxwriter", "2022年9月25日")
    taken = _take(folder, late, "2022-09-25 09:00")
    assert taken["taken"][0]["period"] == "2022-09" and taken["taken"][0]["findings"] == [], taken

    code, st = cli_json("status", "--period", "2022-09", "--config", cfg)
    rows = {r["name"]: r for r in st["submitters"]}
    assert rows["龙门镇"]["codes"] == ["on_time"]
    assert rows["石桥乡"]["codes"] == ["late"] and rows["石桥乡"]["late_by_minutes"] == (24 * 60 + 15 * 60 + 30)
    assert rows["石桥乡"]["reasons"] == "打通消防生命通道季度统计表晚于其截止时间 1 天 15 小时 30 分钟"
    assert rows["县应急局"]["codes"] == ["missing"] and rows["县应急局"]["missing_forms"] == ["lane_stats"]
    code, st = cli_json("status", "--period", "2022-08", "--config", cfg)
    assert {r["name"]: r["codes"] for r in st["submitters"]} == {
        "龙门镇": ["on_time"], "石桥乡": ["on_time"], "县应急局": ["missing"]}

    code, merged = cli_json("merge", "--period", "2022-09", "--out", str(tmp_path / "汇总"), "--config", cfg)
    assert code in (0, 1), merged
    # the table: each row's figures summed over the units; 完成率 computed from the sums, never summed
    assert merged["sums"]["lane_stats"] == {
        "既有住宅小区": {"count": 50, "marked": 40, "rate": 80.0},
        "老旧小区": {"count": 20, "marked": 5, "rate": 25.0},
        "公共停车场": {"count": 7, "marked": 5, "rate": 71.4}}
    # the list: every record, 县应急局's 无 none; 整改时限 passed and not done is 逾期
    records = merged["lists"]["hazard_list"]
    assert sorted((r["submitter"], r["values"]["place"]) for r in records) == sorted([
        ("石桥乡", "石桥中学"), ("石桥乡", "龙门农贸市场"), ("龙门镇", "龙门敬老院"), ("龙门镇", "龙门农贸市场")])
    overdue = [f for f in merged["findings"] if f["code"] == "overdue"]
    assert [(f["cell"], "龙门敬老院" in f["message"]) for f in overdue] == [("D5", True)]
    dup = [d for d in merged["duplicates"] if d["form"] == "hazard_list"]
    assert len(dup) == 1 and {dup[0]["first"], dup[0]["second"]} == {"龙门镇", "石桥乡"}
    assert merged["list_counts"]["hazard_list"] == {"records": 4, "closed": 2}
    code, out = cli_json("decide", dup[0]["id"], "same", "--config", cfg)
    assert code == 0, out
    code, merged = cli_json("merge", "--period", "2022-09", "--out", str(tmp_path / "汇总"), "--config", cfg)
    assert merged["list_counts"]["hazard_list"] == {"records": 3, "closed": 1}

    # the consolidated workbook: the table's 合计 lines, the list's records
    book = openpyxl.load_workbook(merged["outputs"]["workbook"], read_only=True)
    table = [r for r in book["打通消防生命通道季度统计表汇总"].iter_rows(values_only=True) if r and r[0] == "合计"]
    assert ("合计", "2022-09", "老旧小区", "完成率", 25) in [tuple(x) for x in table]
    listed = [r for r in book["消防安全隐患问题清单汇总"].iter_rows(min_row=4, values_only=True) if r and isinstance(r[0], int)]
    assert len(listed) == 4

    # the county's filing to the city: the table laid out from its schema with the county's sums
    filing = openpyxl.load_workbook(merged["outputs"]["district_filing"], read_only=True)
    rows = {r[0]: r[1:4] for ws in filing.worksheets for r in ws.iter_rows(values_only=True) if r and r[0] in
            ("既有住宅小区", "老旧小区", "公共停车场")}
    assert rows == {"既有住宅小区": (50, 40, 80), "老旧小区": (20, 5, 25), "公共停车场": (7, 5, 71.4)}

    # October: the table is not due (carried), the list is
    code, st = cli_json("status", "--period", "2022-10", "--config", cfg)
    assert st["required_forms"] == {"hazard_list": "always"}
    code, merged = cli_json("merge", "--period", "2022-10", "--out", str(tmp_path / "汇总10"), "--config", cfg)
    assert merged["sums"]["lane_stats"]["老旧小区"] == {"count": 20, "marked": 5, "rate": 25.0}
    assert {s["name"]: s["forms"]["lane_stats"]["period"] for s in merged["submitters"] if "lane_stats" in s["forms"]} == {
        "龙门镇": "2022-09", "石桥乡": "2022-09"}


def test_the_county_campaigns_briefing_and_summary_come_from_its_schemas(county, tmp_path):
    folder, aug, sept = county
    cfg = str(folder)
    _take(folder, aug, "2022-08-26 10:00")
    _take(folder, sept, "2022-09-22 16:00")
    code, out = cli_json("report", "weekly", "--period", "2022-09", "--format", "md,docx", "--config", cfg)
    assert code == 0, out
    b = out["briefing"]
    table = b["tables"][0]
    assert table["label"] == "打通消防生命通道季度统计表" and table["filed"] == 1
    assert [r["label"] for r in table["rows"]] == ["既有住宅小区", "老旧小区", "公共停车场"]
    # the first quarter: nothing to compare with (August carried no table), so no change is told
    assert table["rows"][1]["figures"] == ["12", "3", "25.0%"] and not table["compared"]
    assert [(u["name"], u["state"]) for u in table["units"]] == [("龙门镇", "本期报送"), ("石桥乡", "未报送"), ("县应急局", "未报送")]
    assert table["units"][0]["figures"] == ["57", "38", "66.7%"] and table["ranked_by"] == "完成率"
    hazards = b["lists"][0]
    assert (hazards["total"], hazards["new"], hazards["closed"], hazards["open"]) == (4, 2, 2, 2)
    # open longest: 石桥中学 listed since August (received 8月26日, 33 days to 9月28日), 敬老院 new in September
    assert hazards["longest_open"] == [{"days": 33, "unit": "石桥乡", "text": "石桥中学“消防车通道被占用”"},
                                       {"days": 6, "unit": "龙门镇", "text": "龙门敬老院“灭火器过期未更换”"}]
    assert [{d["first"], d["second"]} for d in hazards["suspected"]] == [{"石桥乡", "龙门镇"}]
    md = Path(next(f for f in out["files"] if f.endswith(".md"))).read_text(encoding="utf-8")
    assert "| 老旧小区 | 12 | 3 | 25.0% |" in md
    assert "尚未完成、报送最久的：石桥乡报送的石桥中学“消防车通道被占用”（已 33 天）；" in md and "疑似重复、请核实：" in md
    assert "漏报：石桥乡、县应急局。" in md and md.startswith("南岭县消防安全专项整治\n\n# 工作简报\n\n第3期")
    assert "2021" not in md and "鲤城" not in md
    code, out = cli_json("report", "summary", "--config", cfg)
    assert code == 0, out
    b = out["briefing"]
    assert b["totals"]["tables"]["lane_stats"]["公共停车场"] == {"count": 5, "marked": 5, "rate": 100.0}
    assert {r["name"]: (r["按时"], r["漏报"]) for r in b["filing"]["record"]} == {
        "龙门镇": (2, 1), "石桥乡": (1, 2), "县应急局": (0, 3)}
    code, out = cli_json("report", "monthly", "--month", "2022-09", "--config", cfg)
    assert code == 2 and "report summary" in out["error"]["message"]
    # the board, the export and the reminder follow the same rhythm: the reminder before 9月23日 asks
    # for the table too, the one for October only for the list
    code, out = cli_json("board", "--config", cfg)
    assert code == 0, out
    page = Path(out["file"]).read_text(encoding="utf-8")  # its own lists, never the built-in campaign's figures
    assert "消防安全隐患问题清单（全部记录）" in page and "累计发现隐患" not in page and "重大隐患" not in page
    code, out = cli_json("export", "--format", "csv", "--out", str(tmp_path / "导出"), "--config", cfg)
    assert code == 0, out
    from safetyreport.config import load_config
    from safetyreport.ledger.status import period_status
    from safetyreport.ledger.store import Ledger
    from safetyreport.mail.send import reminder_messages
    from safetyreport.periods import parse_period

    conf = load_config(folder)
    with Ledger.of(conf) as ledger:
        report = period_status(conf, ledger, parse_period(conf, "2022-Q3"), conf.schema_set)
    for row in report.rows:
        row.submitter = row.submitter.model_copy(update={"email": "x@example.gov.cn"})
    mails = {m.text.split("：")[0]: m for m in reminder_messages(conf, report, "test")}
    assert sorted(mails) == ["县应急局", "石桥乡"]  # 龙门镇 sent both
    assert "尚未报送：打通消防生命通道季度统计表（09月23日 17:30前）。" in mails["石桥乡"].text
    assert "请于 09月23日 17:30 前报送" in mails["石桥乡"].subject
    # a reminder sent after the table's own deadline asks for it at once, not by a date gone
    import datetime as dt

    late = dt.datetime(2022, 9, 26, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    mails = {m.text.split("：")[0]: m for m in reminder_messages(conf, report, "test", at=late)}
    assert "尚未报送：打通消防生命通道季度统计表（09月23日 17:30已截止，请尽快报送）。" in mails["石桥乡"].text
    assert mails["石桥乡"].subject.endswith("报表已过截止时间，请尽快报送")


def test_a_fields_form_is_summed_reported_and_laid_out_for_the_level_above(tmp_path):
    """《打通消防生命通道工作统计表》 (a fields form: each figure found by its row and column label)
    as a campaign's only form: summed with its rates recomputed, told in the 简报, and laid out in
    the filing for the level above so that the same reader finds every figure again."""
    from safetyreport.config import load_config
    from safetyreport.reading.reader import read_file

    root = Path(__file__).resolve().parents[1]
    folder = tmp_path / "生命通道"
    folder.mkdir()
    config = CONFIG.replace('weekly_forms = ["hazard_list", "lane_stats"]', 'weekly_forms = ["fire_lanes"]')
    config = config.replace('schemas_dir = "schemas"\n', "").replace("[deadlines.forms.lane_stats]\ncadence = \"quarterly\"\ndue_day = 24\n", "")
    config = config.replace('required_forms = { hazard_list = "always", lane_stats = "always" }', 'required_forms = { fire_lanes = "always" }')
    (folder / "safetyreport.toml").write_text(config.replace('name = "龙门镇"', 'name = "常泰街道"'), encoding="utf-8")
    sept = tmp_path / "2022-09"
    sept.mkdir()
    (sept / "常泰街道.xlsx").write_bytes((root / "samples" / "fire_lanes" / "常泰街道_消防生命通道.xlsx").read_bytes())
    code, merged = cli_json("merge", str(sept), "--period", "2022-09", "--new-ledger", "--received-at", "2022-09-20 10:00",
                            "--out", str(tmp_path / "汇总"), "--config", str(folder))
    assert code == 0, merged
    sums = merged["sums"]["fire_lanes"][""]
    assert (sums["existing_res_count"], sums["existing_res_marked"], sums["existing_res_rate"]) == (120, 90, 75.0)
    assert sums["old_res_rate"] == round(100 * 20 / 46, 1)
    cfg = load_config(folder)
    read = read_file(Path(merged["outputs"]["district_filing"]), cfg.schema_set.only(["fire_lanes"]), cfg.roster)
    (form,) = read.forms
    again = {k: c.value for k, c in form.table[""].items()}
    assert {k: (again.get(k), v) for k, v in sums.items() if again.get(k) != pytest.approx(v)} == {}
    code, out = cli_json("report", "weekly", "--period", "2022-09", "--format", "md", "--config", str(folder))
    assert code == 0, out
    md = Path(out["files"][0]).read_text(encoding="utf-8")
    assert "| 既有住宅小区划线完成率 | 75.0% |" in md and "| 老旧小区现有数量（个） | 46 |" in md
