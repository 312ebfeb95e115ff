"""Grid → located forms → typed values. Forms are found by their labels, never by fixed cells.

A sheet may hold one form or several stacked; a form may sit lower or further right, carry extra
title rows, blank rows, merged or two-line header cells. The reader records what it found (and,
for each value, what it could not take as meant); it leaves judging to `rules`.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..config import Roster
from ..findings import ERROR, WARNING, Finding, finding
from ..model import Cell, FileRead, Footer, FormData
from ..schema import NUMERIC_TYPES, Column, Schema, SchemaSet, evaluate, norm_label, strip_unit
from ..values import cell_text, norm_word, parse_date, parse_deadline, parse_number, plain_text, split_names
from .grid import MAX_COLS, MAX_ROWS, ReadError, Sheet, a1, read_grid, require_regular

FOOTER_WORDS = ("审核人", "填报人", "联系电话")
MARKER_SHEET = "_safetyreport"  # the hidden sheet of a blank form made by `safetyreport forms`
_FOOTER_SPLIT = re.compile(r"(审核人|填报人|联系电话|填报日期|填报单位)\s*:?")
_FOOTER_ROLE = {"审核人": "reviewer", "填报人": "filer", "联系电话": "phone", "填报日期": "date"}
_DATE_TEMPLATE = re.compile(r"\d{4}\s*年\s*\d{0,2}\s*月\s*\d{0,2}\s*日|\d{4}\s*[-./]\s*\d{1,2}\s*[-./]\s*\d{1,2}")
_IGNORED_ROW_LABELS = {"……", "...", "…", "......", "其他", "其他(请注明)"}


@dataclass
class Region:
    top: int
    bottom: int  # inclusive; the footer row when there is one
    has_footer: bool


class SheetIndex:
    """Normalised label text of every text cell, indexed for label search."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.text: dict[tuple[int, int], str] = {}
        self.rows: dict[int, list[int]] = defaultdict(list)
        rows = self.rows
        for r, c in sorted(sheet.cells):
            rows[r].append(c)
        self.last_row = max(rows, default=0)
        # a cell says label L when its text is L, or its text without a trailing unit is L or
        # L without its unit (kept as two dictionaries: a lookup costs its hits, not the sheet)
        self._exact: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._bare: dict[str, list[tuple[int, int]]] = defaultdict(list)
        exact, bare_of, text = self._exact, self._bare, self.text
        footer_rows = set()
        for rc, v in sheet.cells.items():
            if isinstance(v, str):
                t, bare, footer = _label_of(v)
                text[rc] = t
                if t:
                    exact[t].append(rc)
                    bare_of[bare].append(rc)
                if footer:
                    footer_rows.add(rc[0])
        self.footer_rows = sorted(footer_rows)

    def find(self, labels: tuple[str, ...], top: int = 0, bottom: int = 10**9,
             left: int = 0, right: int = 10**9) -> list[tuple[int, int]]:
        """Cells saying one of `labels` within the box, top to bottom, left to right."""
        hits: set[tuple[int, int]] = set()
        exact, bare = self._exact, self._bare
        for lab in labels:
            if lab in exact:
                hits.update(exact[lab])
            if lab in bare:
                hits.update(bare[lab])
            unitless = strip_unit(lab)
            if unitless in bare:
                hits.update(bare[unitless])
        if not hits:
            return []
        return sorted(rc for rc in hits if top <= rc[0] <= bottom and left <= rc[1] <= right)


@lru_cache(maxsize=1 << 16)
def _label_of(text: str) -> tuple[str, str, bool]:
    """A text cell as the index keeps it: its normalised label, that label without a trailing
    unit, and whether it holds a footer word (memoised: the same labels recur in every file)."""
    t = norm_label(text)
    return t, strip_unit(t), any(w in t for w in FOOTER_WORDS)


def hashed(path: Path) -> tuple[Path, str | None]:
    """(path, its content hash), None for what cannot be hashed (missing, not a regular file):
    the reader then says what is wrong with it."""
    try:
        return path, file_sha256(path)
    except OSError:
        return path, None


