"""Blank forms: generated for the whole roster, filled by two different writers, validated,
taken in and merged — the district totals equal what was filled, cell by cell."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

import make_samples as ms
from conftest import SCHEMAS, cli, cli_json, expected_totals
from safetyreport.config import load_config
from safetyreport.outputs.layout import layout_form
from safetyreport.workflow import init_job

KEYS = [c.key for c in SCHEMAS["a3"].columns]
FORMS = ["a3", "a4", "a5", "a6", "narrative"]
ROSTER = load_config(None).submitters


def positions():
    """Where a blank form's input cells are: the same schema lays them out."""
    return {f: layout_form(SCHEMAS[f], records=10, footer_cells=True) for f in FORMS}


def truth_for(name: str, kind: str):
    u = ms.Unit(name, kind, random.Random(f"fill-{name}"))
    fig = ms.week_figures(u, 0)
    fac = ms.facilities(u, 0)
    return fig, fac, u


def fill_values(name: str, kind: str) -> dict[str, dict[tuple[int, int], object]]:
    """sheet name → {(row, col): value} for everything a submitter types."""
    fig, fac, u = truth_for(name, kind)
    lays = positions()
    out: dict[str, dict] = {}
    a3 = lays["a3"]
    out["附件3"] = {a3.data_cells[(row, k)]: fig[row][k] for row in ("cumulative", "weekly") for k in KEYS}
    a4 = lays["a4"]
    out["附件4"] = {}
    for i, h in enumerate(u.hazards):
        for key, v in (("seq", i + 1), ("place", h["place"]), ("hazard", h["hazard"]),
                       ("measures", h["measures"]), ("status", h["status"])):
            out["附件4"][a4.data_cells[(str(i), key)]] = v
    a5 = lays["a5"]
    out["附件5"] = {}
    for col in ("suspended", "closed", "fined"):
        for i, n in enumerate(u.names.get(col, [])):
            out["附件5"][a5.data_cells[(str(i), col)]] = n
    for i, amount in enumerate(u.fines):
        out["附件5"][a5.data_cells[(str(i), "fine_amount")]] = amount
    a6 = lays["a6"]
    out["附件6"] = {a6.data_cells[(k, col)]: fac[k][j] for k in fac for j, col in enumerate(("existing", "added", "funds"))}
    nar = lays["narrative"]
    out["工作情况"] = {nar.data_cells[("", "news")]: f"{name}本周开展排查。", nar.data_cells[("", "next_steps")]: "继续整治。"}
    for form, sheet in (("a3", "附件3"), ("a4", "附件4"), ("a5", "附件5"), ("a6", "附件6")):
        for rc, kind_ in lays[form].inputs.items():
            if kind_ == "person":
                out[sheet][rc] = "张明"
            elif kind_ == "phone":
                out[sheet][rc] = "13905951234"
    return out


def fill_openpyxl(path: Path, values) -> None:
    wb = openpyxl.load_workbook(path)
    for sheet, cells in values.items():
        ws = wb[sheet]
        for (r, c), v in cells.items():
            ws.cell(row=r + 1, column=c + 1, value=v)
    wb.save(path)


def fill_by_rewriting_with_xlsxwriter(path: Path, values) -> None:
    """A second library: read the blank form with calamine, write the filled workbook anew
    with xlsxwriter (cells, merged areas, the hidden marker)."""
    import xlsxwriter

    src = CalamineWorkbook.from_path(str(path))
    grids = {}
    for name in src.sheet_names:
        sh = src.get_sheet_by_name(name)
        cells = {(r, c): v for r, row in enumerate(sh.to_python(skip_empty_area=False))
                 for c, v in enumerate(row) if v not in ("", None)}
        cells.update(values.get(name, {}))
        grids[name] = (cells, sh.merged_cell_ranges or [])
    path.unlink()
    wb = xlsxwriter.Workbook(str(path))
    for name, (cells, merges) in grids.items():
        ws = wb.add_worksheet(name)
        tl = {(a[0], a[1]): (a, b) for a, b in merges}
        covered = {(r, c) for a, b in merges for r in range(a[0], b[0] + 1) for c in range(a[1], b[1] + 1)}
        for (r, c), v in cells.items():
            if (r, c) in tl:
                a, b = tl[(r, c)]
                ws.merge_range(a[0], a[1], b[0], b[1], v)
            elif (r, c) not in covered:
                ws.write(r, c, v)
        if name == "_safetyreport":
            ws.hide()
    wb.close()


def test_round_trip_from_blank_form_to_district_total(tmp_path):
    camp = tmp_path / "c"
    init_job(camp)
    cfg = str(camp / "safetyreport.toml")
    inbox = tmp_path / "2021-09-16"
    code, data = cli_json("forms", "--period", "2021-09-16", "--out", str(inbox), "--config", cfg)
    assert code == 0 and len(data["files"]) == 18
    for i, sub in enumerate(ROSTER):
        path = inbox / f"{sub.name}_2021-09-16.xlsx"
        values = fill_values(sub.name, sub.kind)
        (fill_openpyxl if i % 2 == 0 else fill_by_rewriting_with_xlsxwriter)(path, values)
    # renamed files and sheets: the marker and the labels still tell who and what
    first = inbox / f"{ROSTER[0].name}_2021-09-16.xlsx"
    wb = openpyxl.load_workbook(first)
    wb["附件3"].title = "Sheet1"
    wb.save(first)
    first.rename(inbox / "周报(1).xlsx")
    code, report = cli_json("validate", str(inbox), "--config", cfg)
    errors = [(f["path"], f["code"], f["cell"]) for x in report["files"] for f in x["findings"]]
    assert code == 0 and errors == [], errors
    assert sorted(x["submitter"] for x in report["files"]) == sorted(s.name for s in ROSTER)
    code, merged = cli_json("merge", str(inbox), "--period", "2021-09-16", "--config", cfg)
    assert code == 0, merged["findings"]
    truth = {s.name: truth_for(s.name, s.kind)[0] for s in ROSTER}
    for s in merged["submitters"]:
        assert s["status"] == "filed"
        assert s["cumulative"] == pytest.approx(truth[s["name"]]["cumulative"]), s["name"]
        assert s["weekly"] == pytest.approx(truth[s["name"]]["weekly"]), s["name"]
    for row in ("cumulative", "weekly"):
        assert merged["totals"][row] == pytest.approx(expected_totals(truth, row))
    hazards = sum(len(truth_for(s.name, s.kind)[2].hazards) for s in ROSTER)
    assert merged["list_counts"]["a4"]["records"] == hazards
    # the narrative was read and kept
    from safetyreport.ledger.store import Ledger

    with Ledger(camp) as ledger:
        kinds = [schema_id for _, _, schema_id, _ in ledger.form_index()]
    assert kinds.count("narrative") == 18


