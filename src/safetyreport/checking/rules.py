"""Rules: a schema's rules evaluated on what the reader found. Returns findings; reads no files.

Missing-value strategy (DHIS2's "skip if any value is missing"): a rule whose operands include
an unusable value is not evaluated — that value already has its own finding.
"""

from __future__ import annotations

from typing import Any

from ..config import Roster
from ..findings import Finding, finding
from ..model import Cell, FileRead, FormData, Submission
from ..schema import (
    AmountRule,
    CountRule,
    LeRule,
    PairRule,
    RowLeRule,
    Schema,
    SchemaSet,
    SumRule,
    evaluate,
    norm_label,
)
from ..values import fmt_num, looks_like_date_attempt, valid_phone

_CELL_PROBLEM_CODES = {
    "not-a-number": "not-a-number",
    "negative-number": "negative-number",
    "not-whole-number": "not-whole-number",
    "formula": "formula-without-value",
    "not-yes-no": "invalid-choice",
}


def check_form(form: FormData, schema: Schema) -> list[Finding]:
    """Every single-form rule: cell values, the footer, the schema's in-form rules."""
    out: list[Finding] = []

    def emit(code: str, cell: str = "", column: str = "", **params: Any) -> Finding:
        f = finding(code, path=form.path, sheet=form.sheet, cell=cell, form=form.schema_id,
                    column=column, **params)
        out.append(f)
        return f

    _check_cells(form, schema, emit)
    if schema.footer:
        _check_footer(form, emit, schema.footer_date)
    if schema.layout == "list":
        _check_records(form, schema, emit)
    else:
        _check_derived(form, schema, emit)
        for rule in schema.rules:
            _apply_table_rule(rule, form, schema, out)
    return out


def _row_prefix(form: FormData, row: str) -> str:
    label = form.row_labels.get(row, "")
    return f"{label} " if label else ""


def _check_cells(form: FormData, schema: Schema, emit) -> None:
    blanks: list[str] = []

    cols = schema.column_map

    def one(cell: Cell, column_key: str, where: str) -> None:
        # most cells are fine: the label is made only for a cell that has something to say
        if not cell.problem:
            return
        column = cols[column_key]
        label = f"{where}{column.display}（{cell.ref}）"
        if cell.problem == "blank":
            blanks.append(cell.ref)
        elif cell.problem == "yuan":
            emit("unit-converted", cell.ref, column_key, label=label, text=cell.text,
                 value=fmt_num(cell.value))
        elif cell.problem in _CELL_PROBLEM_CODES:
            emit(_CELL_PROBLEM_CODES[cell.problem], cell.ref, column_key, label=label,
                 text=cell.text, value=cell.text, unit=column.unit, formula=cell.formula)

    for row, cells in form.table.items():
        for key, cell in cells.items():
            if cell.problem:
                one(cell, key, _row_prefix(form, row))
    for rownum, record in zip(form.record_rows, form.records):
        for key, cell in record.items():
            if cell.problem:
                one(cell, key, f"第 {rownum} 行")
    if blanks:
        shown = "、".join(blanks[:5]) + ("等" if len(blanks) > 5 else "")
        emit("blank-as-zero", blanks[0], form_label=schema.label, count=len(blanks), cells=shown)


def _check_footer(form: FormData, emit, want_date: bool) -> None:
    ft = form.footer
    ref = ft.ref
    for role, cell in (("审核人", ft.reviewer), ("填报人", ft.filer)):
        if cell is None or not cell.value:
            emit("missing-signature", cell.ref if cell else ref, role=role)
    if ft.phone is None or not ft.phone.value:
        emit("missing-phone", ft.phone.ref if ft.phone else ref)
    elif not valid_phone(ft.phone.text):
        emit("invalid-phone", ft.phone.ref, text=ft.phone.text)
    if ft.date is None and want_date:
        typed = ft.date_cell.text if ft.date_cell else ""
        if typed and ft.date_cell and looks_like_date_attempt(typed):
            emit("invalid-date", ft.date_cell.ref, text=typed)
        else:
            emit("missing-date", ft.date_cell.ref if ft.date_cell else ref)