def file_sha256(path: Path) -> str:
    """The content hash; raises OSError (ReadError is one) for what is not a regular file."""
    try:
        require_regular(path)
    except ReadError as e:
        raise OSError(e.reason) from None
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_file(path: Path, schemas: SchemaSet, roster: Roster, sha256: str | None = None) -> FileRead:
    """Read every form in a file. Never raises on a bad file: problems become findings.
    `sha256`: the file's hash when the caller has it already."""
    result = FileRead(path=str(path))
    try:
        sheets = read_grid(path)
    except ReadError as e:
        result.findings.append(finding(e.code, path=str(path), reason=e.reason, message=e.reason
                                       if e.code != "file-not-found" else None))
        if e.code != "file-not-found":
            # kept like any filing (nothing a submitter sent is lost); its name may say who sent it
            try:
                result.sha256 = sha256 or file_sha256(path)
            except OSError:
                pass
            result.submitter = roster.match(path.stem)
        return result
    result.sha256 = sha256 or file_sha256(path)
    for sheet in sheets:
        if sheet.name == MARKER_SHEET:  # written by `safetyreport forms`: who and which period
            result.marker = {cell_text(sheet.cells.get((r, 0))): cell_text(sheet.cells.get((r, 1)))
                             for r in range(20) if (r, 0) in sheet.cells}
            continue
        if sheet.beyond:  # no silent limit: say what was not read
            result.findings.append(finding("sheet-beyond-limit", path=str(path), sheet=sheet.name,
                                           cell=sheet.beyond, rows=MAX_ROWS, cols=MAX_COLS, far=sheet.beyond))
        index = SheetIndex(sheet)
        for schema in schemas:
            for region in _regions(index, schema):
                form, problems = _read_form(index, region, schema, str(path))
                result.forms.append(form)
                result.findings += problems
    if not result.forms:
        result.findings.append(finding(
            "no-form-found", path=str(path),
            forms="、".join(s.label for s in schemas)))
    result.submitter = _resolve_submitter(result, path, roster)
    return result


# --- finding a form -----------------------------------------------------------------------------


def _regions(index: SheetIndex, schema: Schema) -> list[Region]:
    """Each place in the sheet where the schema's identifying labels all appear.

    A form runs from just after the previous footer (or the top) to its own footer row (or the
    bottom), so several forms stacked on one sheet are told apart.
    """
    first = tuple(norm_label(x) for x in schema.identify[:1])
    anchors = index.find(first)
    regions: list[Region] = []
    last_row = index.last_row
    for r, _ in anchors:
        if regions and r <= regions[-1].bottom:
            continue
        top = max([f + 1 for f in index.footer_rows if f < r], default=0)
        below = [f for f in index.footer_rows if f >= r]
        region = Region(top, below[0] if below else last_row, bool(below))
        if all(index.find((norm_label(lab),), region.top, region.bottom) for lab in schema.identify):
            regions.append(region)
    return regions


def _read_form(index: SheetIndex, region: Region, schema: Schema, path: str) -> tuple[FormData, list[Finding]]:
    sheet = index.sheet
    form = FormData(schema_id=schema.id, path=path, sheet=sheet.name)
    cols = [c for (r, c) in sheet.cells if region.top <= r <= region.bottom] or [0]
    form.region = f"{a1(region.top, min(cols))}:{a1(region.bottom, max(cols))}"
    problems: list[Finding] = []

    def missing(code: str, label: str, severity: str = ERROR) -> None:
        problems.append(finding(code, severity=severity, path=path, sheet=sheet.name, form=schema.id,
                                cell=form.region, label=label, form_label=schema.label))

    _read_submitter(index, region, schema, form)
    if region.has_footer:
        form.footer = _read_footer(index, region.bottom)
    else:
        form.footer = Footer(ref=a1(region.bottom, 0))
    if schema.layout == "table":
        _read_table(index, region, schema, form, missing)
    elif schema.layout == "list":
        _read_list(index, region, schema, form, missing)
    else:
        _read_fields(index, region, schema, form, missing)
    return form, problems


