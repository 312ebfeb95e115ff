"""Writing workbooks, all through one writer (`xlsx.Book`, xlsxwriter): the consolidated workbook
and the district's own filing, written fresh each Thursday, and the blank forms (locked labels,
data validation with Chinese prompts, live marks where a 总数 does not add up). Computes
nothing: every figure comes from a PeriodResult. Text from submissions is always written as
text, never as a formula. Files are written atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import Config
from ..ledger.merge import PeriodResult
from ..reading.reader import MARKER_SHEET
from ..schema import SchemaSet
from ..values import cn_date, fmt_num
from .layout import SheetLayout, footer_text, layout_form

ERROR_FILL = "FFC7CE"
EXCEL_TEXT_LIMIT = 32767
WARNING_FILL = "FFEB9C"
HEADER_FILL = "DDEBF7"


HEADER_ROW_HEIGHT, NARROW_HEADER_ROW_HEIGHT = 42, 32  # points: two or three wrapped lines of a label


# --- the consolidated workbook ------------------------------------------------------------------


# the roles (Schema.role) of the built-in campaign's forms, whose consolidated sheets are its own
BUILT_IN_ROLES = ("totals", "hazards", "enforcement", "facilities")


def _built_in(result: PeriodResult) -> bool:
    return all(r in result.roles for r in BUILT_IN_ROLES)


def write_consolidated(result: PeriodResult, schemas: SchemaSet, path: Path,
                       verdicts: dict[str, str] | None = None, forms: list[str] | None = None) -> Path:
    """Written with xlsxwriter (see xlsx.py): fresh each Thursday, never edited by us. `verdicts`:
    each unit's 按时/迟报/错报/漏报 as `status` gives it, for the 报送情况 sheet. `forms`: the
    campaign's; another campaign's get a sheet each laid out from their schemas."""
    from .xlsx import Book

    wb = Book()
    forms = [f for f in (forms or list(result.roles.values())) if f in schemas]
    if _built_in(result):
        own = {role: schemas[result.roles[role]] for role in BUILT_IN_ROLES}
        _sheet_a3(wb.sheet(f"{own['totals'].short}汇总"), result, schemas, own["totals"].id)
        _sheet_a4(wb.sheet(f"{own['hazards'].short}汇总"), result, own["hazards"])
        _sheet_a5(wb.sheet(f"{own['enforcement'].short}汇总"), result, own["enforcement"])
        _sheet_a6(wb.sheet(f"{own['facilities'].short}汇总"), result, own["facilities"])
    else:
        for form_id in forms:
            schema = schemas[form_id]
            name = f"{schema.short}汇总"[:31]
            if schema.layout == "list":
                _sheet_list(wb.sheet(name), result, schema)
            elif form_id == result.table_form:
                _sheet_a3(wb.sheet(name), result, schemas, form_id)
            else:
                _sheet_cells(wb.sheet(name), result, schema)
    _sheet_status(wb.sheet("报送情况"), result, verdicts or {})
    _sheet_findings(wb.sheet("问题清单"), result)
    return wb.save(path)


def _shown(value: Any) -> Any:
    """A cell of another campaign's list as a clerk reads it: names joined, a date without its
    year ("--09-20", as written 9月20日前) as 9月20日."""
    if isinstance(value, list):
        return "、".join(value)
    if isinstance(value, str) and len(value) == 7 and value.startswith("--"):
        return f"{int(value[2:4])}月{int(value[5:7])}日"
    return value


def _sheet_list(ws, result: PeriodResult, schema) -> None:
    """A list form of any campaign: every unit's records one under another (none dropped), with
    its unit and the findings beside the cells they concern."""
    labels: dict[Any, Any] = {s.key: s.label for s in schema.statuses}
    cols = [c for c in schema.columns if c.key != "seq"]
    heads = ["序号", "填报单位"] + [c.display for c in cols]
    _title(ws, f"{result.district}{schema.title or schema.name}", _subtitle(result), len(heads))
    _header(ws, 3, heads, [6, 16] + [24 if c.type == "text" else 12 for c in cols])
    by_row = _findings_by_row(result)
    r = 4
    for n, item in enumerate(result.lists.get(schema.id, []), start=1):
        values = [n, item.submitter] + [labels.get(item.values.get(c.key), item.values.get(c.key) or "") for c in cols]
        for i, v in enumerate(values, start=1):
            ws.put(r, i, _shown(v), "sr-wrap")
        _mark_list_row(ws, r, item, [c.key for c in cols], by_row, 3)
        r += 1
    units = len({i.submitter for i in result.lists.get(schema.id, [])})
    ws.put(r + 1, 1, f"共 {r - 4} 条，来自 {units} 个单位。")
    ws.printable(freeze=(4, 3))


def _sheet_cells(ws, result: PeriodResult, schema) -> None:
    """Any other table or fields form: the district's sums first (合计, per row and column, derived
    cells computed from the sums), then each unit's counted cells, one per line (unit, the period it
    was filed for, row, column, value)."""
    heads = ["填报单位", "期别", "行", "栏目", "数值"]
    _title(ws, f"{result.district}{_consolidated(schema)}", _subtitle(result), len(heads))
    _header(ws, 3, heads, [16, 12, 16, 30, 12])
    r = 4
    for label, values in result.sums.get(schema.id, {}).items():
        for col in schema.numeric_columns:
            for i, v in enumerate(["合计", result.period.key, label, col.display, values.get(col.key)], start=1):
                ws.put(r, i, v)
            r += 1
    for res in result.rows:
        c = res.forms.get(schema.id)
        if c is None:
            continue
        for row_key, cells in c.form.table.items():
            for col_key, cell in cells.items():
                col = schema.column_map.get(col_key)
                for i, v in enumerate([res.submitter.name, c.period, c.form.row_labels.get(row_key, row_key),
                                       col.display if col else col_key, cell.value], start=1):
                    ws.put(r, i, v)
                r += 1
    ws.printable(freeze=(4, 2))


def _consolidated(schema) -> str:
    """A form's consolidated sheet's title, after the district's name."""
    return schema.consolidated_title or f"{schema.title or schema.name}汇总表"


