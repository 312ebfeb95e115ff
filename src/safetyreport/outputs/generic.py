"""The 简报 and 总结 of a campaign whose forms take none of the built-in roles (Schema.role),
computed from its schemas alone: per table or fields form, the district's figures with the change
from the previous period and each unit's; per list form, its records, new, closed, open and
overdue; and who filed late, wrong or not at all. Plain data: `templates/campaign.md.j2` and
`templates/campaign_summary.md.j2` (or the campaign folder's own) word and lay it out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..ledger.merge import ListItem, PeriodResult
from ..ledger.status import CampaignRecord, StatusReport
from ..periods import Period
from ..schema import Column, Schema, SchemaSet, evaluate
from ..values import cn_date, fmt_num
from .briefing import Briefing, Setting, _filing, change, closed_now, earlier_records, first_reported, record_texts

UNIT_COLUMNS = 6  # a per-unit table of a form with more numeric columns than this would not fit a page


def _record_keys(schema: Schema) -> tuple[str, str]:
    """The two columns a record is known and told by: its place and description (the schema's
    duplicates), else its first two required text columns."""
    if schema.duplicates is not None:
        return schema.duplicates.place, schema.duplicates.description
    texts = [c.key for c in schema.columns if c.type == "text" and c.required] + ["", ""]
    return texts[0], texts[1]


def _describe(item: ListItem, keys: tuple[str, str]) -> str:
    """A record in a sentence: 东园农贸市场“电气线路私拉乱接”."""
    first, second = record_texts(item, keys)
    return first + (f"“{second}”" if second else "")


LONGEST = 5  # the open records longest outstanding, named in the 简报


def one_list(result: PeriodResult, previous: PeriodResult | None, schema: Schema,
             history: list[PeriodResult] | None = None) -> dict:
    """A list form: its records (a confirmed duplicate once), new since the previous period, closed
    (a status whose word means closed), open, 逾期未整改, the open ones longest outstanding (days
    since first reported, over `history`), the suspected duplicates not yet decided, and the same
    per unit."""
    keys = _record_keys(schema)
    closed = {s.key for s in schema.statuses if s.closed}
    status = next((c.key for c in schema.columns if c.type == "status"), "")
    items = [i for i in result.lists.get(schema.id, []) if not i.duplicate_of]
    earlier = earlier_records(result, previous, schema.id, keys)
    shut = {id(i) for i in items if status and i.values.get(status) in closed}
    late = [f for f in result.findings if f.code == "overdue" and f.form == schema.id]
    paths = {c.filing.original_path: r.submitter.name for r in result.rows for c in r.forms.values()}
    per_unit = []
    for r in result.rows:
        mine = [i for i in items if i.submitter == r.submitter.name]
        done = sum(id(i) in shut for i in mine)
        per_unit.append({"name": r.submitter.name, "status": r.status_text, "total": len(mine),
                         "new": sum(earlier.get(id(i)) is None for i in mine), "closed": done, "open": len(mine) - done,
                         "overdue": sum(paths.get(f.path) == r.submitter.name for f in late)})
    on = result.period.deadline.date()
    since = first_reported(history or [result], schema.id, keys) if all(keys) else {}
    waiting = sorted(((on - since.get((i.submitter, *record_texts(i, keys)), on)).days, i.submitter, _describe(i, keys))
                     for i in items if id(i) not in shut)
    return {"id": schema.id, "label": schema.title or schema.name, "total": len(items),
            "new": sum(u["new"] for u in per_unit), "closed": len(shut), "open": len(items) - len(shut),
            "has_status": bool(status and closed), "has_overdue": schema.overdue is not None,
            "longest_open": [{"days": d, "unit": u, "text": t} for d, u, t in
                             sorted(waiting, key=lambda w: (-w[0], w[1], w[2]))[:LONGEST] if d > 0],
            "suspected": [{"first": d.first, "second": d.second, "name": d.name} for d in result.duplicates
                          if d.form == schema.id and d.verdict is None],
            "closed_now": [{"unit": i.submitter, "text": _describe(i, keys)}
                           for i in closed_now(result, previous, schema.id, keys, status, closed)],
            "overdue": [{"unit": paths.get(f.path, ""), "message": f.message} for f in late],
            "units": per_unit}


def _show(value: Any, column: Column) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "—"
    return f"{value:.1f}%" if column.type == "percent" else fmt_num(value)


def _figures(result: PeriodResult, schema: Schema) -> dict[str, dict[str, Any]]:
    """Row label → column → the district's figure: the totals form's 累计 row, another table or
    fields form's sums (Schema rows by label; a fields form's one row is "")."""
    if schema.id == result.table_form:
        return {"": dict(result.totals.cumulative)}
    return result.sums.get(schema.id, {})


def _unit_values(result: PeriodResult, schema: Schema, numeric: list[Column]) -> list[dict]:
    """Each unit's own figures of the form (its 累计 row; another form's rows summed), derived
    columns computed from them, and where they came from (filed, carried, not filed)."""
    out = []
    for r in result.rows:
        c = r.forms.get(schema.id)
        values: dict[str, Any] = {}
        rows = ({"cumulative": c.form.table.get("cumulative", {})} if c and schema.id == result.table_form
                else c.form.table if c else {})
        for cells in rows.values():
            for col in (x for x in numeric if not x.derive):
                cell = cells.get(col.key)
                v = cell.value if cell is not None else None
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    values[col.key] = round(values.get(col.key, 0) + v, 6)
        for col in (x for x in numeric if x.derive):
            values[col.key] = evaluate(col.derive, values)
        state = ("本期报送" if c and c.period == result.period.key else
                 f"沿用{c.period}" if c else "未报送")
        out.append({"name": r.submitter.name, "state": state, "figures": [_show(values.get(x.key), x) for x in numeric],
                    "raw": {x.key: values.get(x.key) for x in numeric}})
    return out


def one_table(result: PeriodResult, previous: PeriodResult | None, schema: Schema) -> dict | None:
    """A table or fields form: the district's figures with the change from the previous period,
    each unit's (when its columns fit a page), ranked by its first rate (完成率) if it has one.
    None when no unit's form counts (nothing filed yet)."""
    numeric = schema.numeric_columns
    figures = _figures(result, schema)
    if not numeric or not any(schema.id in r.forms for r in result.rows):
        return None
    before = _figures(previous, schema) if previous else {}
    fields = schema.layout == "fields" or schema.id == result.table_form
    rows = []
    if fields:  # one row of figures: each column (field) a line of its own
        values, earlier = figures.get("", {}), before.get("", {})
        for col in numeric:
            rows.append({"label": col.display + (f"（{col.unit}）" if col.unit and col.type != "percent" else ""),
                         "figures": [_show(values.get(col.key), col)],
                         "changes": [change(values.get(col.key), earlier.get(col.key)) if previous else "—"]})
        columns = ["合计"]
    else:
        for label, values in figures.items():
            earlier = before.get(label, {})
            rows.append({"label": label, "figures": [_show(values.get(c.key), c) for c in numeric],
                         "changes": [change(values.get(c.key), earlier.get(c.key)) if previous else "—" for c in numeric]})
        columns = [c.display + (f"（{c.unit}）" if c.unit and c.type != "percent" else "") for c in numeric]
    fresh = sum(1 for r in result.rows if (c := r.forms.get(schema.id)) is not None and c.period == result.period.key)
    rate = next((c for c in numeric if c.type == "percent"), None)
    units = _unit_values(result, schema, numeric) if len(numeric) <= UNIT_COLUMNS or rate else []
    if rate is not None:
        units.sort(key=lambda u: -(u["raw"].get(rate.key) or -1))
        shown = [rate] if len(numeric) > UNIT_COLUMNS else numeric
        for u in units:
            u["figures"] = [_show(u["raw"].get(c.key), c) for c in shown]
    unit_columns = ([rate] if rate is not None and len(numeric) > UNIT_COLUMNS else numeric) if units else []
    return {"id": schema.id, "label": schema.title or schema.name, "fields": fields, "columns": columns,
            "compared": bool(before),  # the previous period had figures of this form: changes are told
            "rows": rows, "filed": fresh, "ranked_by": rate.display if rate is not None else "",
            "unit_columns": [c.display for c in unit_columns], "units": units}