def _read_submitter(index: SheetIndex, region: Region, schema: Schema, form: FormData) -> None:
    labels = [norm_label(x) for x in schema.submitter_labels]
    for (r, c), text in sorted(index.text.items()):
        if not region.top <= r <= region.bottom:
            continue
        label = next((lab for lab in labels if text.startswith(lab)), None)
        if label is None:
            continue
        raw = cell_text(index.sheet.cells[(r, c)])
        # the name follows the label in the same cell (after the colon), or in the next cell
        value = re.split(r"[:：]", raw, maxsplit=1)[1] if re.search(r"[:：]", raw) else ""
        value = _FOOTER_SPLIT.split(value)[0].strip()
        ref = a1(r, c)
        if not value:
            for c2 in index.rows[r]:
                nxt = cell_text(index.sheet.cells[(r, c2)])
                if c2 > c and nxt:
                    if not _FOOTER_SPLIT.match(norm_label(nxt)):
                        value, ref = nxt, a1(r, c2)
                    break
        form.submitter_text, form.submitter_ref = value, ref
        return


def _read_footer(index: SheetIndex, row: int) -> Footer:
    """审核人：张三   填报人：李四   联系电话：139…   2021年9月16日 — in one cell or several."""
    footer = Footer(ref=a1(row, 0))
    values: dict[str, list] = {}
    role = None
    for r in (row, row + 1):
        for c in index.rows.get(r, []):
            raw = index.sheet.cells[(r, c)]
            ref = a1(r, c)
            if hasattr(raw, "year") and not isinstance(raw, str):
                footer.date, footer.date_cell = parse_date(raw), Cell(cell_text(raw), ref, cell_text(raw))
                continue
            for piece in _FOOTER_SPLIT.split(cell_text(raw)):
                if piece in _FOOTER_ROLE or piece == "填报单位":
                    role = _FOOTER_ROLE.get(piece)
                    if role:
                        values.setdefault(role, [ref, ""])
                    continue
                m = _DATE_TEMPLATE.search(piece)
                if m:
                    footer.date_cell = Cell(m.group(0), ref, m.group(0).strip())
                    footer.date = parse_date(m.group(0))
                    piece = piece[: m.start()] + piece[m.end():]
                if role and piece.strip():
                    slot = values[role]
                    if not slot[1]:
                        slot[0] = ref
                    slot[1] = (slot[1] + " " + piece.strip()).strip()
        if values:
            break  # the footer is on this row; the next row is a note, not a footer
    for role, (ref, text) in values.items():
        if role == "date":
            if text and footer.date is None:
                footer.date, footer.date_cell = parse_date(text), Cell(text, ref, text)
            continue
        value = text.split()[0] if text.split() else ""
        setattr(footer, role, Cell(value or None, ref, value))
    return footer


def _read_table(index: SheetIndex, region: Region, schema: Schema, form: FormData, missing) -> None:
    sheet = index.sheet
    vocab = Vocabulary.of(schema)
    bottom = region.bottom - 1 if region.has_footer else region.bottom
    found_rows: dict[str, tuple[int, int]] = {}
    for row in schema.rows:
        hits = index.find(row.label_norms(), region.top, bottom)
        if hits:
            found_rows[row.key] = hits[0]
        elif row.required:
            missing("missing-row", row.label)
    if not found_rows:
        return
    first_data = min(r for r, _ in found_rows.values())
    label_col = min(c for _, c in found_rows.values())
    col_of = _locate_columns(index, schema.columns, region.top, first_data - 1, label_col, missing)
    cols = schema.column_map  # a plain dict: asked once per cell
    for key, (r, _) in found_rows.items():
        form.row_labels[key] = schema.row(key).label
        form.table[key] = {ck: _parse(sheet, r, c, cols[ck], vocab) for ck, c in col_of.items()}
    if schema.open_rows:
        known = {r for r, _ in found_rows.values()}
        for r in range(first_data, bottom + 1):
            label = cell_text(sheet.cells.get((r, label_col)))
            if r in known or not label or label in _IGNORED_ROW_LABELS or label.startswith("注"):
                continue
            key = f"extra_{len(form.row_labels) - len(found_rows) + 1}"
            form.row_labels[key] = label
            form.table[key] = {ck: _parse(sheet, r, c, cols[ck], vocab) for ck, c in col_of.items()}


