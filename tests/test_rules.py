"""Every single-submission rule, through the real CLI on real files from three writers,
checking the exact cell and the numbers in the message."""

import pytest

from conftest import PERSON, a3_layout, cli_json, codes, consistent_filing, filing_where, write
from safetyreport.outputs.layout import footer_text

C, W = "cumulative", "weekly"


def only(report, code):
    found = [f for file in report["files"] for f in file["findings"] if f["code"] == code]
    assert found, f"no {code} in {codes(report)}"
    return found


def test_zero_form_is_clean(tmp_path, writer):
    path = write([a3_layout()], tmp_path / "开元街道", writer)
    code, report = cli_json("validate", str(path))
    assert code == 0 and codes(report) == []


def test_sum_mismatch_names_cell_and_numbers(tmp_path, writer):
    values = {(C, "found_general"): 20, (C, "found_major"): 3, (C, "found_total"): 23,
              (C, "fixed_total"): 12, (C, "fixed_general"): 10, (C, "fixed_major"): 3}
    path = write([a3_layout(values)], tmp_path / "f", writer)
    code, report = cli_json("validate", str(path))
    assert code == 1
    assert codes(report) == [("sum-mismatch", "附件3", "F6")]
    msg = only(report, "sum-mismatch")[0]["message"]
    assert "已完成整改隐患总数 12 ≠ 已完成整改一般隐患 10 + 已完成整改重大隐患 3 = 13" in msg
    assert msg.startswith("累计数")


def test_sum_rule_in_the_weekly_row_too(tmp_path, writer):
    values = {(C, "insp_found_total"): 5, (C, "insp_found_general"): 5,
              (W, "insp_found_total"): 2, (W, "insp_found_general"): 1}
    path = write([a3_layout(values)], tmp_path / "f", writer)
    _, report = cli_json("validate", str(path))
    assert codes(report) == [("sum-mismatch", "附件3", "N7")]
    assert "当周数 监督检查发现隐患总数 2 ≠" in only(report, "sum-mismatch")[0]["message"]


@pytest.mark.parametrize("left,right,cell,why", [
    ("fixed_major", "found_major", "H6", "已整改的隐患不会多于发现的隐患"),
    ("reports_verified", "reports", "U6", "核实查处"),
    ("groups_expert", "groups_total", "K6", "“其中”是总数的一部分"),
])
def test_exceeds(tmp_path, writer, left, right, cell, why):
    values = {(C, left): 4, (C, right): 3}
    # keep the sums true so only the ≤ rule speaks
    if left == "fixed_major":
        values.update({(C, "fixed_total"): 4, (C, "found_total"): 3})
    path = write([a3_layout(values)], tmp_path / "f", writer)
    _, report = cli_json("validate", str(path))
    assert codes(report) == [("exceeds", "附件3", cell)]
    msg = only(report, "exceeds")[0]["message"]
    assert "4 大于" in msg and " 3，" in msg and why in msg


def test_weekly_exceeds_cumulative_only_for_flows(tmp_path, writer):
    values = {(C, "sites"): 5, (W, "sites"): 9,  # a stock: 当周 may be anything
              (C, "ordered"): 2, (W, "ordered"): 3}
    path = write([a3_layout(values)], tmp_path / "f", writer)
    _, report = cli_json("validate", str(path))
    assert codes(report) == [("weekly-exceeds-cumulative", "附件3", "V7")]
    assert "限期整改当周数 3 大于累计数 2" in only(report, "weekly-exceeds-cumulative")[0]["message"]


def test_fines_both_zero_or_both_positive(tmp_path, writer):
    # 当周 0.5 万元 with no business, 累计 2 businesses with no amount
    values = {(C, "fined_count"): 2, (C, "fine_amount"): 0, (W, "fined_count"): 0, (W, "fine_amount"): 0.5}
    path = write([a3_layout(values)], tmp_path / "f", writer)
    _, report = cli_json("validate", str(path))
    assert ("pair-mismatch", "附件3", "Y6") in codes(report)
    assert ("pair-mismatch", "附件3", "Y7") in codes(report)
    msg = next(f for f in only(report, "pair-mismatch") if f["cell"] == "Y6")["message"]
    assert "罚款企业数 为 2，罚款 为 0" in msg