def _title(ws, text: str, sub: str, width: int) -> None:
    ws.put(1, 1, text, "sr-title")
    ws.merge(1, 1, 1, width)
    ws.put(2, 1, sub)
    ws.merge(2, 1, 2, width)


def _header(ws, row: int, labels: list[str], widths: Sequence[float]) -> None:
    for i, (label, w) in enumerate(zip(labels, widths), start=1):
        ws.put(row, i, label, "sr-header")
        ws.width(i, w)


def _subtitle(result: PeriodResult) -> str:
    d = result.period.deadline
    return f"{result.period.label}，截止 {cn_date(d)} {d:%H:%M}（北京时间）"


def _sheet_a3(ws, result: PeriodResult, schemas: SchemaSet, form_id: str) -> None:
    schema = schemas[form_id]
    cols = schema.columns
    ncol = len(cols) + 3
    title = _consolidated(schema)
    _title(ws, f"{result.district}{title}", _subtitle(result), ncol)
    # two header rows: group labels merged over their sub-labels, as on the paper form
    ws.put(3, 1, "填报单位")
    ws.put(3, 2, "类别")
    lay = layout_form(schema)
    for (r, c), v in lay.cells.items():
        if r in (3, 4) and c >= 1:
            ws.put(r, c + 2, v)
    for r1, c1, r2, c2 in lay.merges:
        if r1 in (3, 4) and c1 >= 1:
            ws.merge(r1, c1 + 2, r2, c2 + 2)
    ws.put(3, ncol, "备注")
    for c in (1, 2, ncol):
        ws.merge(3, c, 4, c)
    for r in (3, 4):
        for c in range(1, ncol + 1):
            ws.style(r, c, "sr-header")
    units = ["", ""] + [f"（{c.unit}）" if c.unit else "" for c in cols]
    row = 5
    total_note = (f"累计数为 {result.totals.cumulative_submitters} 个单位之和；"
                  f"当周数为 {result.totals.weekly_submitters} 个单位之和")
    for key, units_sum in result.totals.units_stock.items():
        # 附件3 注2 “避免重复统计”: places are counted by the streets; the units' own figure beside
        total_note += (f"；{schema.column(key).display}为各街道之和，成员单位另报 {fmt_num(units_sum)}"
                       f"{schema.column(key).unit}（不计入合计，避免重复统计）")
    pairs: list[tuple[str, dict | None, dict | None, str, Any]] = [
        ("合计", result.totals.cumulative, result.totals.weekly, total_note, None)]
    for unit in result.rows:
        note = "" if unit.status == "filed" else (f"{unit.status_text}，当周数未知" if unit.status == "carried"
                                                   else "未报送")
        pairs.append((unit.submitter.name, unit.cumulative if unit.status != "missing" else None, unit.weekly, note,
                      unit))
    where: dict[tuple[str, str, str], Any] = {}
    for name, cum, wk, note, res in pairs:
        ws.put(row, 1, name)
        ws.merge(row, 1, row + 1, 1)
        ws.put(row, 2, "累计数")
        ws.put(row + 1, 2, "当周数")
        for i, col in enumerate(cols, start=3):
            for rr, values in ((row, cum), (row + 1, wk)):
                v = values.get(col.key) if values else None
                ws.put(rr, i, v if v is not None else "—")
        ws.put(row, ncol, note)
        ws.merge(row, ncol, row + 1, ncol)
        if res is not None and res.status == "filed":
            c = res.forms[form_id]
            for rr, key in ((row, "cumulative"), (row + 1, "weekly")):
                for i, col in enumerate(cols, start=3):
                    cell = c.form.table.get(key, {}).get(col.key)
                    if cell is not None:
                        where[(c.filing.original_path, c.form.sheet, cell.ref)] = (rr, i)
        for rr in (row, row + 1):
            for cc in range(1, ncol + 1):
                ws.style(rr, cc, "sr-cell-wrap" if cc == ncol else "sr-cell-bold" if name == "合计" else "sr-cell")
        row += 2
    for i, u in enumerate(units, start=1):
        ws.put(row, i, u)
    # every finding beside the cell it concerns: a fill and a comment with the message
    notes: dict[tuple[int, int], list] = {}
    for f in result.findings:
        pos = where.get((f.path, f.sheet, f.cell))
        if pos:
            notes.setdefault(pos, []).append(f)
    for (r, c), fs in notes.items():
        _mark(ws, r, c, fs)
    ws.width(1, 16)
    ws.width(2, 7)
    for i in range(3, ncol):
        ws.width(i, 7.5)
    ws.width(ncol, 24)
    ws.height(4, 48)
    ws.printable(freeze=(5, 3))