def test_blank_form_is_guarded(tmp_path):
    code, out = cli("forms", "--period", "第2周", "--submitter", "开元", "--out", str(tmp_path))
    assert code == 0
    path = tmp_path / "开元街道_2021-09-23.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["附件3", "附件4", "附件5", "附件6", "工作情况", "_safetyreport"]
    assert wb["_safetyreport"].sheet_state == "hidden"
    ws = wb["附件3"]
    assert ws.protection.sheet and not ws.protection.password
    assert ws["A3"].value == "填报街道（单位）：开元街道" and ws["A3"].protection.locked
    assert not ws["C6"].protection.locked  # 累计数 景区总数: an input
    rules = {str(dv.sqref): (dv.type, dv.operator, dv.formula1) for dv in ws.data_validations.dataValidation}
    whole = [k for k, v in rules.items() if v == ("whole", "greaterThanOrEqual", "0")]
    assert whole and "B6" in whole[0] and "F7" in whole[0]
    assert ("decimal", "greaterThanOrEqual", "0") in rules.values()  # 罚款（万元）
    assert any(v[0] == "textLength" for v in rules.values())  # 联系电话
    status = [dv for dv in wb["附件4"].data_validations.dataValidation if dv.type == "list"]
    assert status and status[0].formula1 == '"整改完成,正在整改"' and "请选择" in status[0].prompt
    formulas = [r.formula[0] for cf in ws.conditional_formatting for r in cf.rules]
    assert "C6<>D6+E6" in formulas and "F7<>G7+H7" in formulas
    assert "第2周（9月23日）" in str(ws.cell(row=1, column=25).value)
    code, report = cli_json("validate", str(path))
    assert report["files"][0]["submitter"] == "开元街道"
    assert sorted(report["files"][0]["forms"]) == sorted(FORMS)
    # 附件6 has four narrow columns: its 注 wraps within them, on a row tall enough, and stays a locked label
    a6 = wb["附件6"]
    note = next(c for row in a6.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("注"))
    assert note.alignment.wrap_text and a6.row_dimensions[note.row].height >= 30 and note.protection.locked


def test_previous_cumulative_shown_for_reference_and_never_read_as_data(tmp_path):
    camp = tmp_path / "c"
    code, _ = cli("demo", str(camp))
    cfg = str(camp / "safetyreport.toml")
    code, data = cli_json("forms", "--period", "2021-10-07", "--submitter", "开元街道", "--out", str(tmp_path / "o"),
                          "--config", cfg)
    ws = openpyxl.load_workbook(data["files"][0])["附件3"]
    ref_row = next(r for r in range(1, 15) if ws.cell(row=r, column=1).value == "上期累计数（参考）")
    import json

    truth = json.loads((Path(__file__).parents[1] / "samples" / "truth.json").read_text(encoding="utf-8"))
    expected = truth["a3"]["2021-09-30"]["开元街道"]["cumulative"]
    assert [ws.cell(row=ref_row, column=2 + i).value for i in range(len(KEYS))] == [expected[k] for k in KEYS]
    assert ws.cell(row=ref_row, column=2).protection.locked
    code, merged = cli_json("validate", data["files"][0], "--config", cfg)
    assert not [f for f in merged["files"][0]["findings"] if f["code"] in ("missing-row", "sum-mismatch")]


def test_submitter_names_cannot_leave_the_output_folder(tmp_path):
    from safetyreport.workflow import safe_file_name

    for hostile in ("../../etc/passwd", "a/b", "a\\b", "..", "C:\\x", "con\x00"):
        name = safe_file_name(hostile)
        assert "/" not in name and "\\" not in name and not name.startswith(".") and name
        assert (tmp_path / f"{name}.xlsx").resolve().parent == tmp_path.resolve()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) 未安装：跳过打开与转 PDF 的检查")
def test_libreoffice_opens_the_blank_form_and_converts_it(tmp_path):
    cli("forms", "--period", "2021-09-23", "--submitter", "开元街道", "--out", str(tmp_path))
    path = tmp_path / "开元街道_2021-09-23.xlsx"
    profile = tmp_path / "lo-profile"
    proc = subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                          capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "开元街道_2021-09-23.pdf"
    assert pdf.exists() and pdf.stat().st_size > 5000, proc.stderr
    # and a filled copy converted by LibreOffice back to .xlsx still reads (a third writer)
    values = fill_values("开元街道", "street")
    fill_openpyxl(path, values)
    out = tmp_path / "lo"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(out), str(path)], capture_output=True, timeout=180)
    code, report = cli_json("validate", str(out / path.name))
    assert code == 0, report
