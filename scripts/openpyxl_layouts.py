"""The openpyxl writer of form layouts, for the sample generator and test fixtures: real units
save their forms from Excel and WPS, so the samples and fixtures are written by several writers
(openpyxl here, xlsxwriter and xlwt in make_samples). The package itself writes every workbook
with xlsxwriter (`safetyreport.outputs.xlsx.Book`); this module is not part of it."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from safetyreport.atomic import write_bytes_atomic
from safetyreport.outputs.layout import SheetLayout
from safetyreport.outputs.workbooks import ERROR_FILL, HEADER_FILL, WARNING_FILL, _lines_across
from safetyreport.values import neutral

EXCEL_TEXT_LIMIT = 32767


@lru_cache(maxsize=1)
def _styles():
    """Built once: openpyxl hashes a style object on every assignment, and building new ones
    for every cell made a province's workbook three times slower."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="808080")
    return {
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "bold": Font(bold=True),
        "title": Font(bold=True, size=14),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "wrap": Alignment(vertical="top", wrap_text=True),
        "header": PatternFill("solid", fgColor=HEADER_FILL),
        "error": PatternFill("solid", fgColor=ERROR_FILL),
        "warning": PatternFill("solid", fgColor=WARNING_FILL),
    }


# Named styles: one registration per workbook, then each cell only names its style. Assigning
# font/border/alignment objects cell by cell made openpyxl hash them 300,000 times for a province.
_NAMED = {
    "sr-header": dict(font="bold", alignment="center", border="border", fill="header"),
    "sr-label": dict(font="bold", alignment="center", border="border"),
    "sr-cell": dict(alignment="center", border="border"),
    "sr-cell-bold": dict(font="bold", alignment="center", border="border"),
    "sr-cell-wrap": dict(alignment="wrap", border="border"),
    "sr-wrap": dict(alignment="wrap"),
    "sr-title": dict(font="title", alignment="center"),
}


def _register_styles(wb) -> None:
    from openpyxl.styles import NamedStyle

    st = _styles()
    for name, parts in _NAMED.items():
        if name in wb.named_styles:
            continue
        style = NamedStyle(name=name)
        for attr, key in parts.items():
            setattr(style, attr, st[key])
        wb.add_named_style(style)


def put(ws, row: int, col: int, value: Any):
    """Write a value; text is forced to text ("=SUM(…)" from a submitter stays visible text)."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        if len(value) > EXCEL_TEXT_LIMIT:  # Excel refuses longer cells; the original is archived
            value = value[: EXCEL_TEXT_LIMIT - 20] + "…（已截断，原文见存档）"
        value = neutral(value, keep_newlines=True)  # control characters cannot be stored; no bidi tricks
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def _save(wb, path: Path) -> None:
    buf = io.BytesIO()
    wb.save(buf)
    write_bytes_atomic(path, buf.getvalue())


def _printable(ws, freeze: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    if freeze:
        ws.freeze_panes = freeze


def write_layouts(sheets: list[SheetLayout], path: Path | None = None, formulas: dict | None = None):
    """Form layouts → an openpyxl workbook (returned; saved when `path` is given), as a unit's
    Excel would save the paper form: labels, the grid, merges, widths; `formulas` plants formulas
    that have no cached value."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    _register_styles(wb)
    for lay in sheets:
        ws = wb.create_sheet(lay.name)
        for (r, c), v in lay.cells.items():
            cell = put(ws, r + 1, c + 1, v)
            if (r, c) in lay.header_cells:
                cell.style = "sr-label"
        for r, c in lay.data_cells.values():  # the paper form's grid
            cell = ws.cell(row=r + 1, column=c + 1)
            cell.style = "sr-cell-wrap" if lay.inputs.get((r, c)) in ("text", "names") else "sr-cell"
        for ref, formula in (formulas or {}).get(lay.name, {}).items():
            ws[ref] = formula  # test fixtures only: a formula with no cached value
        for r1, c1, r2, c2 in lay.merges:
            ws.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
        for c, w in lay.widths.items():
            ws.column_dimensions[get_column_letter(c + 1)].width = w
        _wrap_notes(ws, lay)
        for r, h in lay.row_heights.items():
            ws.row_dimensions[r + 1].height = h
        if lay.hidden:
            ws.sheet_state = "hidden"
        _printable(ws)
    if path is not None:
        _save(wb, path)
    return wb


def _wrap_notes(ws, lay: SheetLayout) -> None:
    """On an openpyxl sheet: the lines across wrap, on rows tall enough (xlsx.Book fits its rows itself)."""
    from safetyreport.outputs.xlsx import DEFAULT_WIDTH, lines_needed, row_height

    for r, c1, c2, text in _lines_across(lay):
        ws.cell(row=r + 1, column=c1 + 1).style = "sr-wrap"
        n = lines_needed(text, sum(lay.widths.get(c, DEFAULT_WIDTH) for c in range(c1, c2 + 1)))
        if n > 1 and r not in lay.row_heights:
            ws.row_dimensions[r + 1].height = row_height(n)