def _mark(ws, row: int, col: int, findings: list) -> None:
    """A finding beside the cell it concerns: a fill, and a comment with the message."""
    ws.mark(row, col, ERROR_FILL if any(f.severity == "error" for f in findings) else WARNING_FILL,
            "\n".join(f"[{f.title}] {f.message}" for f in findings))


def _findings_by_row(result: PeriodResult) -> dict[tuple[str, str, int], list]:
    """The period's findings by the file, sheet and row (1-based) they point at: looked up once
    per list record rather than each record going through every finding."""
    from ..reading.grid import parse_a1

    out: dict[tuple[str, str, int], list] = {}
    for f in result.findings:
        at = parse_a1(f.cell)
        if at:
            out.setdefault((f.path, f.sheet, at[0] + 1), []).append(f)
    return out


def _mark_list_row(ws, row: int, item, columns: list[str], by_row: dict[tuple[str, str, int], list],
                   first_col: int) -> None:
    """Findings about one record of a submitter's list (its file, sheet and row), by column."""
    sheet, _, rownum = item.ref.rpartition("!")  # a sheet's own name may hold a "!"
    hits: dict[int, list] = {}
    for f in by_row.get((item.path, sheet, int(rownum) if rownum.isdigit() else -1), ()):
        if f.column in columns:
            hits.setdefault(first_col + columns.index(f.column), []).append(f)
    for col, fs in hits.items():
        _mark(ws, row, col, fs)


