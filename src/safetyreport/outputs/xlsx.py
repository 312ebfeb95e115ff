"""A workbook to be written, kept in memory and saved with xlsxwriter.

The consolidated workbook and the district's filing are written fresh each Thursday and never
edited, so they need no workbook model that can also read: xlsxwriter writes a province's
workbook in a quarter of openpyxl's time and does not import numpy at start-up. Cells are kept
in a dictionary until saving because a finding marks a cell (fill, comment) after its value is
written, and xlsxwriter needs each cell's format when the cell is written.

Rows and columns are 1-based here, as on the screen and in openpyxl.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from functools import cache
from math import isinf, isnan
from pathlib import Path
from typing import Any

from ..atomic import write_bytes_atomic
from ..values import display_width, neutral, sheet_text

EXCEL_TEXT_LIMIT = 32767
BORDER_COLOR = "#808080"

# The house styles by name (what each cell says it is), as xlsxwriter format properties.
STYLES: dict[str, dict[str, Any]] = {
    "": {},
    "sr-header": {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1,
                  "border_color": BORDER_COLOR, "bg_color": "#DDEBF7"},
    "sr-label": {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1,
                 "border_color": BORDER_COLOR},
    "sr-cell": {"align": "center", "valign": "vcenter", "text_wrap": True, "border": 1, "border_color": BORDER_COLOR},
    "sr-cell-bold": {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1,
                     "border_color": BORDER_COLOR},
    "sr-cell-wrap": {"valign": "top", "text_wrap": True, "border": 1, "border_color": BORDER_COLOR},
    "sr-wrap": {"valign": "top", "text_wrap": True},
    "sr-title": {"bold": True, "font_size": 14, "align": "center", "valign": "vcenter", "text_wrap": True},
}


@dataclass
class Cell:
    value: Any = None
    style: str = ""
    fill: str = ""  # a finding's colour over the style's, "FFC7CE"
    comment: str = ""
    unlocked: bool = False  # an input of a protected sheet (a blank form)


@dataclass
class Validation:
    """What some input cells accept, with the prompt and the error a clerk sees in Excel/WPS
    (xlsxwriter's data_validation options: validate, criteria, value/minimum/maximum or source)."""

    cells: list[tuple[int, int]]
    options: dict[str, Any]


@dataclass
class Sheet:
    title: str
    hidden: bool = False
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    freeze_at: tuple[int, int] | None = None  # the first cell that scrolls (row, column)
    printed: bool = False
    validations: list[Validation] = field(default_factory=list)
    conditions: list[tuple[int, int, str, str]] = field(default_factory=list)  # row, col, formula, fill
    protected: bool = False  # labels locked (no password); a clerk may still add rows and size them

    def cell(self, row: int, col: int) -> Cell:
        c = self.cells.get((row, col))
        if c is None:
            c = self.cells[(row, col)] = Cell()
        return c

    def put(self, row: int, col: int, value: Any, style: str | None = None) -> Cell:
        """Text stays text ("=SUM(…)" from a submitter is shown, never computed), without control
        characters, and within Excel's limit (the original is archived)."""
        c = self.cell(row, col)
        if isinstance(value, str):
            if len(value) > EXCEL_TEXT_LIMIT:
                value = value[: EXCEL_TEXT_LIMIT - 20] + "…（已截断，原文见存档）"
            value = sheet_text(value)  # the one neutraliser of every writer (xlsxwriter stores it as a string)
        c.value = value
        if style is not None:
            c.style = style
        return c

    def style(self, row: int, col: int, style: str) -> None:
        self.cell(row, col).style = style

    def mark(self, row: int, col: int, fill: str, comment: str = "") -> None:
        c = self.cell(row, col)
        c.fill = fill
        if comment:
            c.comment = neutral(comment, keep_newlines=True)

    def unlock(self, row: int, col: int) -> None:
        self.cell(row, col).unlocked = True

    def validate(self, cells: list[tuple[int, int]], options: dict[str, Any]) -> None:
        self.validations.append(Validation(cells, options))

    def condition(self, row: int, col: int, formula: str, fill: str) -> None:
        """The cell turns `fill` while `formula` (without "=") holds: a live mark where a 总数 does not add up."""
        self.conditions.append((row, col, formula, fill))

    def protect(self) -> None:
        self.protected = True

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        self.merges.append((r1, c1, r2, c2))

    def width(self, col: int, width: float) -> None:
        self.widths[col] = width

    def height(self, row: int, height: float) -> None:
        self.heights[row] = height

    def printable(self, freeze: tuple[int, int] | None = None) -> None:
        """A4 landscape, one page wide, centred; rows and columns before `freeze` stay in view."""
        self.printed = True
        self.freeze_at = freeze


class Book:
    def __init__(self) -> None:
        self.sheets: list[Sheet] = []

    def sheet(self, title: str, hidden: bool = False) -> Sheet:
        s = Sheet(title, hidden)
        self.sheets.append(s)
        return s

    def save(self, path: Path) -> Path:
        write_bytes_atomic(path, self.to_bytes())
        return path

    def to_bytes(self) -> bytes:
        import xlsxwriter

        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                       "strings_to_numbers": False})
        formats: dict[tuple[str, str, bool], Any] = {}

        def fmt(style: str, fill: str, unlocked: bool = False):
            key = (style, fill, unlocked)
            if key not in formats:
                props = dict(STYLES.get(style, {}))
                if fill:
                    props.update(bg_color=f"#{fill}", pattern=1)
                if unlocked:
                    props["locked"] = False
                formats[key] = wb.add_format(props) if props else None
            return formats[key]

        date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
        fast = _fast_worksheet()
        for s in self.sheets:
            ws = wb.add_worksheet(s.title[:31], worksheet_class=fast)
            covered = _cells_and_merges(ws, s, fmt, date_format)
            for c, w in sorted(s.widths.items()):
                ws.set_column(c - 1, c - 1, w)
            for r, h in sorted({**_fitted_heights(s, covered), **s.heights}.items()):
                ws.set_row(r - 1, h)
            if s.printed:
                ws.set_landscape()
                ws.set_paper(9)  # A4
                ws.fit_to_pages(1, 0)
                ws.center_horizontally()
            if s.freeze_at:
                ws.freeze_panes(s.freeze_at[0] - 1, s.freeze_at[1] - 1)
            _guards(ws, s, lambda fill: fmt("", fill))
            if s.hidden:
                ws.hide()
        wb.close()
        return buf.getvalue()