def _check_records(form: FormData, schema: Schema, emit) -> None:
    allowed = "、".join(s.label for s in schema.statuses)
    for rownum, record in zip(form.record_rows, form.records):
        for column in schema.columns:
            cell = record.get(column.key)
            if cell is None:
                continue
            if column.required and not cell.text:
                emit("missing-value", cell.ref, column.key, row=rownum, label=column.display)
            elif cell.problem == "unknown-status":
                emit("unknown-status", cell.ref, column.key, row=rownum, text=cell.text, allowed=allowed)
            elif cell.problem == "not-a-date":
                emit("unreadable-deadline", cell.ref, column.key, row=rownum, text=cell.text, label=column.display)


def _check_derived(form: FormData, schema: Schema, emit) -> None:
    for row, cells in form.table.items():
        values = {k: c.value for k, c in cells.items()}
        for column in schema.numeric_columns:
            cell = cells.get(column.key)
            if not column.derive or cell is None or cell.value is None or cell.problem:
                continue
            expected = evaluate(column.derive, values)
            tolerance = 0.5 if column.type == "percent" else 1e-6
            if column.type == "percent" and expected is not None and abs(cell.value * 100 - expected) <= tolerance:
                continue  # 25% typed in Excel is stored as 0.25: the same figure (what is shown is recomputed)
            if expected is not None and abs(cell.value - expected) > tolerance:
                formula = column.derive
                for c in schema.numeric_columns:
                    formula = formula.replace(c.key, c.display)
                emit("derived-mismatch", cell.ref, column.key,
                     label=f"{_row_prefix(form, row)}{column.display}",
                     value=fmt_num(cell.value), formula=formula, expected=fmt_num(round(expected, 2)))


def _num(form: FormData, row: str, key: str) -> tuple[float | None, str]:
    cell = form.table.get(row, {}).get(key)
    if cell is None or cell.problem in _CELL_PROBLEM_CODES or not isinstance(cell.value, (int, float)):
        return None, cell.ref if cell else ""
    return cell.value, cell.ref


def _apply_table_rule(rule, form: FormData, schema: Schema, out: list[Finding]) -> None:
    rows = [r for r in form.table if not r.startswith("extra_")]

    def emit(code: str, cell: str, column: str, **params: Any) -> None:
        out.append(finding(code, severity=rule.severity, message=rule.message, path=form.path,
                           sheet=form.sheet, cell=cell, form=form.schema_id, column=column, **params))

    def name(key: str) -> str:
        return schema.column(key).display

    if isinstance(rule, SumRule):
        for row in rule.rows or rows:
            total, ref = _num(form, row, rule.total)
            parts = [_num(form, row, p)[0] for p in rule.parts]
            if total is None or any(p is None for p in parts):
                continue
            expected = sum(p for p in parts if p is not None)
            if abs(total - expected) > 1e-6:
                parts_text = " + ".join(f"{name(k)} {fmt_num(v)}" for k, v in zip(rule.parts, parts))
                emit("sum-mismatch", ref, rule.total, row=_row_prefix(form, row),
                     total_label=name(rule.total), total=fmt_num(total), parts_text=parts_text,
                     expected=fmt_num(expected))
    elif isinstance(rule, LeRule):
        for row in rule.rows or rows:
            left, ref = _num(form, row, rule.left)
            right, _ = _num(form, row, rule.right)
            if left is not None and right is not None and left > right + 1e-9:
                emit("exceeds", ref, rule.left, row=_row_prefix(form, row), left_label=name(rule.left),
                     left=fmt_num(left), right_label=name(rule.right), right=fmt_num(right), why=rule.why)
    elif isinstance(rule, RowLeRule):
        if rule.columns == "flow":
            keys = [c.key for c in schema.numeric_columns if c.flow]
        elif rule.columns == "all":
            keys = [c.key for c in schema.numeric_columns]
        else:
            keys = list(rule.columns)
        for key in keys:
            left, ref = _num(form, rule.left_row, key)
            right, _ = _num(form, rule.right_row, key)
            if left is not None and right is not None and left > right + 1e-9:
                emit("weekly-exceeds-cumulative", ref, key, label=name(key),
                     weekly=fmt_num(left), cumulative=fmt_num(right))
    elif isinstance(rule, PairRule):
        for row in rule.rows or rows:
            left, ref = _num(form, row, rule.left)
            right, _ = _num(form, row, rule.right)
            if left is not None and right is not None and (left > 0) != (right > 0):
                emit("pair-mismatch", ref, rule.left, row=_row_prefix(form, row),
                     left_label=name(rule.left), left=fmt_num(left), right_label=name(rule.right),
                     right=fmt_num(right))