def _sheet_a4(ws, result: PeriodResult, schema) -> None:
    labels: dict[Any, Any] = {s.key: s.label for s in schema.statuses}
    cols = [c for c in schema.columns if c.key != "seq"]
    heads = ["序号", "填报单位"] + [c.display for c in cols] + ["疑似重复"]
    _title(ws, f"{result.district}{_consolidated(schema)}", _subtitle(result), len(heads))
    _header(ws, 3, heads, [6, 16] + [28 if c.key in ("hazard", "measures") else 18 for c in cols] + [22])
    by_row = _findings_by_row(result)
    r = 4
    for n, item in enumerate(result.lists.get(schema.id, []), start=1):
        values = [n, item.submitter] + [labels.get(item.values.get(c.key), item.values.get(c.key) or "")
                                         for c in cols]
        mark = ""
        if item.duplicate_of:
            mark = f"与其他单位为同一隐患（{item.duplicate_of}），不重复计数"
        else:
            d = next((d for d in result.duplicates if d.form == schema.id and item.submitter in (d.first, d.second)
                      and d.name.split("：")[0] == str(item.values.get("place"))), None)
            if d and d.verdict is None:
                mark = f"疑似与{d.second if d.first == item.submitter else d.first}重复（{d.id}），待核实"
        for i, v in enumerate([*values, mark], start=1):
            ws.put(r, i, v, "sr-wrap")
        _mark_list_row(ws, r, item, [c.key for c in cols], by_row, 3)
        r += 1
    counts = result.list_counts.get(schema.id, {})
    ws.put(r + 1, 1, f"共 {counts.get('records', 0)} 项重大隐患（已确认的重复只计一次），其中整改完成 {counts.get('closed', 0)} 项。")
    ws.printable(freeze=(4, 3))


def _sheet_a5(ws, result: PeriodResult, schema) -> None:
    heads = ["填报单位"] + [c.display for c in schema.columns]
    _title(ws, f"{result.district}{_consolidated(schema)}", _subtitle(result), len(heads))
    _header(ws, 3, heads, [16] + [22 if c.type == "names" else 10 for c in schema.columns])
    by_row = _findings_by_row(result)
    r = 4
    for item in result.lists.get(schema.id, []):
        ws.put(r, 1, item.submitter, "sr-wrap")
        for i, c in enumerate(schema.columns, start=2):  # wrapped, as 附件4汇总: long firm names stay whole
            v = item.values.get(c.key)
            ws.put(r, i, "、".join(v) if isinstance(v, list) else (v if v not in (None, "") else ""), "sr-wrap")
        _mark_list_row(ws, r, item, [c.key for c in schema.columns], by_row, 2)
        r += 1
    counts = result.list_counts.get(schema.id, {})
    parts = [f"{c.display} {counts.get(c.key, 0)} 家" for c in schema.columns if c.type == "names"]
    sums = [f"{c.display} {counts.get(c.key, 0)} {c.unit}".rstrip() for c in schema.columns if c.type == "amount"]
    ws.put(r + 1, 1, "合计（已确认的重复只计一次）：" + "，".join(parts) + "".join(f"；{x}" for x in sums) + "。")
    ws.printable(freeze=(4, 2))