def test_footer_reviewer_filer_phone_date(tmp_path, writer):
    lay = a3_layout(footer="审核人：      填报人：      联系电话：12345      2021年  月 日")
    path = write([lay], tmp_path / "f", writer)
    code, report = cli_json("validate", str(path))
    ref = f"A{lay.footer_row + 1}"
    assert codes(report) == sorted([("missing-signature", "附件3", ref), ("missing-signature", "附件3", ref),
                                    ("invalid-phone", "附件3", ref), ("missing-date", "附件3", ref)])
    assert code == 1
    messages = " ".join(f["message"] for f in report["files"][0]["findings"])
    assert "审核人" in messages and "填报人" in messages and "“12345”" in messages


@pytest.mark.parametrize("phone", ["13905951234", "0595-22123456", "22123456", "(0595)22123456",
                                   "0595-22123456/13905951234", "１３９０５９５１２３４"])
def test_valid_phones_and_dates_pass(tmp_path, phone):
    for date in ("2021年9月23日", "2021.9.23", "2021-09-23", "2021/9/23"):
        lay = a3_layout(footer=footer_text(PERSON[0], PERSON[1], phone, date))
        path = write([lay], tmp_path / "f")
        code, report = cli_json("validate", str(path))
        assert codes(report) == [], (phone, date)


def test_footer_in_separate_cells(tmp_path):
    lay = a3_layout()
    r = lay.footer_row
    lay.merges = [m for m in lay.merges if m[0] != r]
    lay.cells[(r, 0)] = "审核人："
    lay.cells[(r, 1)] = "张明"
    lay.cells[(r, 3)] = "填报人："
    lay.cells[(r, 4)] = "李华"
    lay.cells[(r, 6)] = "联系电话："
    lay.cells[(r, 7)] = "1390595"
    lay.cells[(r, 10)] = "2021年9月23日"
    path = write([lay], tmp_path / "f")
    _, report = cli_json("validate", str(path))
    assert codes(report) == [("invalid-phone", "附件3", f"H{r + 1}")]


def test_cross_form_counts_agree(tmp_path, writer):
    """附件4 rows vs 附件3 major hazards; 附件5 lists vs 附件3 enforcement counts."""
    fig, fac, u, layouts = consistent_filing(weeks=3, seed="cross")
    path = write(layouts, tmp_path / "开元街道", writer)
    code, report = cli_json("validate", str(path))
    assert code == 0, codes(report)
    # one hazard more in 附件3 than listed in 附件4; one suspended business more than named
    a3 = layouts[0]
    a3.cells[a3.data_cells[(C, "found_major")]] = fig[C]["found_major"] + 1
    a3.cells[a3.data_cells[(C, "found_total")]] = fig[C]["found_total"] + 1
    a3.cells[a3.data_cells[(C, "suspended")]] = fig[C]["suspended"] + 1
    path = write(layouts, tmp_path / "开元街道2", writer)
    code, report = cli_json("validate", str(path))
    msgs = {f["code"] + f["sheet"]: f["message"] for f in report["files"][0]["findings"]}
    assert sorted(msgs) == ["count-mismatch附件4", "count-mismatch附件5"]
    assert f"共 {len(u.hazards)} 条" in msgs["count-mismatch附件4"]
    assert f"累计数排查发现重大隐患（附件3!E6） {int(fig[C]['found_major'] + 1)}" in msgs["count-mismatch附件4"]
    assert "停产停业整改名单" in msgs["count-mismatch附件5"]


def test_yuan_slip_and_amount_mismatch(tmp_path):
    fig, fac, u, layouts = filing_where(lambda fig, u: fig[C]["fine_amount"] > 0)
    assert fig[C]["fine_amount"] > 0
    a5 = layouts[2]
    first = a5.data_cells[("0", "fine_amount")]
    a5.cells[first] = a5.cells[first] * 10000 + sum(u.fines[1:]) * 9999  # all in 元
    path = write(layouts, tmp_path / "开元街道")
    _, report = cli_json("validate", str(path))
    assert [c for c, _, _ in codes(report)] == ["unit-slip-yuan"]
    assert "10000 倍" in report["files"][0]["findings"][0]["message"]
    a5.cells[first] = 99
    path = write(layouts, tmp_path / "开元街道2")
    _, report = cli_json("validate", str(path))
    assert [c for c, _, _ in codes(report)] == ["amount-mismatch"]


