"""Verdicts a unit can trust: filings written the way units really fill them are never called
错报 or 漏报. Every rule here comes from the notice (seeds/000, 附件2–5 and the forms' 注), and
every test drives the real CLI on real workbooks from two writers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import PERSON, SCHEMAS, a3_layout, cli, cli_json, write
from safetyreport.checking.identity import same_hazard
from safetyreport.outputs.layout import footer_text, layout_form
from safetyreport.reading.grid import a1
from safetyreport.workflow import init_job

FOOT = footer_text(*PERSON, date="2021年9月23日")
ENFORCEMENT = ("ordered", "suspended", "closed", "fined_count", "fine_amount", "other_penalties")


def a3(submitter: str, **cumulative) -> object:
    """附件3 with these cumulative figures (当周 equal: a first week), zeros elsewhere; 总数 kept
    equal to 一般 + 重大 so the form itself is right."""
    values = dict(cumulative)
    for group in ("found", "fixed", "insp_found", "insp_fixed"):
        values[f"{group}_total"] = values.get(f"{group}_general", 0) + values.get(f"{group}_major", 0)
    return a3_layout({(row, k): v for k, v in values.items() for row in ("cumulative", "weekly")}, submitter)


def listed(schema_id: str, submitter: str, records: list[dict], blank_rows: int = 2) -> object:
    lay = layout_form(SCHEMAS[schema_id], submitter=submitter, records=len(records) + blank_rows)
    for i, rec in enumerate(records):
        for key, v in rec.items():
            lay.cells[lay.data_cells[(str(i), key)]] = v
    lay.cells[(lay.footer_row, 0)] = FOOT
    return lay


def a6(submitter: str) -> object:
    lay = layout_form(SCHEMAS["a6"], submitter=submitter)
    for (_row, col), rc in lay.data_cells.items():
        lay.cells[rc] = 2 if col == "existing" else 0
    lay.cells[(lay.footer_row, 0)] = FOOT
    return lay


def hazard(place: str, text: str, status: str = "正在整改", seq: int = 1) -> dict:
    return {"seq": seq, "place": place, "hazard": text, "measures": "限期整改", "status": status}


@pytest.fixture
def campaign(tmp_path):
    folder = tmp_path / "c"
    init_job(folder)
    return folder / "safetyreport.toml"


def take(cfg: Path, path: Path, period: str = "2021-09-23", when: str = "2021-09-23 09:00") -> dict:
    code, data = cli_json("intake", str(path), "--period", period, "--received-at", when, "--config", str(cfg))
    errors = any(f["severity"] == "error" for t in data["taken"] if t["new"] for f in t["findings"])
    assert code == (1 if errors else 0), data  # a file taken with errors: 1, as validate says of it
    return data


def row(data: dict, name: str) -> dict:
    return next(s for s in data["submitters"] if s["name"] == name)


def errors(report: dict) -> list[tuple[str, str]]:
    return [(f["code"], f["message"]) for x in report["files"] for f in x["findings"] if f["severity"] == "error"]


# --- 1. "no records" rows --------------------------------------------------------------------


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter", "xlwt"])
def test_a_none_row_means_an_empty_list_not_a_record(tmp_path, campaign, writer):
    """附件4 “认定为重大隐患的” and 附件5 “根据执法检查工作开展情况”: a unit with nothing to list
    writes 无 / 暂无 — in the first column, or in every column with a 序号."""
    quiet = dict(found_general=3)
    files = []
    for name, a4_row, a5_row in (
            ("开元街道", {"place": "无"}, {"suspended": "暂无"}),
            ("鲤中街道", {"seq": 1, "place": "暂无", "hazard": "暂无", "measures": "暂无", "status": "暂无"},
             {"suspended": "无", "closed": "无", "fined": "无", "fine_amount": 0}),
            ("区教育局", {"place": "本周无"}, {"fined": "无此情况", "fine_amount": "—"})):
        files.append(write([a3(name, **quiet), listed("a4", name, [a4_row]), listed("a5", name, [a5_row]),
                            a6(name)], tmp_path / "in" / name, writer))
    code, report = cli_json("validate", str(tmp_path / "in"))
    assert code == 0 and errors(report) == []
    assert all(sorted(f["forms"]) == ["a3", "a4", "a5", "a6"] for f in report["files"])
    code, merged = cli_json("merge", str(tmp_path / "in"), "--period", "2021-09-23", "--received-at",
                            "2021-09-23 09:00", "--config", str(campaign))
    assert code == 0, merged["findings"]
    assert merged["lists"]["a4"] == [] and merged["lists"]["a5"] == []  # no 无 record, anywhere
    assert merged["duplicates"] == []  # three units' 无 are not "the same hazard"
    code, status = cli_json("status", "--period", "2021-09-23", "--config", str(campaign))
    for name in ("开元街道", "鲤中街道", "区教育局"):
        assert row(status, name)["status"] == "按时", row(status, name)


def test_a_none_row_beside_real_records_is_not_a_record(tmp_path):
    path = write([a3("开元街道", found_major=1), listed("a4", "开元街道", [hazard("清源山", "栏杆锈蚀松动"),
                                                                      {"seq": 2, "place": "无"}])],
                 tmp_path / "开元街道")
    code, report = cli_json("validate", str(path))
    assert code == 0 and errors(report) == []


@pytest.mark.parametrize("word", ["暂无", "零", "未发现", "无", "—", "/"])
def test_words_for_zero_in_number_cells_read_as_0_with_one_warning(tmp_path, word):
    lay = a3("开元街道", found_general=2)
    lay.cells[lay.data_cells[("cumulative", "reports")]] = word
    lay.cells[lay.data_cells[("weekly", "reports")]] = word
    code, report = cli_json("validate", str(write([lay], tmp_path / "开元街道", "xlsxwriter")))
    assert code == 0
    findings = report["files"][0]["findings"]
    assert [f["code"] for f in findings] == ["blank-as-zero"]
    assert "2 个数字格" in findings[0]["message"]


def test_none_words_are_schema_data_not_code(tmp_path):
    """A campaign adds its own word for "none" in its schema file; no Python changes."""
    text = (SCHEMAS["a4"].model_dump_json())
    assert "暂无" in text  # the shipped words live in the built-in campaign's schemas/a4.toml
    from safetyreport.shipped import builtin_campaign

    schemas = builtin_campaign() / "schemas"
    assert "none_words" in (schemas / "a4.toml").read_text(encoding="utf-8")
    assert "zero_words" in (schemas / "a3.toml").read_text(encoding="utf-8")


# --- 2. 重大隐患 from two sources ------------------------------------------------------------------


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter"])
def test_major_hazards_found_by_supervision_agree_with_the_list(tmp_path, writer):
    """Member units find most 重大隐患 by 监督检查: 附件4 counts both sources."""
    form = a3("区文旅局", insp_found_general=4, insp_found_major=2, insp_fixed_major=1)
    a4 = listed("a4", "区文旅局", [hazard("北峰水库", "泄洪道护栏缺失"),
                                  hazard("江滨游船码头", "救生设备不足", "整改完成", 2)])
    code, report = cli_json("validate", str(write([form, a4], tmp_path / "区文旅局", writer)))
    assert code == 0 and errors(report) == []
    short = listed("a4", "区文旅局", [hazard("北峰水库", "泄洪道护栏缺失")])
    code, report = cli_json("validate", str(write([form, short], tmp_path / "少一条", writer)))
    assert code == 1
    [(kind, message)] = [e for e in errors(report) if e[0] == "count-mismatch" and e[1].startswith("附件4重大隐患共")]
    assert "排查发现重大隐患" in message and "监督检查发现重大隐患" in message and "= 2" in message


# --- 3. forms required when they have something to say ----------------------------------------


def test_a_unit_with_nothing_for_attachments_4_and_5_is_on_time(tmp_path, campaign):
    take(campaign, write([a3("区委统战部（区民族宗教局）", found_general=2), a6("区委统战部（区民族宗教局）")],
                         tmp_path / "统战部"))
    take(campaign, write([a3("区教育局", insp_found_major=1), a6("区教育局")], tmp_path / "教育局"))
    take(campaign, write([a3("区城管局", ordered=2), a6("区城管局")], tmp_path / "城管局"))
    code, status = cli_json("status", "--period", "2021-09-23", "--config", str(campaign))
    nil = row(status, "区委统战部（区民族宗教局）")
    assert nil["status"] == "按时" and nil["required_forms"] == ["a3", "a6"] and nil["missing_forms"] == []
    edu = row(status, "区教育局")  # a 重大隐患 found by 监督检查: 附件4 is due
    assert edu["status"] == "漏报" and edu["missing_forms"] == ["a4"]
    assert edu["reasons"].startswith("缺附件4")
    city = row(status, "区城管局")  # 限期整改 is 执法检查: 附件5 is due
    assert city["status"] == "漏报" and city["missing_forms"] == ["a5"]
    # only required forms are expected: 18 × (附件3, 附件6) + 附件4 of 区教育局 + 附件5 of 区城管局
    assert status["expected_reports"] == 38 and status["actual_reports"] == 6
    code, out = cli("status", "--period", "2021-09-23", "--config", str(campaign))
    assert "未报工作情况" in out


def test_the_office_may_make_a_form_always_required(tmp_path, campaign):
    text = campaign.read_text(encoding="utf-8").replace('a4 = "when-reported"', 'a4 = "always"')
    campaign.write_text(text, encoding="utf-8")
    take(campaign, write([a3("区委统战部（区民族宗教局）"), a6("区委统战部（区民族宗教局）")], tmp_path / "t"))
    _, status = cli_json("status", "--period", "2021-09-23", "--config", str(campaign))
    assert row(status, "区委统战部（区民族宗教局）")["missing_forms"] == ["a4"]  # 附件5 still when-reported


# --- 4. 错报 declared and explained ---------------------------------------------------------------


def _wrong_then_right(tmp_path, campaign, fixed_at: str):
    bad = a3("开元街道", found_general=3)
    bad.cells[bad.data_cells[("cumulative", "found_total")]] = 4  # 4 ≠ 3 + 0
    take(campaign, write([bad, a6("开元街道")], tmp_path / "开元街道_错"), when="2021-09-23 08:00")
    take(campaign, write([a3("开元街道", found_general=3), a6("开元街道")], tmp_path / "开元街道_改"),
         when=fixed_at)
    return a1(*bad.data_cells[("cumulative", "found_total")])


def test_wrong_is_named_with_file_cell_and_message(tmp_path, campaign):
    cell = _wrong_then_right(tmp_path, campaign, "2021-09-23 10:00")
    _, status = cli_json("status", "--period", "2021-09-23", "--config", str(campaign))
    k = row(status, "开元街道")
    assert k["status"] == "错报" and "错报认定" not in k["reasons"]
    [wrong] = k["wrong"]
    assert wrong["file"] == "开元街道_错.xlsx" and wrong["corrected_before_deadline"] is True
    [error] = wrong["errors"]
    assert (error["code"], error["sheet"], error["cell"]) == ("sum-mismatch", "附件3", cell)
    assert "排查发现隐患总数 4" in error["message"]
    assert f"开元街道_错.xlsx：附件3!{cell}" in k["reasons"]
    code, out = cli("status", "--period", "2021-09-23", "--email", "--dry-run", "--config", str(campaign))
    assert "错报认定：报送的报表有错误即记错报" in out and f"开元街道_错.xlsx：附件3!{cell}" in out


def test_an_office_may_forgive_a_correction_before_the_deadline(tmp_path, campaign):
    text = campaign.read_text(encoding="utf-8").replace("wrong_if_corrected_before_deadline = true",
                                                        "wrong_if_corrected_before_deadline = false")
    campaign.write_text(text, encoding="utf-8")
    _wrong_then_right(tmp_path, campaign, "2021-09-23 10:00")
    _, status = cli_json("status", "--period", "2021-09-23", "--config", str(campaign))
    assert row(status, "开元街道")["status"] == "按时"
    assert "截止前已更正的不记错报" in status["wrong_rule"]
    code, out = cli("status", "--period", "2021-09-23", "--email", "--dry-run", "--config", str(campaign))
    assert "错报认定：截止时报表仍有错误的记错报；截止前已更正的不记错报。" in out


def test_a_correction_after_the_deadline_is_still_wrong_when_forgiving(tmp_path, campaign):
    text = campaign.read_text(encoding="utf-8").replace("wrong_if_corrected_before_deadline = true",
                                                        "wrong_if_corrected_before_deadline = false")
    campaign.write_text(text, encoding="utf-8")
    _wrong_then_right(tmp_path, campaign, "2021-09-23 15:00")
    _, status = cli_json("status", "--period", "2021-09-23", "--config", str(campaign))
    k = row(status, "开元街道")
    assert k["status"] == "错报" and k["wrong"][0]["corrected_before_deadline"] is False


def test_warnings_never_make_a_unit_wrong(tmp_path, campaign):
    lay = a3("开元街道", found_general=3)
    lay.cells[lay.data_cells[("weekly", "reports")]] = "暂无"  # blank-as-zero: a warning
    take(campaign, write([lay, a6("开元街道")], tmp_path / "k"))
    _, status = cli_json("status", "--period", "2021-09-23", "--config", str(campaign))
    assert row(status, "开元街道")["status"] == "按时"


# --- 5. receipt times say where they come from -------------------------------------------------


def test_a_late_receipt_from_a_file_time_is_to_be_verified(tmp_path, campaign):
    import os

    path = write([a3("开元街道"), a6("开元街道")], tmp_path / "开元街道")
    late = dt.datetime(2021, 9, 23, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()
    os.utime(path, (late, late))
    code, data = cli_json("intake", str(path), "--period", "2021-09-23", "--config", str(campaign))
    assert data["taken"][0]["received_source"] == "file-time"
    code, status = cli_json("status", "--period", "2021-09-23", "--config", str(campaign))
    k = row(status, "开元街道")
    assert k["status"] == "迟报（待核实）" and k["late_verified"] is False
    assert k["received_source"] == {"a3": "file-time", "a6": "file-time"}
    assert "文件修改时间" in k["reasons"] and "待核实" in k["reasons"]
    assert "另有 1 个迟报待核实" in status["summary"]
    code, out = cli("status", "--period", "2021-09-23", "--config", str(campaign))
    assert "文件修改时间" in out
    code, out = cli("status", "--period", "2021-09-23", "--email", "--notify-submitters", "--dry-run",
                    "--config", str(campaign))
    assert "核实实际收件时间后再通报" in out
    assert "kaiyuan@example.invalid" not in out  # no unit is told it was late on a guess


def test_merge_takes_the_receipt_time_it_is_given(tmp_path, campaign):
    inbox = tmp_path / "2021-09-23"
    write([a3("开元街道"), a6("开元街道")], inbox / "开元街道")
    code, merged = cli_json("merge", str(inbox), "--received-at", "2021-09-23 15:00", "--config", str(campaign))
    assert code == 0
    _, status = cli_json("status", "--period", "2021-09-23", "--config", str(campaign))
    k = row(status, "开元街道")
    assert k["status"] == "迟报" and k["late_verified"] is True and k["received_source"]["a3"] == "given"
    assert k["late_by_minutes"] == 180


# --- 6. hazard identity survives real editing ----------------------------------------------------

# (place, hazard) as two clerks or two weeks wrote them; thresholds in identity.py come from here
MUST_MATCH = [
    (("开元寺", "电气线路私拉乱接"), ("开元寺景区", "电气线路私拉乱接问题")),
    (("清源山景区", "山体边坡落石隐患"), ("清源山", "边坡存在落石风险")),
    (("西街", "栏杆锈蚀松动"), ("西街", "护栏锈蚀、松动")),
    (("泉州府文庙（景点）", "消防通道被占用"), ("府文庙", "消防通道被杂物占用")),
    (("晋江滨江公园", "临水区域未设警示标志"), ("晋江滨江公园 ", "临水区域未设置安全警示标志")),
    (("ＡＢ游乐园", "游乐设施未年检"), ("AB游乐园", "游乐设施未按期年检")),
    (("福建省泉州市天后宫", "电气线路老化"), ("天后宫", "电气线路老化严重")),
    (("西街", "栏杆锈蚀松动"), ("西街历史文化街区", "栏杆锈蚀松动，已更换部分")),
]
MUST_NOT_MATCH = [
    (("开元寺", "电气线路私拉乱接"), ("承天寺", "电气线路私拉乱接")),  # another place
    (("清源山景区", "消防通道被占用"), ("清源山景区", "栏杆锈蚀松动")),  # another hazard
    (("天后宫", "电气线路老化"), ("天后宫", "电气线路私拉乱接")),
    (("笋江公园", "临水区域未设警示标志"), ("江南亲水公园", "临水区域未设警示标志")),
    (("清源山景区（老君岩）", "山体边坡落石隐患"), ("清源山景区（千手岩）", "山体边坡落石隐患")),
    (("临江步道", "临水区域未设警示标志"), ("临江步道", "临水栏杆损坏")),
    (("关岳庙", "消防设施损坏"), ("关岳庙", "消防通道被占用")),
]


@pytest.mark.parametrize("a,b", MUST_MATCH)
def test_the_same_hazard_as_clerks_retype_it(a, b):
    assert same_hazard(*a, *b) and same_hazard(*b, *a)


@pytest.mark.parametrize("a,b", MUST_NOT_MATCH)
def test_different_hazards_stay_apart(a, b):
    assert not same_hazard(*a, *b) and not same_hazard(*b, *a)


def test_a_renamed_place_is_neither_a_vanished_hazard_nor_a_missed_duplicate(tmp_path, campaign):
    week1 = [a3("开元街道", found_major=1), listed("a4", "开元街道", [hazard("开元寺", "电气线路私拉乱接")])]
    week2 = [a3("开元街道", found_major=1, fixed_major=1),
             listed("a4", "开元街道", [hazard("开元寺景区", "电气线路私拉乱接问题", "整改完成")])]
    take(campaign, write(week1, tmp_path / "w1" / "开元街道"), "2021-09-16", "2021-09-16 09:00")
    take(campaign, write(week2, tmp_path / "w2" / "开元街道", "xlsxwriter"), "2021-09-23", "2021-09-23 09:00")
    take(campaign, write([a3("区文旅局", insp_found_major=1),
                          listed("a4", "区文旅局", [hazard("开元寺（景区）", "电气线路私拉乱接")])],
                         tmp_path / "w2" / "区文旅局"), "2021-09-23", "2021-09-23 09:00")
    code, merged = cli_json("merge", "--period", "2021-09-23", "--config", str(campaign))
    codes = [f["code"] for f in merged["findings"]]
    assert "hazard-disappeared" not in codes and "status-reverted" not in codes
    [dup] = merged["duplicates"]
    assert {dup["first"], dup["second"]} == {"开元街道", "区文旅局"} and dup["what"] == "重大隐患"


def test_a_hazard_dropped_from_the_list_is_still_found(tmp_path, campaign):
    take(campaign, write([a3("开元街道", found_major=2),
                          listed("a4", "开元街道", [hazard("开元寺", "电气线路私拉乱接"),
                                                    hazard("西街", "栏杆锈蚀松动", seq=2)])],
                         tmp_path / "w1" / "k"), "2021-09-16", "2021-09-16 09:00")
    take(campaign, write([a3("开元街道", found_major=2),
                          listed("a4", "开元街道", [hazard("开元寺景区", "电气线路私拉乱接"),
                                                    hazard("承天寺", "栏杆锈蚀松动", seq=2)])],
                         tmp_path / "w2" / "k"), "2021-09-23", "2021-09-23 09:00")
    _, merged = cli_json("merge", "--period", "2021-09-23", "--config", str(campaign))
    gone = [f for f in merged["findings"] if f["code"] == "hazard-disappeared"]
    assert len(gone) == 1 and "西街" in gone[0]["message"]


# --- 7. counts versus names in 附件5 -------------------------------------------------------------


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter"])
def test_a_firm_fined_in_two_weeks_is_two_penalties_and_no_duplicate(tmp_path, campaign, writer):
    firm = "泉州古城文化旅游有限公司"
    week1 = [a3("金龙街道", fined_count=1, fine_amount=0.5),
             listed("a5", "金龙街道", [{"fined": firm, "fine_amount": 0.5}]), a6("金龙街道")]
    fig2 = a3("金龙街道", fined_count=2, fine_amount=1.3)
    for key, v in (("fined_count", 1), ("fine_amount", 0.8)):
        fig2.cells[fig2.data_cells[("weekly", key)]] = v
    week2 = [fig2, listed("a5", "金龙街道", [{"fined": firm, "fine_amount": 0.5},
                                            {"fined": firm, "fine_amount": 0.8}]), a6("金龙街道")]
    take(campaign, write(week1, tmp_path / "w1" / "金龙街道", writer), "2021-09-16", "2021-09-16 09:00")
    path = write(week2, tmp_path / "w2" / "金龙街道", writer)
    code, report = cli_json("validate", str(path))
    assert code == 0 and errors(report) == []
    take(campaign, path, "2021-09-23", "2021-09-23 09:00")
    code, merged = cli_json("merge", "--period", "2021-09-23", "--config", str(campaign))
    assert code == 0, merged["findings"]
    assert merged["duplicates"] == [] and merged["list_counts"]["a5"]["fined"] == 2
    _, status = cli_json("status", "--period", "2021-09-23", "--config", str(campaign))
    assert row(status, "金龙街道")["status"] == "按时"


# --- 8. stocks are not summed twice --------------------------------------------------------------


def test_places_are_counted_by_the_streets_and_units_shown_beside(tmp_path, campaign):
    inbox = tmp_path / "2021-09-23"
    write([a3("开元街道", sites=12), a6("开元街道")], inbox / "开元街道")
    write([a3("鲤中街道", sites=8), a6("鲤中街道")], inbox / "鲤中街道", "xlsxwriter")
    write([a3("区文旅局", sites=5), a6("区文旅局")], inbox / "区文旅局")
    code, merged = cli_json("merge", str(inbox), "--received-at", "2021-09-23 09:00", "--config", str(campaign))
    totals = merged["totals"]
    assert totals["cumulative"]["sites"] == 20 and totals["weekly"]["sites"] == 20
    assert totals["units_stock"] == {"sites": 5}
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(merged["outputs"]["district_filing"])
    rows = book.get_sheet_by_name("附件3").to_python()
    cum = next(r for r in rows if r and r[0] == "累计数")
    wk = next(r for r in rows if r and r[0] == "当周数")
    assert cum[1] == 20 and wk[1] == 20  # the district filing's 当周数 carries the stock
    summary = CalamineWorkbook.from_path(merged["outputs"]["workbook"]).get_sheet_by_name("附件3汇总").to_python()
    assert any("成员单位另报 5家" in str(c) for r in summary for c in r)


# --- 9. a deadline that says 前 never moves later -------------------------------------------------


def test_deadlines_stated_with_qian_move_earlier(campaign):
    from safetyreport.config import load_config
    from safetyreport.periods import final_period, monthly_periods

    cfg = load_config(campaign)
    final = final_period(cfg)
    assert final.deadline.date() == dt.date(2021, 11, 19)  # 11月20日前, a Saturday → Friday
    september = next(p for p in monthly_periods(cfg) if p.key == "2021-09")
    assert september.deadline.date() == dt.date(2021, 9, 30)  # 10-02 in the National Day holiday


def test_the_blank_form_of_a_shifted_week_does_not_warn_its_own_filing(tmp_path, campaign):
    import openpyxl

    code, data = cli_json("forms", "--period", "2021-10-07", "--submitter", "开元街道", "--out",
                          str(tmp_path / "下发"), "--config", str(campaign))
    [path] = [Path(p) for p in data["files"]]
    wb = openpyxl.load_workbook(path)
    assert any("2021年10月8日" in str(c.value) for ws in wb.worksheets for r in ws.iter_rows() for c in r)
    code, data = cli_json("intake", str(path), "--period", "2021-10-07", "--received-at", "2021-10-08 09:00",
                          "--config", str(campaign))
    assert "period-mismatch" not in [f["code"] for f in data["taken"][0]["findings"]]


# --- 10. no silent limits --------------------------------------------------------------------------


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter"])
def test_a_long_list_is_read_to_its_end_with_its_footer(tmp_path, writer):
    n = 2600  # longer than the 2,000 rows the reader once stopped at
    records = [hazard(f"场所{i}", f"隐患{i}", seq=i + 1) for i in range(n)]
    path = write([a3("开元街道", found_major=n), listed("a4", "开元街道", records, blank_rows=0)],
                 tmp_path / "长清单", writer)
    code, report = cli_json("validate", str(path))
    assert code == 0 and errors(report) == [], errors(report)[:3]