def _sheet_a6(ws, result: PeriodResult, schema) -> None:
    cols = schema.numeric_columns
    names = [c.display + (f"（{c.unit}）" if c.unit else "") for c in cols]
    _title(ws, f"{result.district}{_consolidated(schema)}", _subtitle(result), len(cols) + 2)
    _header(ws, 3, ["设施", *names], [22] + [18 if c.unit else 10 for c in cols])
    r = 4
    for label, v in result.sums.get(schema.id, {}).items():
        for i, x in enumerate([label, *(v.get(c.key) for c in cols)], start=1):
            ws.put(r, i, x)
        r += 1
    r += 1
    _header(ws, r, ["填报单位", "设施", *names], [22, 16] + [18 if c.unit else 10 for c in cols])
    r += 1
    for res in result.rows:
        c = res.forms.get(schema.id)
        if not c:
            continue
        for key, cells in c.form.table.items():
            vals = [cells[x.key].value if cells.get(x.key) else None for x in cols]
            for i, x in enumerate([res.submitter.name, c.form.row_labels.get(key, key), *vals], start=1):
                ws.put(r, i, x)
            r += 1
    ws.printable(freeze=(4, 1))


def _sheet_status(ws, result: PeriodResult, verdicts: dict[str, str]) -> None:
    heads = ["填报单位", "类别", "报送情况", "汇总时", "收到时间", "计入的文件", "被替代的文件", "错误", "提醒"]
    _title(ws, f"{result.district}专项整治报表报送情况", _subtitle(result), len(heads))
    _header(ws, 3, heads, [24, 10, 16, 20, 20, 40, 40, 6, 6])
    errors: dict[str, list[int]] = {}
    for f in result.findings:
        errors.setdefault(f.path, [0, 0])[0 if f.severity == "error" else 1] += 1
    r = 4
    for res in result.rows:
        files = sorted({c.filing.original_name for c in res.forms.values()})
        paths = {c.filing.original_path for c in res.forms.values() if c.period == result.period.key}
        e = sum(errors.get(p, [0, 0])[0] for p in paths)
        w = sum(errors.get(p, [0, 0])[1] for p in paths)
        sup = "、".join(f"{f.original_name}（{s}）" for f, s in res.superseded)
        when = res.received_at[:16].replace("T", " ") if res.received_at else ""
        for i, v in enumerate([res.submitter.name, res.submitter.kind_label, verdicts.get(res.submitter.name, ""),
                               res.status_text, when, "、".join(files), sup, e, w], start=1):
            ws.put(r, i, v, "sr-wrap")
        r += 1
    for stray in result.unidentified:
        for i, v in enumerate(["（无法识别）", "", "", "未计入：不知道是哪个单位",
                               stray.received_at.isoformat()[:16].replace("T", " "), stray.original_name, "",
                               stray.errors, stray.warnings], start=1):
            ws.put(r, i, v)
        r += 1
    ws.printable(freeze=(4, 1))


def _sheet_findings(ws, result: PeriodResult) -> None:
    heads = ["文件", "工作表", "单元格", "级别", "代码", "问题", "说明"]
    _title(ws, "问题清单", _subtitle(result), len(heads))
    _header(ws, 3, heads, [34, 10, 10, 6, 22, 18, 80])
    for r, f in enumerate(result.findings, start=4):
        for i, v in enumerate([Path(f.path).name if f.path else "", f.sheet, f.cell,
                               "错误" if f.severity == "error" else "提醒", f.code, f.title, f.message], start=1):
            ws.put(r, i, v, "sr-wrap")
        ws.mark(r, 4, ERROR_FILL if f.severity == "error" else WARNING_FILL)
    ws.printable(freeze=(4, 1))


# --- the district's own filing, for the city -------------------------------------------------------


