"""outputs.xlsx writes the cells' XML itself (issue 25): every kind of value a workbook of ours
holds must come back from two readers (openpyxl and calamine) as it went in, with its style."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from safetyreport.outputs.xlsx import EXCEL_TEXT_LIMIT, Book


def _book() -> Book:
    book = Book()
    s = book.sheet("汇总")
    s.put(1, 1, "标题", "sr-title")
    s.merge(1, 1, 1, 4)  # the value in the first cell, the rest blank in its style
    s.put(2, 1, 7, "sr-cell")
    s.put(2, 2, 2.5, "sr-cell")
    s.put(2, 3, True)
    s.put(2, 4, dt.date(2021, 9, 23))
    s.put(3, 1, "=SUM(A1:A2)", "sr-cell")  # a submitter's text: shown, never computed
    s.put(3, 2, "", "sr-cell")  # a blank cell that still has its borders
    s.put(3, 28, 123456789012345678)  # column AB: a number past 16 digits, rounded as xlsxwriter writes it
    s.mark(2, 1, "FFC7CE", "与上周不一致")
    s.width(1, 20)
    s.height(2, 30)
    book.sheet("空表", hidden=True)
    return book


def test_every_kind_of_value_comes_back_from_two_readers(tmp_path):
    path = _book().save(tmp_path / "x.xlsx")
    ws = openpyxl.load_workbook(path)["汇总"]
    assert [ws.cell(2, c).value for c in range(1, 5)] == [7, 2.5, True, dt.datetime(2021, 9, 23)]
    assert ws["A1"].value == "标题" and ws["A1"].font.b and "A1:D1" in {str(m) for m in ws.merged_cells.ranges}
    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<c r="B1" s="[1-9][0-9]*"/>', sheet_xml)  # the merged area's other cells carry its style
    assert ws["A3"].value == "=SUM(A1:A2)" and ws["A3"].data_type == "s"
    assert ws["B3"].value is None and ws["B3"].border.left.style == "thin"
    assert ws["AB3"].value == 1.234567890123457e17  # %.16G, as xlsxwriter writes a number
    assert ws["A2"].fill.fgColor.rgb.endswith("FFC7CE") and ws["A2"].comment.text == "与上周不一致"
    assert ws["D2"].number_format == "yyyy-mm-dd"
    assert ws.row_dimensions[2].height == 30 and ws.column_dimensions["A"].width == pytest.approx(20.71, abs=0.01)
    assert ws.dimensions == "A1:AB3"
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("汇总").to_python()
    assert rows[1][:4] == [7, 2.5, True, dt.date(2021, 9, 23)] and rows[2][0] == "=SUM(A1:A2)"
    assert openpyxl.load_workbook(path)["空表"].sheet_state == "hidden"


def test_a_text_past_excels_limit_is_cut_whole_characters(tmp_path):
    """Sheet.put keeps 32,767 characters; a character beyond the basic plane is two of Excel's
    units, so such a text is cut again at 32,767 units, never in the middle of a character."""
    book = Book()
    book.sheet("s").put(1, 1, "𠀀" * 20000)
    text = openpyxl.load_workbook(book.save(tmp_path / "x.xlsx"))["s"]["A1"].value
    assert set(text) == {"𠀀"} and len(text) == EXCEL_TEXT_LIMIT // 2


def test_a_number_excel_cannot_hold_is_refused_as_before(tmp_path):
    book = Book()
    book.sheet("s").put(1, 1, float("nan"))
    with pytest.raises(TypeError):
        book.save(tmp_path / "x.xlsx")