def _cells_and_merges(ws, s: Sheet, fmt, date_format) -> set[tuple[int, int]]:
    """Hand the sheet's cells to the fast worksheet, merged areas as xlsxwriter's merge_range
    lays them out (the value in the first cell, the others blank in its format so the borders
    show), comments to xlsxwriter. Returns the cells merged areas cover."""
    rows: dict[int, list[tuple[int, Any, Any]]] = {}  # 0-based row → (column, value, format)
    covered: set[tuple[int, int]] = set()
    for r1, c1, r2, c2 in s.merges:
        top = s.cells.get((r1, c1)) or Cell()
        area = [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
        covered.update(area)
        f = fmt(top.style, top.fill, top.unlocked)
        if (r1, c1) != (r2, c2):
            ws.merge_range(r1 - 1, c1 - 1, r2 - 1, c2 - 1, "", f)  # the area; its cells are written below
        for r, c in area:
            value = top.value if (r, c) == (r1, c1) else None
            rows.setdefault(r - 1, []).append((c - 1, value, f))
        if top.comment:
            ws.write_comment(r1 - 1, c1 - 1, top.comment, _COMMENT)
    for (r, c), cell in s.cells.items():
        if (r, c) in covered:
            continue
        rows.setdefault(r - 1, []).append((c - 1, cell.value, fmt(cell.style, cell.fill, cell.unlocked)))
        if cell.comment:
            ws.write_comment(r - 1, c - 1, cell.comment, _COMMENT)
    ws.take(rows, date_format)
    return covered


def _fast_worksheet():
    """xlsxwriter's worksheet, its cells written by `_write_rows` straight from the sheet's own
    rows (issue 25): the same XML per cell as xlsxwriter's own loop (shared strings, each cell's
    format index), in a fraction of its time. Everything else — merged areas, comments, column
    widths, row heights, validations, protection, printing — is xlsxwriter's."""
    from xlsxwriter.worksheet import Worksheet

    class FastWorksheet(Worksheet):
        def __init__(self) -> None:
            super().__init__()
            self.own_rows: dict[int, str] = {}  # 0-based row → its cells' XML

        def take(self, rows: dict[int, list[tuple[int, Any, Any]]], date_format) -> None:
            """The cells, each made into its XML now: a string goes into the workbook's shared
            strings before xlsxwriter writes them out at close."""
            self.date_format = date_format
            styles: dict[int, str] = {}  # id(format) → ' s="N"'
            used: set[int] = set()  # columns of the cells written, for <dimension>
            for r in sorted(rows):
                xml = []
                number = str(r + 1)
                for c, value, f in sorted(rows[r], key=_column):
                    s = styles.get(id(f))
                    if s is None:
                        s = styles[id(f)] = f' s="{f._get_xf_index()}"' if f is not None else ""
                    cell = self._cell_xml(f"{_letters(c)}{number}", s, value, f)
                    if cell:
                        xml.append(cell)
                        used.add(c)
                if xml:
                    self.own_rows[r] = "".join(xml)
            if self.own_rows:
                self._check_dimensions(min(self.own_rows), min(used))
                self._check_dimensions(max(self.own_rows), max(used))

        def _write_rows(self) -> None:
            rows = self.own_rows
            for r in sorted(set(rows) | set(self.row_info) | set(self.comments)):
                if r not in rows:
                    self._write_empty_row(r, None, self.row_info.get(r))
                    continue
                self._write_row(r, None, self.row_info.get(r))
                self.fh.write(rows[r])
                self._xml_end_tag("row")

        def _cell_xml(self, ref: str, s: str, value: Any, f) -> str:
            """One <c> as xlsxwriter's write_blank/boolean/number/datetime/string would give it
            (`s`: the format's attribute)."""
            kind = value.__class__
            if kind is str and value:
                return f'<c r="{ref}"{s} t="s"><v>{self.str_table._get_shared_string_index(_within_excel(value))}</v></c>'
            if kind is int or kind is float:
                if isnan(value) or isinf(value):
                    raise TypeError("NAN/INF not supported in write_number()")
                return f'<c r="{ref}"{s}><v>{value:.16G}</v></c>'
            if value is None or value == "":
                return f'<c r="{ref}"{s}/>' if f is not None else ""
            if isinstance(value, bool):
                return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
            if isinstance(value, (dt.date, dt.datetime)):
                f = f or self.date_format
                return f'<c r="{ref}" s="{f._get_xf_index()}"><v>{self._convert_date_time(value):.16G}</v></c>'
            if isinstance(value, (int, float)):
                return self._cell_xml(ref, s, float(value) if isinstance(value, float) else int(value), f)
            return self._cell_xml(ref, s, str(value), f)

    return FastWorksheet


def _column(entry: tuple) -> int:
    return entry[0]


@cache
def _letters(c: int) -> str:
    """0 → A, 26 → AA (a sheet has at most 16,384 columns)."""
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(c)


def _within_excel(text: str) -> str:
    """At most 32,767 UTF-16 units, as xlsxwriter's write_string cuts a longer string."""
    if len(text) > EXCEL_TEXT_LIMIT // 2:
        units = text.encode("utf-16-le")
        if len(units) > 2 * EXCEL_TEXT_LIMIT:  # a character cut in half is dropped whole
            return units[: 2 * EXCEL_TEXT_LIMIT].decode("utf-16-le", errors="ignore")
    return text


def _guards(ws, s: Sheet, fill_format) -> None:
    """A blank form's validations, live marks and protection, as xlsxwriter writes them."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    for v in s.validations:
        (r, c), refs = v.cells[0], " ".join(xl_rowcol_to_cell(r - 1, c - 1) for r, c in v.cells)
        ws.data_validation(r - 1, c - 1, r - 1, c - 1, {**v.options, "multi_range": refs})
    for r, c, formula, fill in s.conditions:
        ws.conditional_format(r - 1, c - 1, r - 1, c - 1, {"type": "formula", "criteria": f"={formula}",
                                                             "format": fill_format(fill)})
    if s.protected:
        ws.protect("", {"insert_rows": True, "format_columns": True, "format_rows": True})


_COMMENT = {"author": "safetyreport", "x_scale": 2.5, "y_scale": 2.0}
_WRAPPING = {name for name, props in STYLES.items() if props.get("text_wrap")}
DEFAULT_WIDTH = 8.43  # characters of the default font, Excel's default column width
LINE_HEIGHT = 15.0  # points per line of 11-point text, Excel's default row height


def _fitted_heights(s: Sheet, covered: set[tuple[int, int]]) -> dict[int, float]:
    """Rows tall enough for their wrapped text. Neither Excel nor LibreOffice fits a row written
    by a program when it opens the file, so a long 整改措施 would print cut off after one line.
    Estimated from the column width, a Chinese character taken as two wide, as in Excel
    (LibreOffice's CJK font is narrower, so there a row may have a little room to spare)."""
    lines: dict[int, int] = {}
    across = {(r1, c1): sum(s.widths.get(c, DEFAULT_WIDTH) for c in range(c1, c2 + 1))
              for r1, c1, r2, c2 in s.merges if r1 == r2}  # a footnote merged across the table
    rooms = {c: _room(w) for c, w in s.widths.items()}
    default_room = _room(DEFAULT_WIDTH)
    for (r, c), cell in s.cells.items():
        value = cell.value
        if cell.style not in _WRAPPING or not isinstance(value, str) or r in s.heights:
            continue
        width = across.get((r, c))
        if width is None:
            if (r, c) in covered:
                continue  # part of a taller merged block: its height is set where it is laid out
            if _one_line(value, rooms.get(c, default_room)):
                continue  # most cells: said here without working out the width
            width = s.widths.get(c, DEFAULT_WIDTH)
        n = lines_needed(value, width)
        if n > lines.get(r, 1):
            lines[r] = n
    return {r: row_height(n) for r, n in lines.items()}


def lines_needed(text: str, width: float) -> int:
    """Lines `text` takes when wrapped in a column `width` characters wide (Excel's unit), a
    Chinese character taken as two wide as in Excel."""
    room = _room(width)
    if _one_line(text, room):
        return 1
    return sum(max(1, -(-display_width(part) // room)) for part in text.split("\n"))


def _room(width: float) -> int:
    """Characters of text a column `width` wide holds, less the cell's padding."""
    return max(1, int(width - 1))


def _one_line(text: str, room: int) -> bool:
    """Fits on one line even if every character is wide."""
    return len(text) * 2 <= room and "\n" not in text


def row_height(lines: int) -> float:
    return LINE_HEIGHT * lines + 3