def write_district_filing(result: PeriodResult, cfg: Config, schemas: SchemaSet, path: Path) -> Path:
    """The district's figures in the official forms (填报街道（单位）：鲤城区), which the city's run
    of this same tool reads like any other submission."""
    c = cfg.office_contacts
    d = result.period.deadline
    foot = footer_text(c.reviewer, c.filer, c.phone, cn_date(d))
    forms = [f for f in cfg.campaign.weekly_forms if f in schemas]
    if not _built_in(result):  # what is consolidated: its lists and its totals form
        forms = [f for f in forms if schemas[f].layout == "list" or f == result.table_form or f in result.sums]
        return _write_sheets([_laid_out(schemas[f], result) for f in forms], foot, path)
    own = {role: schemas[result.roles[role]] for role in BUILT_IN_ROLES}
    sheets = [_filed_totals(own["totals"], result), _filed_hazards(own["hazards"], result),
              _filed_names(own["enforcement"], result), _filed_facilities(own["facilities"], result)]
    return _write_sheets(sheets, foot, path)


def _filed_totals(schema, result: PeriodResult) -> SheetLayout:
    lay = layout_form(schema, submitter=result.district)
    for key in result.column_keys:
        lay.cells[lay.data_cells[("cumulative", key)]] = result.totals.cumulative.get(key, 0)
        lay.cells[lay.data_cells[("weekly", key)]] = result.totals.weekly.get(key, 0)
    return lay


def _filed_hazards(schema, result: PeriodResult) -> SheetLayout:
    """The hazards list, a confirmed duplicate once, each record's unit said in its 备注."""
    hazards = [i for i in result.lists.get(schema.id, []) if i.duplicate_of is None]
    labels: dict[Any, Any] = {s.key: s.label for s in schema.statuses}
    lay = layout_form(schema, submitter=result.district, records=max(3, len(hazards)))
    for n, item in enumerate(hazards):
        for col in schema.columns:
            v = n + 1 if col.key == "seq" else item.values.get(col.key)
            if col.type == "status":
                v = labels.get(v, v)
            if col.key == "remark":
                v = f"{item.submitter}报送" + (f"；{v}" if v else "")
            if v not in (None, ""):
                lay.cells[lay.data_cells[(str(n), col.key)]] = v
    return lay


def _filed_names(schema, result: PeriodResult) -> SheetLayout:
    items = result.lists.get(schema.id, [])
    lay = layout_form(schema, submitter=result.district, records=max(3, len(items)))
    for n, item in enumerate(items):
        for col in schema.columns:
            v = item.values.get(col.key)
            v = "、".join(v) if isinstance(v, list) else v
            if v not in (None, ""):
                lay.cells[lay.data_cells[(str(n), col.key)]] = v
    return lay


def _filed_facilities(schema, result: PeriodResult) -> SheetLayout:
    """The table's sums by row label; a row a unit added keeps its label, a known row nobody
    reported is 0."""
    sums = result.sums.get(schema.id, {})
    cols = [c for c in schema.numeric_columns if not c.derive]
    known = {r.label: r.key for r in schema.rows}
    extra = [label for label in sums if label not in known]
    lay = layout_form(schema, submitter=result.district, extra_rows=extra)
    for label, v in sums.items():
        key = known.get(label) or f"extra_{extra.index(label) + 1}"
        for col in cols:
            lay.cells[lay.data_cells[(key, col.key)]] = v[col.key]
    for row in schema.rows:
        if row.label not in sums:
            for col in cols:
                lay.cells[lay.data_cells[(row.key, col.key)]] = 0
    return lay


def _write_sheets(sheets: list[SheetLayout], foot: str, path: Path) -> Path:
    from .xlsx import Book

    for lay in sheets:
        lay.cells[(lay.footer_row, 0)] = foot
    wb = Book()
    for lay in sheets:
        _layout_sheet(wb.sheet(lay.name, lay.hidden), lay)
    return wb.save(path)


