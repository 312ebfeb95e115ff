"""Schema → the official paper layout of a form, as plain data (cells, merged areas, widths).

The same schema that reads a form also lays it out, so blank forms, samples and the reader can
never disagree about labels. Writers (openpyxl, xlsxwriter, xlwt) only copy this data to a file.
Handles the `table` and `list` layouts; a `fields` form has a free layout of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..schema import Schema


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
    # blank forms: cells a submitter types into, with what they take (a column type, or
    # "person" / "phone" / "date" in the footer); everything else is a label
    inputs: dict[tuple[int, int], str] = field(default_factory=dict)
    row_heights: dict[int, float] = field(default_factory=dict)
    checks: list[tuple[tuple[int, int], str]] = field(default_factory=list)  # (cell, Excel formula true when wrong)
    hidden: bool = False

    def put(self, r: int, c: int, value: Any, header: bool = False) -> None:
        self.cells[(r, c)] = value
        if header:
            self.header_cells.add((r, c))

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        if (r1, c1) != (r2, c2):
            self.merges.append((r1, c1, r2, c2))

    def shifted(self, dr: int, dc: int) -> SheetLayout:
        """The same form placed lower / further right (as clerks do with extra title rows)."""
        s = SheetLayout(self.name, ncols=self.ncols + dc, footer_row=self.footer_row + dr)
        s.cells = {(r + dr, c + dc): v for (r, c), v in self.cells.items()}
        s.merges = [(a + dr, b + dc, x + dr, y + dc) for a, b, x, y in self.merges]
        s.widths = {c + dc: w for c, w in self.widths.items()}
        s.header_cells = {(r + dr, c + dc) for r, c in self.header_cells}
        s.data_cells = {k: (r + dr, c + dc) for k, (r, c) in self.data_cells.items()}
        s.submitter_cell = (self.submitter_cell[0] + dr, self.submitter_cell[1] + dc)
        s.inputs = {(r + dr, c + dc): k for (r, c), k in self.inputs.items()}
        s.row_heights = {r + dr: h for r, h in self.row_heights.items()}
        s.title_cell = (self.title_cell[0] + dr, self.title_cell[1] + dc)
        return s


def footer_text(reviewer: str = "", filer: str = "", phone: str = "", date: str = "    年  月  日",
                with_date: bool = True) -> str:
    gap = " " * 6
    text = f"审核人：{reviewer}{gap}填报人：{filer}{gap}联系电话：{phone}"
    return text + (f"{gap}{date}" if with_date else "")


def layout_form(schema: Schema, submitter: str = "", records: int = 6,
                extra_rows: list[str] | None = None, footer_cells: bool = False,
                reference: tuple[str, dict] | None = None) -> SheetLayout:
    """The official layout of a form. `records`: blank record rows of a list form; `extra_rows`:
    labels of rows a submitter added to an open table (附件6); `footer_cells`: 审核人 / 填报人 /
    联系电话 / date each in a cell of its own (blank forms, so each can be checked as typed);
    `reference`: (label, values) of a read-only row under a table (last period's 累计数)."""
    if schema.layout == "table":
        lay = _layout_table(schema, submitter, extra_rows or [], reference)
    elif schema.layout == "list":
        lay = _layout_list(schema, submitter, records)
    elif all(len(f.label) == 1 for f in schema.fields):
        lay = _layout_fields(schema, submitter)
    elif all(len(f.label) <= 2 for f in schema.fields):
        lay = _layout_field_rows(schema, submitter)
    else:
        raise ValueError(f"{schema.id}：标签路径多于两层的 fields 表样没有通用版式")
    for key, (r, c) in lay.data_cells.items():
        lay.inputs[(r, c)] = schema.column(key[1]).type
    if footer_cells and schema.footer:
        _footer_cells(lay, schema)
    return lay


def _head(s: SheetLayout, schema: Schema, submitter: str) -> None:
    s.put(0, 0, schema.attachment)
    s.put(1, 0, schema.title or schema.name)
    s.merge(1, 0, 1, s.ncols - 1)
    s.put(2, 0, f"{schema.submitter_labels[0]}：{submitter}")
    s.merge(2, 0, 2, min(s.ncols - 1, 5))


def _foot(s: SheetLayout, schema: Schema, row: int) -> None:
    s.footer_row = row
    if schema.footer:
        s.put(row, 0, footer_text(with_date=schema.footer_date))
        s.merge(row, 0, row, s.ncols - 1)
    for i, note in enumerate(schema.notes):
        s.put(row + 1 + i, 0, note)
        s.merge(row + 1 + i, 0, row + 1 + i, s.ncols - 1)


def _footer_cells(s: SheetLayout, schema: Schema) -> None:
    """审核人：[ ]  填报人：[ ]  联系电话：[ ]  [date] — labels and inputs in cells of their own."""
    r = s.footer_row
    s.merges = [m for m in s.merges if m[0] != r]
    s.cells.pop((r, 0), None)
    parts = [("审核人：", "person"), ("填报人：", "person"), ("联系电话：", "phone")]
    # a narrow form (附件6 has 4 columns) lets its footer run past the table: never two inputs in one cell
    width = max(2, (s.ncols - (1 if schema.footer_date else 0)) // 3)
    c = 0
    for label, kind in parts:
        s.put(r, c, label)
        s.inputs[(r, c + 1)] = kind
        if width > 2:
            s.merge(r, c + 1, r, c + width - 1)
        c += width
    if schema.footer_date:
        s.inputs[(r, c)] = "date"
        s.widths.setdefault(c, 14)


def _fields_head(schema: Schema, submitter: str, width: int) -> SheetLayout:
    """A fields form's first two lines across its width: its title, then 填报单位：…"""
    s = SheetLayout(schema.attachment or schema.id, ncols=width)
    s.put(0, 0, schema.title or schema.name)
    s.merge(0, 0, 0, width - 1)
    s.put(1, 0, f"{schema.submitter_labels[0]}：{submitter}")
    s.merge(1, 0, 1, width - 1)
    s.submitter_cell, s.title_cell = (1, 0), (0, 0)
    return s


def _layout_field_rows(schema: Schema, submitter: str) -> SheetLayout:
    """Fields found by (row label, column label), as such forms are drawn: a row label, its
    column labels beside it, each value under its label (《打通消防生命通道工作统计表》); the
    reader finds every field of it again."""
    groups: dict[str, list] = {}  # row label → its fields; "" → the fields found by one label alone
    for f in schema.fields:
        groups.setdefault(f.label[0] if len(f.label) > 1 else "", []).append(f)
    width = max(len(g) + (1 if label else 0) for label, g in groups.items())
    s = _fields_head(schema, submitter, width)
    r = 2
    shown = {x for f in schema.fields for x in f.label}
    for c, word in enumerate(w for w in schema.identify if w not in shown):  # the form's own headings (划线管理)
        s.put(r, c, word, header=True)
        r = 3
    for label, fields in groups.items():
        if label:
            s.put(r, 0, label, header=True)
            s.merge(r, 0, r + 1, 0)
        for c, f in enumerate(fields, start=1 if label else 0):  # each value under its last label
            s.put(r, c, f.label[-1], header=True)
            s.data_cells[("", f.key)] = (r + 1, c)
        r += 2
    s.widths[0] = 16
    for c in range(1, width):
        s.widths[c] = 18
    _foot(s, schema, r)
    return s


def _layout_fields(schema: Schema, submitter: str) -> SheetLayout:
    """Label, then a tall text cell under it, for each field (the narrative sheet)."""
    width = 8
    s = _fields_head(schema, submitter, width)
    r = 2
    for f in schema.fields:
        s.put(r, 0, f.label[0], header=True)
        s.merge(r, 0, r, width - 1)
        s.data_cells[("", f.key)] = (r + 1, 0)
        s.merge(r + 1, 0, r + 1, width - 1)
        s.row_heights[r + 1] = 90
        r += 2
    for c in range(width):
        s.widths[c] = 12
    _foot(s, schema, r)
    return s


def _layout_table(schema: Schema, submitter: str, extra_rows: list[str],
                  reference: tuple[str, dict] | None = None) -> SheetLayout:
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
        s.widths[c] = 6.5 if two_level else 14  # 26 columns fit A4 landscape, as on paper
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
    if reference is not None:
        label, values = reference
        s.put(r, 0, label, header=True)
        for i, col in enumerate(cols):
            if values.get(col.key) is not None:
                s.put(r, i + 1, values[col.key])
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


def sum_checks(lay: SheetLayout, schema: Schema) -> None:
    """Live checks for a blank form: the 总数 cell turns red while 总数 ≠ 一般 + 重大 (a
    conditional format; it never replaces what was typed). From the schema's sum rules."""
    from ..reading.grid import a1
    from ..schema import SumRule

    for rule in schema.rules:
        if not isinstance(rule, SumRule):
            continue
        for row in rule.rows or [r.key for r in schema.rows] or [""]:
            try:
                total = lay.data_cells[(row, rule.total)]
                parts = [lay.data_cells[(row, p)] for p in rule.parts]
            except KeyError:
                continue
            lay.checks.append((total, f"{a1(*total)}<>{'+'.join(a1(*p) for p in parts)}"))