# --- across the forms of one submission ----------------------------------------------------------


def check_submission(submission: Submission, schemas: SchemaSet) -> list[Finding]:
    """Rules between forms of one submitter's filing (附件4/5 against 附件3), 元/万元 slip included."""
    out: list[Finding] = []
    for form in submission.forms.values():
        schema = schemas[form.schema_id]
        for rule in schema.rules:
            if isinstance(rule, (CountRule, AmountRule)):
                found = _agreement(rule, form, schema, submission, schemas)
                if found:
                    out.append(found)
    return out


def _agreement(rule, form: FormData, schema: Schema, submission: Submission, schemas: SchemaSet) -> Finding | None:
    """One count or amount rule of a list form against the table figure(s) it names, or None.
    Several figures are summed (重大隐患 from 排查 and from 监督检查)."""
    refs = [schemas.resolve_ref(ref, schema.id) for ref in rule.agrees_with]
    other = refs[0][0]
    table = submission.forms.get(other.id)
    if table is None:
        return None  # the other form was not sent: filing status reports the missing form
    figures = []
    for _, row, column in refs:
        value, ref = _num(table, row.key, column.key)
        if value is None:
            return None  # that cell has its own finding
        figures.append((f"{row.label}{column.display}（{table.sheet}!{ref}）", value))
    expected = round(sum(v for _, v in figures), 6)
    label = figures[0][0] if len(figures) == 1 else " + ".join(f"{lab} {fmt_num(v)}" for lab, v in figures) + " ="
    if isinstance(rule, CountRule):
        got = _count(form, rule)
        if got == expected:
            return None
        code, more = "count-mismatch", {"count": fmt_num(got)}
    else:
        amounts = [r[rule.column].value for r in form.records
                   if rule.column in r and isinstance(r[rule.column].value, (int, float))]
        total = round(sum(amounts), 6)
        if abs(total - expected) <= rule.tolerance:
            return None
        slip = expected > 0 and abs(total / expected - rule.slip_factor) <= rule.slip_factor * 0.02
        code, more = ("unit-slip-yuan" if slip else "amount-mismatch"), {"amount": fmt_num(total)}
    return finding(code, severity=rule.severity, message=rule.message, path=form.path, sheet=form.sheet,
                   cell=form.region, form=form.schema_id, column=getattr(rule, "column", ""),
                   list_form=schema.short, what=rule.what, table_form=other.short,
                   label=label, expected=fmt_num(expected), **more)


def _count(form: FormData, rule: CountRule) -> int:
    records = form.records
    if rule.status:
        records = [r for r in records if r.get("status") and r["status"].value == rule.status]
    if not rule.column:
        return len(records)
    names = [n for r in records if rule.column in r for n in (r[rule.column].value or [])]
    if rule.count == "distinct":
        return len({norm_label(n) for n in names})
    return len(names)  # entries: a firm penalised in two weeks is two penalties


def check_submitter(read: FileRead, roster: Roster) -> list[Finding]:
    """The header names a roster submitter, consistently across the forms of the file."""
    out: list[Finding] = []
    named = [f for f in read.forms if f.submitter_text]
    reported: set[str] = set()
    for form in named:
        if roster.match(form.submitter_text) is None and form.submitter_text not in reported:
            reported.add(form.submitter_text)
            out.append(finding("unknown-submitter", path=read.path, sheet=form.sheet,
                               cell=form.submitter_ref, form=form.schema_id,
                               text=form.submitter_text, expected=roster.names()))
    matched = [(f, roster.match(f.submitter_text)) for f in named]
    known = [(f, s) for f, s in matched if s is not None]
    for form, sub in known[1:]:
        first, first_sub = known[0]
        if sub is not first_sub:
            out.append(finding("submitter-mismatch", path=read.path, sheet=form.sheet,
                               cell=form.submitter_ref, form=form.schema_id,
                               first=first_sub.name, first_place=f"{first.sheet}!{first.submitter_ref}",
                               second=sub.name, second_place=f"{form.sheet}!{form.submitter_ref}"))
    if read.forms and not named and read.submitter is None:
        from pathlib import Path

        form = read.forms[0]
        out.append(finding("missing-submitter", path=read.path, sheet=form.sheet,
                           cell=form.submitter_ref or form.region.split(":")[0], form=form.schema_id,
                           filename=Path(read.path).name))
    return out