def _laid_out(schema, result: PeriodResult) -> SheetLayout:
    """Another campaign's form, laid out from its schema for the level above: a list with every
    unit's records (the unit named in 备注 or the last column), the totals form with the district's
    累计 and 当期 rows, another table or fields form with the district's sums (rows a unit added
    keep their labels)."""
    if schema.layout == "list":
        items = [i for i in result.lists.get(schema.id, []) if i.duplicate_of is None]
        labels: dict[Any, Any] = {s.key: s.label for s in schema.statuses}
        lay = layout_form(schema, submitter=result.district, records=max(3, len(items)))
        last = schema.columns[-1].key
        for n, item in enumerate(items):
            for col in schema.columns:
                v = n + 1 if col.key == "seq" else labels.get(item.values.get(col.key), item.values.get(col.key))
                v = _shown(v)
                if col.key == last:
                    v = f"{v}（{item.submitter}报送）" if v not in (None, "") else f"{item.submitter}报送"
                if v not in (None, ""):
                    lay.cells[lay.data_cells[(str(n), col.key)]] = v
        return lay
    if schema.id == result.table_form:
        lay = layout_form(schema, submitter=result.district)
        for (row, key), at in lay.data_cells.items():
            totals = result.totals.cumulative if row == "cumulative" else result.totals.weekly
            if key in totals:
                lay.cells[at] = totals.get(key, 0)
        return lay
    sums = result.sums.get(schema.id, {})
    known = {r.label: r.key for r in schema.rows}
    extra = [label for label in sums if label and label not in known]
    lay = layout_form(schema, submitter=result.district, extra_rows=extra)
    for label, values in sums.items():
        row = known.get(label) or (f"extra_{extra.index(label) + 1}" if label else "")
        for key, v in values.items():
            cell = lay.data_cells.get((row, key))
            if cell is not None and v is not None:
                lay.cells[cell] = v
    return lay


def _header_heights(lay: SheetLayout) -> dict[int, float]:
    """Header rows as tall as two or three wrapped lines of a label: labels wrap inside merged
    cells, whose height neither Excel nor LibreOffice fits on opening (printed, they ran into the
    figures)."""
    height = HEADER_ROW_HEIGHT if lay.ncols > 10 else NARROW_HEADER_ROW_HEIGHT
    return {r: height for r, _ in lay.header_cells if r not in lay.row_heights}


def _lines_across(lay: SheetLayout) -> list[tuple[int, int, int, str]]:
    """注, the footer and other lines merged across a form below its title, as (row, first column,
    last column, text): they wrap within the form's width (on 附件6's four narrow columns they ran
    past the printed page)."""
    return [(r1, c1, c2, v) for r1, c1, r2, c2 in lay.merges
            if r1 == r2 and r1 > lay.title_cell[0] and (r1, c1) not in lay.header_cells
            and isinstance(v := lay.cells.get((r1, c1)), str)]


def _layout_sheet(ws, lay: SheetLayout) -> None:
    """A form layout on an xlsx.Sheet: labels, the grid of input cells, merges, widths, heights
    (the district filing and the blank forms; a blank form adds its guard)."""
    across = {(r, c1) for r, c1, _, _ in _lines_across(lay)}
    for (r, c), v in lay.cells.items():
        ws.put(r + 1, c + 1, v, "sr-label" if (r, c) in lay.header_cells else "sr-wrap" if (r, c) in across else None)
    for r, c in lay.data_cells.values():
        ws.style(r + 1, c + 1, "sr-cell-wrap" if lay.inputs.get((r, c)) in ("text", "names") else "sr-cell")
    for r1, c1, r2, c2 in lay.merges:
        ws.merge(r1 + 1, c1 + 1, r2 + 1, c2 + 1)
    for c, w in lay.widths.items():
        ws.width(c + 1, w)
    for r, h in {**_header_heights(lay), **lay.row_heights}.items():
        ws.height(r + 1, h)
    ws.printable()


# --- blank forms ---------------------------------------------------------------------------------