def _locate_columns(index: SheetIndex, columns: list[Column], top: int, bottom: int,
                    after: int, missing) -> dict[str, int]:
    """Column key → sheet column, matching header label paths left to right in schema order."""
    col_of: dict[str, int] = {}
    last = after  # every column lies right of the previous one
    group: tuple[str, int, int, int] | None = None  # label, row, first col, last col
    for column in columns:
        steps = column.label_norms()
        if len(steps) == 1:
            hits = [rc for rc in index.find(steps[0], top, bottom) if rc[1] > last]
            if not hits:
                missing("missing-column", column.display)
                continue
            c = min(hits, key=lambda rc: (rc[1], rc[0]))[1]
        else:
            if group is None or group[0] != steps[0][0] or group[3] <= last:
                hits = [rc for rc in index.find(steps[0], top, bottom) if rc[1] > last]
                if not hits:
                    missing("missing-column", column.display)
                    continue
                gr, gc = min(hits, key=lambda rc: (rc[1], rc[0]))
                group = (steps[0][0], gr, gc, _span_end(index, gr, gc))
            _, gr, gc, gend = group
            hits = [rc for rc in index.find(steps[-1], gr + 1, bottom, max(gc, last + 1), gend)]
            if not hits:
                missing("missing-column", column.display)
                continue
            c = min(hits, key=lambda rc: (rc[1], rc[0]))[1]
        col_of[column.key] = c
        last = c
    return col_of


def _span_end(index: SheetIndex, r: int, c: int) -> int:
    """Last column a group header covers: its merged area, else up to the next label in its row."""
    area = index.sheet.merged_area(r, c)
    if area[3] > c:
        return area[3]
    later = [c2 for c2 in index.rows[r] if c2 > c]
    return (later[0] - 1) if later else 10**9


def _read_list(index: SheetIndex, region: Region, schema: Schema, form: FormData, missing) -> None:
    sheet = index.sheet
    bottom = region.bottom - 1 if region.has_footer else region.bottom
    col_of: dict[str, int] = {}
    header_bottom = region.top
    for column in schema.columns:
        hits = index.find(column.label_norms()[-1], region.top, bottom)
        if not hits:
            missing("missing-column", column.display, ERROR if column.required else WARNING)
            continue
        r, c = hits[0]
        col_of[column.key] = c
        header_bottom = max(header_bottom, index.sheet.merged_area(r, c)[2])
    if not col_of:
        return
    hints = {norm_label(h) for h in schema.hint_rows}
    vocab = Vocabulary.of(schema)
    cols = schema.column_map
    shared = _merged_down(sheet, header_bottom, bottom, set(col_of.values()))
    for r in range(header_bottom + 1, bottom + 1):
        texts = [cell_text(sheet.cells.get(shared.get((r, c), (r, c)))) for c in col_of.values()]
        joined = norm_label("".join(texts))
        if not joined or joined in hints or joined in _IGNORED_ROW_LABELS:
            continue
        first = next((t for t in texts if t), "")
        if first.startswith("注") and len([t for t in texts if t]) == 1:
            break  # the note under the form
        filled = {k: t for k, t in zip(col_of, texts) if t}
        if list(filled) == ["seq"]:
            continue  # a pre-numbered empty row
        if _says_none(filled, schema, vocab):
            form.none_rows.append(r + 1)  # "无" / "暂无": the list is empty — kept, never a record
            continue
        record = {k: _parse(sheet, *shared.get((r, c), (r, c)), cols[k], vocab) for k, c in col_of.items()}
        for k, cell in record.items():
            if cell.problem == "blank":  # a list row naming a business without a fine has no amount, not 0
                record[k] = Cell(None, cell.ref, cell.text)
        form.records.append(record)
        form.record_rows.append(r + 1)


def _merged_down(sheet: Sheet, top: int, bottom: int, columns: set[int]) -> dict[tuple[int, int], tuple[int, int]]:
    """Records that share a cell merged down over them (one 自查问题 over its several 整改措施):
    each row's cell → the merged area's top cell, where its text is."""
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for r1, c1, r2, c2 in sheet.merged:
        if r2 > r1 and r1 > top and r1 <= bottom:
            for c in range(c1, c2 + 1):
                if c in columns:
                    out.update({(r, c): (r1, c1) for r in range(r1 + 1, min(r2, bottom) + 1)})
    return out