def _sections(history: list[PeriodResult], previous: PeriodResult | None, schemas: SchemaSet,
              forms: list[str]) -> tuple[list[dict], list[dict]]:
    result = history[-1]
    tables = [t for f in forms if f in schemas and schemas[f].layout != "list"
              and (t := one_table(result, previous, schemas[f])) is not None]
    lists = [one_list(result, previous, schemas[f], history) for f in forms
             if f in schemas and schemas[f].layout == "list"]
    return tables, lists


def campaign_weekly(setting: Setting, history: list[PeriodResult], status: StatusReport | None,
                    schemas: SchemaSet, forms: list[str]) -> Briefing:
    """A period's 简报 of any campaign (templates/campaign.md.j2): each form's figures or records
    as its schema makes them, and who filed late, wrong or not at all. `history`: the campaign's
    periods up to this one (the last), for changes and how long records stay open."""
    result, previous = history[-1], (history[-2] if len(history) > 1 else None)
    day = result.period.deadline.date()
    b = Briefing(kind="weekly", template="campaign.md.j2", title=f"{setting.campaign}工作简报",
                 issue=f"第{result.period.number}期", office=setting.issuer, date=cn_date(day),
                 period_label=result.period.label, campaign=setting.campaign, filing=_filing(status),
                 imprint=setting.imprint(day))
    b.tables, b.lists = _sections(history, previous, schemas, forms)
    b.totals = {"lists": {x["id"]: {k: x[k] for k in ("total", "new", "closed", "open")} for x in b.lists},
                "tables": {t["id"]: _figures(result, schemas[t["id"]]) for t in b.tables}}
    return b


def campaign_summary(setting: Setting, final: Period, history: list[PeriodResult], record: CampaignRecord | None,
                     schemas: SchemaSet, forms: list[str]) -> Briefing:
    """The campaign's 总结 (templates/campaign_summary.md.j2): where each form stands at the last
    period filed, what was found and closed over the campaign, and each unit's filing record;
    titled and signed (落款) as a document the office submits."""
    end = history[-1]
    day: dt.date = min(final.deadline.date(), end.period.deadline.date())
    b = Briefing(kind="summary", template="campaign_summary.md.j2", title=f"{setting.campaign}工作总结",
                 issue="专项整治总结", office=setting.issuer, date=cn_date(day), head="title",
                 period_label=f"{history[0].period.label}至{end.period.label}，共 {len(history)} 期",
                 campaign=setting.campaign, imprint=setting.imprint(day), masthead="工作总结")
    b.tables, b.lists = _sections(history, None, schemas, forms)
    if record:
        b.filing = {"record": [{"name": n, **{k: c[k] for k in ("按时", "迟报", "错报", "漏报")}}
                               for n, c in record.counts.items()], "periods": len(record.periods)}
    b.totals = {"lists": {x["id"]: {k: x[k] for k in ("total", "closed", "open")} for x in b.lists},
                "tables": {t["id"]: _figures(end, schemas[t["id"]]) for t in b.tables},
                "periods": len(history)}
    return b