def blank_workbook(schemas: SchemaSet, form_ids: list[str], submitter: str, period_key: str,
                   period_label: str, deadline_date: str, path: Path,
                   previous: dict | None = None, totals_form: str | None = None) -> Path:
    """One submitter's workbook for a period: its forms, prefilled and guarded, and a hidden
    marker sheet naming the forms, submitter and period (the reader works without it too)."""
    sheets: list[SheetLayout] = []
    for form_id in form_ids:
        schema = schemas[form_id]
        reference = ("上期累计数（参考）", previous) if previous and form_id == totals_form else None
        lay = layout_form(schema, submitter=submitter, records=10, footer_cells=True, reference=reference)
        spot = (0, max(1, lay.ncols - 3))
        if any(r1 <= 0 <= r2 and c1 <= spot[1] <= c2 for r1, c1, r2, c2 in lay.merges):
            lay.cells[lay.title_cell] = f"{lay.cells[lay.title_cell]}（{period_label}）"
        else:
            lay.cells[spot] = f"报送周期：{period_label}"
        if schema.footer and schema.footer_date:
            date_cell = next(rc for rc, kind in lay.inputs.items() if kind == "date")
            lay.cells[date_cell] = deadline_date
        from .layout import sum_checks

        sum_checks(lay, schema)
        sheets.append(lay)
    marker = SheetLayout(MARKER_SHEET, hidden=True)
    rows = [("generator", "safetyreport"), ("submitter", submitter), ("period", period_key),
            ("forms", ",".join(f"{i}:{schemas[i].version}" for i in form_ids))]
    for r, (k, v) in enumerate(rows):
        marker.cells[(r, 0)], marker.cells[(r, 1)] = k, v
    sheets.append(marker)
    from .xlsx import Book

    book = Book()
    for lay in sheets:
        ws = book.sheet(lay.name, hidden=lay.hidden)
        _layout_sheet(ws, lay)
        if lay.title_cell in lay.cells:
            ws.style(lay.title_cell[0] + 1, lay.title_cell[1] + 1, "sr-title")
            ws.height(lay.title_cell[0] + 1, 28)
        if lay.inputs:
            _guard(ws, lay)
    book.save(path)
    return path


# what each kind of input cell accepts, with the Chinese prompt and error a clerk sees in Excel
_VALIDATION: dict[str, dict[str, Any]] = {
    "count": {"validate": "integer", "criteria": ">=", "value": 0, "input_title": "请填写整数",
              "input_message": "请填写不小于 0 的整数（没有就填 0）。"},
    "amount": {"validate": "decimal", "criteria": ">=", "value": 0, "input_title": "请填写金额（万元）",
               "input_message": "请填写不小于 0 的数，单位是万元（5000 元填 0.5）。"},
    "percent": {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
                "input_title": "请填写百分比", "input_message": "请填写 0 到 100 之间的数。"},
    "phone": {"validate": "length", "criteria": "between", "minimum": 7, "maximum": 20, "input_title": "联系电话",
              "input_message": "请填写手机号（11 位）或固定电话（如 0595-22123456）。"},
    "status": {"validate": "list", "source": ["整改完成", "正在整改"], "input_title": "挂账销号",
               "input_message": "请选择：整改完成 或 正在整改。", "error_title": "挂账销号",
               "error_message": "只能填“整改完成”或“正在整改”。"},
}


def _guard(ws, lay: SheetLayout) -> None:
    """Blank forms: labels locked (no password), input cells open, each with data validation and
    a Chinese prompt; live red marks where a 总数 does not add up."""
    groups: dict[str, list[tuple[int, int]]] = {}
    for (r, c), kind in lay.inputs.items():
        ws.unlock(r + 1, c + 1)
        groups.setdefault(kind, []).append((r + 1, c + 1))
    for kind, cells in groups.items():
        if kind in _VALIDATION:
            rule = _VALIDATION[kind]
            ws.validate(cells, {"error_title": rule["input_title"], "error_message": rule["input_message"], **rule})
    for (r, c), formula in lay.checks:
        ws.condition(r + 1, c + 1, formula, ERROR_FILL)
    ws.protect()