def _read_fields(index: SheetIndex, region: Region, schema: Schema, form: FormData, missing) -> None:
    row: dict[str, Cell] = {}
    form.table[""] = row
    form.row_labels[""] = ""
    for column in schema.fields:
        steps = column.label_norms()
        hits = index.find(steps[0], region.top, region.bottom)
        if not hits:
            missing("missing-column", column.display)
            continue
        r, c = hits[0]
        for step in steps[1:]:
            nxt = [rc for rc in index.find(step, r, r, c + 1)]
            if not nxt:
                break
            r, c = nxt[0]
        else:
            value_row = index.sheet.merged_area(r, c)[2] + 1
            row[column.key] = _parse(index.sheet, value_row, c, column, Vocabulary.of(schema))
            continue
        missing("missing-column", column.display)
    # derived cells left blank are computed (未划线 = 现有 − 已划线); filled ones are checked by rules
    values = {k: c.value for k, c in row.items()}
    for column in schema.fields:
        cell = row.get(column.key)
        if cell is not None and cell.problem == "derive":
            cell.value, cell.problem = evaluate(column.derive, values), ""
            values[column.key] = cell.value


@dataclass(frozen=True)
class Vocabulary:
    """A form's words, computed once per form: its 挂账销号 statuses, what a number cell says for
    0 (schema zero_words) and what a list row says for "nothing to list" (none_words)."""

    statuses: tuple
    zero: frozenset
    none: frozenset

    @staticmethod
    def of(schema: Schema) -> Vocabulary:
        return Vocabulary(tuple(schema.statuses), schema.zero_set, schema.none_set)


def _says_none(filled: dict[str, str], schema: Schema, vocab: Vocabulary) -> bool:
    """A list row whose cells (序号 aside) all say "none" — 无, 暂无, 本周无, — … or a 0 amount —
    declares the list empty (附件4 is filed by units "认定为重大隐患的"; 附件5 "根据执法检查工作开展情况")."""
    said = False
    for key, text in filled.items():
        if key == "seq":
            continue
        column = schema.column_map[key]
        if column.type in NUMERIC_TYPES and parse_number(text, column.type).value == 0:
            continue
        if norm_word(text) not in vocab.none:
            return False
        said = True
    return said


def _parse(sheet: Sheet, r: int, c: int, column: Column, vocab: Vocabulary) -> Cell:
    """One cell, typed by its column. Problems are recorded on the cell, never raised."""
    ref = a1(r, c)
    if (r, c) in sheet.formulas:
        return Cell(None, ref, "", problem="formula", formula=sheet.formulas[(r, c)])
    raw = sheet.cells.get((r, c))
    kind = column.type
    if kind == "text":
        text = plain_text(raw)
        return Cell(text or None, ref, text)
    if kind in NUMERIC_TYPES:
        if column.derive and not cell_text(raw):
            return Cell(None, ref, "", problem="derive")
        p = parse_number(raw, kind, vocab.zero)
        return Cell(p.value if p.problem != "not-a-number" else None, ref, p.text, p.problem)
    text = cell_text(raw)
    if column.type == "names":
        return Cell(split_names(raw, vocab.none), ref, text)
    if column.type == "status":
        if not text:
            return Cell(None, ref, text)
        key, problem = _status(text, vocab.statuses)
        return Cell(key, ref, text, problem)
    if column.type == "date":
        value, problem = parse_deadline(raw)
        return Cell(value, ref, text, problem)
    if column.type == "yesno":
        v = {"是": True, "已启动": True, "否": False, "未启动": False}.get(text.rstrip("。"))
        return Cell(v, ref, text, "" if v is not None or not text else "not-yes-no")
    return Cell(text or None, ref, text)


def _status(text: str, statuses) -> tuple[str | None, str]:
    """'已整改' → ('closed', ''); unknown words → (None, 'unknown-status')."""
    t = norm_label(text).rstrip("。.")
    words = sorted(((norm_label(w), s.key) for s in statuses for w in [s.label, *s.synonyms]),
                   key=lambda wk: -len(wk[0]))
    for w, key in words:
        if t == w:
            return key, ""
    for w, key in words:  # "已整改完成" holds 整改完成; longest first, and never a 2-character
        if len(w) >= 3 and w in t:  # word ("基本完成待验收" is not 完成)
            return key, ""
    return None, "unknown-status"


def _resolve_submitter(result: FileRead, path: Path, roster: Roster):
    """The header names the submitter; when it is empty, the file name may."""
    for form in result.forms:
        if form.submitter_text:
            hit = roster.match(form.submitter_text)
            if hit:
                return hit
    if not any(f.submitter_text for f in result.forms):
        return roster.match(result.marker.get("submitter", "")) or roster.match(path.stem)
    return None
