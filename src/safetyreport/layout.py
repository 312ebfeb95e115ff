"""Schema → the official paper layout of a form, as plain data (cells, merged areas, widths).

The same schema that reads a form also lays it out, so blank forms, samples and the reader can
never disagree about labels. Writers (openpyxl, xlsxwriter, xlwt) only copy this data to a file.
Handles the `table` and `list` layouts; a `fields` form has a free layout of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .schema import Schema


@dataclass
class SheetLayout:
    name: str
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2 incl.
    widths: dict[int, float] = field(default_factory=dict)
    header_cells: set[tuple[int, int]] = field(default_factory=set)  # labels (bold, bordered)
    data_cells: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # (row|rec#, col)
    submitter_cell: tuple[int, int] = (2, 0)
    footer_row: int = 0
    title_cell: tuple[int, int] = (1, 0)
    ncols: int = 1

    def put(self, r: int, c: int, value: Any, header: bool = False) -> None:
        self.cells[(r, c)] = value
        if header:
            self.header_cells.add((r, c))

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        if (r1, c1) != (r2, c2):
            self.merges.append((r1, c1, r2, c2))

    def shifted(self, dr: int, dc: int) -> "SheetLayout":
        """The same form placed lower / further right (as clerks do with extra title rows)."""
        s = SheetLayout(self.name, ncols=self.ncols + dc, footer_row=self.footer_row + dr)
        s.cells = {(r + dr, c + dc): v for (r, c), v in self.cells.items()}
        s.merges = [(a + dr, b + dc, x + dr, y + dc) for a, b, x, y in self.merges]
        s.widths = {c + dc: w for c, w in self.widths.items()}
        s.header_cells = {(r + dr, c + dc) for r, c in self.header_cells}
        s.data_cells = {k: (r + dr, c + dc) for k, (r, c) in self.data_cells.items()}
        s.submitter_cell = (self.submitter_cell[0] + dr, self.submitter_cell[1] + dc)
        s.title_cell = (self.title_cell[0] + dr, self.title_cell[1] + dc)
        return s


def footer_text(reviewer: str = "", filer: str = "", phone: str = "", date: str = "2021年  月  日",
                with_date: bool = True) -> str:
    gap = " " * 6
    text = f"审核人：{reviewer}{gap}填报人：{filer}{gap}联系电话：{phone}"
    return text + (f"{gap}{date}" if with_date else "")


def layout_form(schema: Schema, submitter: str = "", records: int = 6,
                extra_rows: list[str] | None = None) -> SheetLayout:
    """The official layout of a table or list form. `records`: blank record rows of a list form;
    `extra_rows`: labels of rows a submitter added to an open table (附件6)."""
    if schema.layout == "table":
        return _layout_table(schema, submitter, extra_rows or [])
    if schema.layout == "list":
        return _layout_list(schema, submitter, records)
    raise ValueError(f"{schema.id}: fields 布局没有通用表样")


def _head(s: SheetLayout, schema: Schema, submitter: str) -> None:
    s.put(0, 0, schema.attachment)
    s.put(1, 0, schema.title or schema.name)
    s.merge(1, 0, 1, s.ncols - 1)
    s.put(2, 0, f"{schema.submitter_labels[0]}：{submitter}")
    s.merge(2, 0, 2, min(s.ncols - 1, 5))


def _foot(s: SheetLayout, schema: Schema, row: int) -> None:
    s.footer_row = row
    s.put(row, 0, footer_text(with_date=schema.footer_date))
    s.merge(row, 0, row, s.ncols - 1)
    for i, note in enumerate(schema.notes):
        s.put(row + 1 + i, 0, note)
        s.merge(row + 1 + i, 0, row + 1 + i, s.ncols - 1)


def _layout_table(schema: Schema, submitter: str, extra_rows: list[str]) -> SheetLayout:
    cols = schema.columns
    two_level = any(len(c.label) > 1 for c in cols)
    s = SheetLayout(schema.attachment or schema.id, ncols=len(cols) + 1)
    _head(s, schema, submitter)
    top = 3
    bottom = top + 1 if two_level else top
    s.put(top, 0, "类别" if two_level else "", header=True)
    s.merge(top, 0, bottom, 0)
    s.widths[0] = 12
    c = 1
    while c <= len(cols):
        col = cols[c - 1]
        if len(col.label) == 1:
            s.put(top, c, col.label[0], header=True)
            s.merge(top, c, bottom, c)
            c += 1
            continue
        span = 1
        while c + span <= len(cols) and cols[c + span - 1].label[0] == col.label[0] and len(cols[c + span - 1].label) > 1:
            span += 1
        s.put(top, c, col.label[0], header=True)
        s.merge(top, c, top, c + span - 1)
        for k in range(span):
            s.put(bottom, c + k, cols[c - 1 + k].label[-1], header=True)
        c += span
    for c in range(1, len(cols) + 1):
        s.widths[c] = 9 if two_level else 14
    r = bottom + 1
    for row in schema.rows:
        s.put(r, 0, row.label, header=True)
        for i, col in enumerate(cols):
            s.data_cells[(row.key, col.key)] = (r, i + 1)
        r += 1
    for i, label in enumerate(extra_rows):
        s.put(r, 0, label, header=True)
        for j, col in enumerate(cols):
            s.data_cells[(f"extra_{i + 1}", col.key)] = (r, j + 1)
        r += 1
    if schema.open_rows:
        s.put(r, 0, "……", header=True)
        r += 1
    if two_level:
        for i, col in enumerate(cols):
            if col.unit:
                s.put(r, i + 1, f"（{col.unit}）")
        r += 1
    _foot(s, schema, r + 1)
    return s


def _layout_list(schema: Schema, submitter: str, records: int) -> SheetLayout:
    cols = schema.columns
    s = SheetLayout(schema.attachment or schema.id, ncols=len(cols))
    _head(s, schema, submitter)
    r = 3
    for i, col in enumerate(cols):
        s.put(r, i, col.label[0], header=True)
        s.widths[i] = 6 if col.key == "seq" else 22
    r += 1
    if schema.hint_rows:
        for i, col in enumerate(cols):
            if col.type == "status":
                s.put(r, i, schema.hint_rows[0])
        r += 1
    for n in range(records):
        for i, col in enumerate(cols):
            s.data_cells[(str(n), col.key)] = (r + n, i)
    _foot(s, schema, r + records + 1)
    return s