def test_amount_typed_in_yuan_with_unit_is_converted(tmp_path):
    fig, fac, u, layouts = filing_where(lambda fig, u: fig[C]["fine_amount"] > 0)
    a5 = layouts[2]
    first = a5.data_cells[("0", "fine_amount")]
    a5.cells[first] = f"{int(u.fines[0] * 10000)}元"
    path = write(layouts, tmp_path / "开元街道")
    _, report = cli_json("validate", str(path))
    assert [c for c, _, _ in codes(report)] == ["unit-converted"]
    assert f"已换算为 {u.fines[0]:g} 万元" in report["files"][0]["findings"][0]["message"]


def test_a4_status_synonyms_required_fields_and_unknown_words(tmp_path):
    fig, fac, u, layouts = filing_where(lambda fig, u: {h["status"] for h in u.hazards} == {"整改完成", "正在整改"})
    a4 = layouts[1]
    closed = [i for i, h in enumerate(u.hazards) if h["status"] == "整改完成"]
    opened = [i for i, h in enumerate(u.hazards) if h["status"] != "整改完成"]
    assert closed and opened
    for i in closed:
        a4.cells[a4.data_cells[(str(i), "status")]] = "已整改"
    for i in opened:
        a4.cells[a4.data_cells[(str(i), "status")]] = "整改中"
    path = write(layouts, tmp_path / "开元街道")
    code, report = cli_json("validate", str(path))
    assert code == 0, codes(report)
    a4.cells[a4.data_cells[(str(opened[0]), "status")]] = "看情况"
    del a4.cells[a4.data_cells[(str(opened[0]), "hazard")]]
    path = write(layouts, tmp_path / "开元街道2")
    _, report = cli_json("validate", str(path))
    r, c = a4.data_cells[(str(opened[0]), "status")]
    assert [(x[0], x[2]) for x in codes(report)] == sorted([
        ("missing-value", f"C{r + 1}"), ("unknown-status", f"E{r + 1}")])
    msg = only(report, "unknown-status")[0]["message"]
    assert "“看情况”" in msg and "整改完成、正在整改" in msg


def test_missing_column_and_row_are_named(tmp_path):
    lay = a3_layout()
    for rc, v in list(lay.cells.items()):
        if v == "其他行政处罚":
            lay.cells[rc] = "其他处罚措施"  # a clerk rewrote the header
        if v == "当周数":
            del lay.cells[rc]
    path = write([lay], tmp_path / "f")
    code, report = cli_json("validate", str(path))
    assert code == 1
    found = {f["code"]: f for f in report["files"][0]["findings"]}
    assert "“其他行政处罚”" in found["missing-column"]["message"]
    assert "“当周数”行" in found["missing-row"]["message"]
    assert found["missing-column"]["sheet"] == "附件3"


def test_a_date_that_cannot_be_read(tmp_path):
    lay = a3_layout(footer=footer_text(*PERSON, date="2021年13月45日"))
    path = write([lay], tmp_path / "f")
    _, report = cli_json("validate", str(path))
    assert [(f["code"], f["severity"]) for f in report["files"][0]["findings"]] == [("invalid-date", "warning")]
    assert "2021年13月45日" in report["files"][0]["findings"][0]["message"]


def test_the_same_form_twice_in_one_file(tmp_path):
    first, second = a3_layout(), a3_layout()
    second.name = "附件3（2）"
    path = write([first, second], tmp_path / "f")
    _, report = cli_json("validate", str(path))
    codes_ = [(f["code"], f["sheet"]) for f in report["files"][0]["findings"]]
    assert codes_ == [("duplicate-form", "附件3（2）")]
    assert report["files"][0]["findings"][0]["message"] == \
        "附件3 工作情况表出现多次（工作表“附件3”和“附件3（2）”），以工作表“附件3”为准。"


def test_yes_no_field_of_the_fire_form(tmp_path):
    from make_samples import fire_lanes_layout, write_openpyxl

    values = {"existing_res_count": 10, "existing_res_marked": 5, "parking_plan_started": "也许"}
    path = tmp_path / "常泰街道_消防.xlsx"
    write_openpyxl([fire_lanes_layout("常泰街道", values, PERSON)], path)
    _, report = cli_json("validate", str(path))
    found = [f for f in report["files"][0]["findings"] if f["code"] == "invalid-choice"]
    assert found and "“也许”" in found[0]["message"] and found[0]["cell"] == "F21"
