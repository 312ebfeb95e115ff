"""Merge: a period's district picture from the ledger, without counting anything twice.

- For each roster submitter and form, the latest filing received for the period counts
  (the ledger marks the others superseded).
- A submitter with no 附件3 this period is carried forward from its last cumulative rows
  (沿用上期); its 当周 is unknown, never 0.
- District 累计 = sum of the counted cumulative rows; district 当周 = sum of this period's weekly
  rows, with how many submitters stand behind it.
- Rules across filings (累计 continuity, 附件4 hazards kept and never reopened, suspected
  duplicates between submitters, outliers) give findings of the same catalog as `validate`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ..checking.identity import (
    HAZARD_SIMILARITY,
    hazard_similarity,
    norm_hazard,
    norm_name,
    norm_place,
    pair_up,
    place_groups,
    use_places,
)
from ..checking.rules import check_submission
from ..config import Config, Submitter
from ..findings import Finding, finding
from ..model import FormData, Submission
from ..periods import Period, filing_periods
from ..schema import SchemaSet, evaluate
from ..values import cn_date, deadline_in, fmt_num
from .store import Filing, Ledger, StoredForm

OUTLIER_WINDOW = 6  # weeks of a submitter's own history the outlier check looks at


@dataclass
class Counted:
    """One form that counts for a submitter in this period, and where it came from. Its values
    are decoded from the ledger when first asked for (`StoredForm`)."""

    stored: StoredForm
    filing: Filing
    period: str  # the period it was filed for (earlier than the merged one when carried forward)

    @property
    def form(self) -> FormData:
        return self.stored.form

    def row(self, key: str) -> dict[str, Any]:
        """One table row's values by column key, without decoding the whole form."""
        return self.stored.row(key)


@dataclass
class SubmitterResult:
    submitter: Submitter
    status: str  # "filed" | "carried" | "missing"
    forms: dict[str, Counted] = field(default_factory=dict)
    cumulative: dict[str, Any] = field(default_factory=dict)
    weekly: dict[str, Any] | None = None  # None: unknown (carried forward or not filed)
    filings: list[Filing] = field(default_factory=list)  # this period's, counted or superseded
    superseded: list[tuple[Filing, str]] = field(default_factory=list)  # (filing, schema id)
    source_period: str | None = None  # the period its counted figures come from (earlier when carried)

    @property
    def status_text(self) -> str:
        if self.status == "filed":
            return "已报送"
        if self.status == "carried":
            return f"沿用上期（{self.source_period}）" if self.source_period else "沿用上期"
        return "未报送"

    @property
    def received_at(self) -> str | None:
        times = [f.received_at for f in self.filings]
        return max(times).isoformat() if times else None


@dataclass
class ListItem:
    submitter: str
    values: dict[str, Any]  # column key → text / names / number
    ref: str = ""  # sheet!row of the record in its file
    path: str = ""  # the file it came from (findings there are shown beside the item)
    duplicate_of: str | None = None  # duplicate id when confirmed the same as an earlier item


@dataclass
class Duplicate:
    id: str
    form: str
    what: str
    name: str
    first: str
    second: str
    verdict: str | None  # "same" | "different" | None (not yet decided)
    key: tuple[str, str] = ("", "")  # (list, normalised name) the two items share


@dataclass
class DistrictTotals:
    cumulative: dict[str, Any]
    weekly: dict[str, Any]
    cumulative_submitters: int  # how many submitters' 累计 rows are summed (filed + carried)
    weekly_submitters: int  # how many submitters' 当周 rows are summed (filed this period)
    # stocks the district takes from the streets only (景点总数): the member units' own sum
    units_stock: dict[str, Any] = field(default_factory=dict)


@dataclass
class PeriodResult:
    period: Period
    district: str
    rows: list[SubmitterResult]
    totals: DistrictTotals
    lists: dict[str, list[ListItem]]
    # every table or fields form besides the totals form: form → row label → column → district sum
    # (a fields form's one row is ""); a derived cell (完成率) computed again from the sums
    sums: dict[str, dict[str, dict[str, Any]]]
    duplicates: list[Duplicate]
    findings: list[Finding]
    unidentified: list[Filing]  # filings of this period (or none) naming no roster submitter
    column_keys: list[str]
    list_counts: dict[str, Any] = field(default_factory=dict)
    table_form: str | None = None  # the form totalled (None: the campaign's forms are all lists)
    list_labels: dict[str, str] = field(default_factory=dict)  # list form id → its short name
    roles: dict[str, str] = field(default_factory=dict)  # role → form id (Schema.role), for the built-in reports

    def role_list(self, role: str) -> list[ListItem]:
        """The records of the list form taking this role (none when no form does)."""
        return self.lists.get(self.roles.get(role, ""), [])

    def role_counts(self, role: str) -> dict[str, Any]:
        return self.list_counts.get(self.roles.get(role, ""), {})

    @property
    def facilities(self) -> dict[str, dict[str, Any]]:
        """The sums of the form taking the "facilities" role, by row label."""
        return self.sums.get(self.roles.get("facilities", ""), {})

    def to_dict(self) -> dict:
        """The stable --json shape (no clock times other than receipts: re-runs are identical)."""
        return {
            "period": self.period.to_dict(),
            "district": self.district,
            "totals": {"cumulative": self.totals.cumulative, "weekly": self.totals.weekly,
                       "cumulative_submitters": self.totals.cumulative_submitters,
                       "weekly_submitters": self.totals.weekly_submitters,
                       "units_stock": self.totals.units_stock},
            "submitters": [{
                "name": r.submitter.name, "kind": r.submitter.kind, "status": r.status,
                "status_text": r.status_text, "source_period": r.source_period,
                "received_at": r.received_at, "cumulative": r.cumulative, "weekly": r.weekly,
                "forms": {k: {"filing_id": c.filing.id, "file": c.filing.original_name, "period": c.period}
                          for k, c in sorted(r.forms.items())},
                "superseded": [{"filing_id": f.id, "file": f.original_name, "form": s}
                               for f, s in r.superseded],
            } for r in self.rows],
            "lists": {k: [{"submitter": i.submitter, "values": i.values, "duplicate_of": i.duplicate_of}
                          for i in items] for k, items in self.lists.items()},
            "list_counts": self.list_counts,
            "sums": self.sums,
            "duplicates": [{k: v for k, v in d.__dict__.items() if k != "key"} for d in self.duplicates],
            "unidentified": [{"filing_id": f.id, "file": f.original_name, "period": f.period}
                             for f in self.unidentified],
            "findings": [f.to_dict() for f in self.findings],
        }


def merge_period(cfg: Config, ledger: Ledger, period: Period, schemas: SchemaSet) -> PeriodResult:
    from ..reading.parallel import collector_paused

    use_places([*cfg.campaign.places, cfg.campaign.district])  # 泉州市开元寺 is 开元寺 in this campaign
    with collector_paused():  # decoding thousands of stored forms: see collector_paused
        return _merge_period(cfg, ledger, period, schemas)


def totals_form(cfg: Config, schemas: SchemaSet) -> str | None:
    """The form whose 累计 and 当期 rows are totalled into the district's: the first of the
    campaign's forms laid out as a table with a "cumulative" row (附件3 in the built-in campaign);
    None when it has none (a campaign of lists: records are concatenated, nothing is summed)."""
    for form_id in (f for f in cfg.campaign.weekly_forms if f in schemas):
        schema = schemas[form_id]
        if schema.layout == "table" and any(r.key == "cumulative" for r in schema.rows):
            return form_id
    return None


def _merge_period(cfg: Config, ledger: Ledger, period: Period, schemas: SchemaSet) -> PeriodResult:
    schemas = schemas.only(list(cfg.campaign.weekly_forms))  # the campaign's forms, not every one loaded
    periods = [p.key for p in filing_periods(cfg)]
    upto = periods[: periods.index(period.key) + 1]
    table_id = totals_form(cfg, schemas)
    filings = {f.id: f for f in ledger.filings()}
    # Which forms count: the ledger has already picked the latest per submitter, period and form.
    # Only the values merge needs are loaded: each form's latest and previous filing, and a few
    # weeks of 附件3 history for the outlier check — memory stays flat however long the campaign.
    counting_ids: dict[tuple[str, str, str], tuple[int, Filing]] = {}  # (submitter, period, form)
    superseded: dict[str, list[tuple[Filing, str]]] = {}  # submitter → this period's replaced forms
    for form_id, filing_id, schema_id, superseded_by in ledger.form_index():
        filing = filings[filing_id]
        if superseded_by is None and filing.submitter and filing.period in upto:
            counting_ids[(filing.submitter, filing.period, schema_id)] = (form_id, filing)
        elif superseded_by is not None and filing.submitter and filing.period == period.key:
            superseded.setdefault(filing.submitter, []).append((filing, schema_id))
    wanted, weekly_only = _wanted(counting_ids, upto, table_id)
    loaded = {**ledger.stored_forms(wanted), **ledger.stored_forms(weekly_only, row="weekly")}
    counted: dict[tuple[str, str, str], Counted] = {
        k: Counted(loaded[fid], filing, k[1]) for k, (fid, filing) in counting_ids.items() if fid in loaded}
    this_period: dict[str, list[Filing]] = {}
    for f in filings.values():
        if f.period == period.key and f.submitter:
            this_period.setdefault(f.submitter, []).append(f)

    a3 = schemas[table_id] if table_id else None
    keys = [c.key for c in a3.columns] if a3 else []
    rows: list[SubmitterResult] = []
    findings: list[Finding] = []
    for sub in cfg.roster:
        res = SubmitterResult(sub, "missing")
        res.filings = sorted(this_period.get(sub.name, []), key=lambda f: (f.received_at, f.sha256))
        res.superseded = superseded.get(sub.name, [])
        for schema in schemas:
            latest = _latest(counted, sub.name, schema.id, upto)
            if latest:
                res.forms[schema.id] = latest
        table = _status_and_figures(res, table_id, keys, period, upto)
        findings += _overdue(res, schemas, period)
        # this period's forms, judged together (附件4/5 against 附件3)
        mine = {k: c.form for k, c in res.forms.items() if c.period == period.key}
        # findings of the filings that count (a superseded filing's errors stay in its history:
        # filing status reports them as 错报, the totals no longer depend on them)
        counting = {c.filing.id for c in res.forms.values() if c.period == period.key}
        replaced = {f.id for f, _ in res.superseded} - counting
        findings += _stored_findings(ledger, [f for f in res.filings if f.id not in replaced])
        findings += check_submission(Submission(sub, [], mine), schemas)
        if table is not None and a3 is not None and res.status == "filed":
            findings += _across_weeks(sub.name, table, counted, upto, a3, table.form.schema_id)
            findings += _outliers(sub.name, table, counted, upto, a3)
        for kept in (s for s in schemas if s.kept_until_closed and s.duplicates is not None):
            now = res.forms.get(kept.id)
            if now is not None and now.period == period.key:
                findings += _kept_across_periods(sub.name, now, counted, upto, kept)
        rows.append(res)

    totals = _totals(rows, a3) if a3 else DistrictTotals({}, {}, sum(r.status != "missing" for r in rows),
                                                         sum(r.status == "filed" for r in rows), {})
    decisions = ledger.decisions()
    lists, duplicates = _district_lists(rows, schemas, decisions)
    for d in duplicates:
        if d.verdict is None:
            findings.append(finding("suspected-duplicate", form=d.form, what=d.what, name=d.name,
                                    first=d.first, second=d.second, dup_id=d.id))
    unidentified = sorted((f for f in filings.values()
                           if f.submitter is None and f.period in (period.key, None)), key=lambda f: f.id)
    for f in unidentified:
        findings += ledger.findings_of(f.id, f.original_path)
    return PeriodResult(period, cfg.campaign.district, rows, totals, lists, _sums(rows, schemas, table_id),
                        duplicates, _once(findings), unidentified, keys, _list_counts(lists, duplicates, schemas),
                        table_id, {k: schemas[k].short for k in cfg.campaign.weekly_forms if k in lists},
                        schemas.roles(list(cfg.campaign.weekly_forms)))


def _wanted(counting_ids: dict[tuple[str, str, str], tuple[int, Filing]], upto: list[str],
            table_id: str | None) -> tuple[set[int], set[int]]:
    """The forms merge reads: each submitter's latest and previous of every kind, and the weeks
    before those of the totals form, of which the outlier check reads the 当周 row alone."""
    by_group: dict[tuple[str, str], list[str]] = {}
    for (sub, per, schema_id) in counting_ids:
        by_group.setdefault((sub, schema_id), []).append(per)
    wanted: set[int] = set()
    weekly_only: set[int] = set()
    for (sub, schema_id), pers in by_group.items():
        keep = sorted(pers, key=upto.index)[-(OUTLIER_WINDOW + 1 if schema_id == table_id else 2):]
        wanted |= {counting_ids[(sub, p, schema_id)][0] for p in keep[-2:]}
        weekly_only |= {counting_ids[(sub, p, schema_id)][0] for p in keep[:-2]}
    return wanted, weekly_only


def _status_and_figures(res: SubmitterResult, table_id: str | None, keys: list[str], period: Period,
                        upto: list[str]) -> Counted | None:
    """Filed, carried or missing, from the totals form (its 累计 and 当期 rows taken); in a campaign
    of lists, filed when any of its forms is this period's. Returns the totals form counted."""
    table = res.forms.get(table_id) if table_id else None
    if table is not None:
        res.status = "filed" if table.period == period.key else "carried"
        res.source_period = table.period
        cumulative = table.row("cumulative")
        res.cumulative = {k: cumulative.get(k) for k in keys}
        if res.status == "filed":
            weekly = table.row("weekly")
            res.weekly = {k: weekly.get(k) for k in keys}
    elif table_id is None and res.forms:
        res.source_period = max((c.period for c in res.forms.values()), key=upto.index)
        res.status = "filed" if res.source_period == period.key else "carried"
    return table


def _overdue(res: SubmitterResult, schemas: SchemaSet, period: Period) -> list[Finding]:
    """逾期未整改: a counted list's records whose deadline ([overdue] date) is before this period's
    deadline and whose status is not closed — carried lists too (their records still stand)."""
    out: list[Finding] = []
    due = period.deadline.date()
    for schema_id, c in ((k, v) for k, v in res.forms.items() if k in schemas):
        schema = schemas[schema_id]
        rule = schema.overdue
        if rule is None:
            continue
        closed = {s.key for s in schema.statuses if s.closed}
        name = next((col.key for col in schema.columns if col.required and col.type == "text"), None)
        for record in c.form.records:
            when, st = record.get(rule.date), record.get(rule.status)
            day = deadline_in(when.value if when else None, due)
            if when is None or day is None or day >= due or (st is not None and st.value in closed):
                continue
            named = record.get(name) if name else None
            out.append(finding("overdue", path=c.filing.original_path, sheet=c.form.sheet, cell=when.ref,
                               form=schema_id, column=rule.date, name=named.text if named else when.ref,
                               label=schema.column(rule.date).display, deadline=cn_date(day), due=cn_date(due),
                               status_label=schema.column(rule.status).display,
                               status=st.text if st is not None and st.text else "未填"))
    return out


def _once(findings: list[Finding]) -> list[Finding]:
    """A cross-form finding is stored at intake (forms in one file) and found again at merge
    (forms of the period together): report it once."""
    seen: set[tuple] = set()
    out = []
    for f in findings:
        key = (f.code, f.path, f.sheet, f.cell, f.column, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _latest(counted, submitter: str, schema_id: str, upto: list[str]) -> Counted | None:
    for p in reversed(upto):
        c = counted.get((submitter, p, schema_id))
        if c:
            return c
    return None


def _stored_findings(ledger: Ledger, filings: list[Filing]) -> list[Finding]:
    out = []
    for f in filings:
        out += ledger.findings_of(f.id, f.original_path)
    return out


def _num(v: Any) -> float | int | None:
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _add(a, b):
    return round(a + b, 6) if isinstance(a, float) or isinstance(b, float) else a + b


def _totals(rows: list[SubmitterResult], schema) -> DistrictTotals:
    """累计: the counted cumulative rows summed; 当周: this period's weekly rows summed. A stock
    (flow = false) has no weekly flow: both district rows carry the stock. A stock counted over
    territories (total_from = "streets", 景点总数) is the streets' sum, the units' sum kept beside."""
    keys = [c.key for c in schema.columns]
    from_streets = {c.key for c in schema.columns if c.total_from == "streets"}
    stocks = {c.key for c in schema.columns if not c.flow}
    cum = {k: 0 for k in keys}
    wk = {k: 0 for k in keys}
    beside = {k: 0 for k in sorted(from_streets)}
    n_cum = n_wk = 0
    for r in rows:
        if r.status != "missing":
            n_cum += 1
            for k in keys:
                v = _num(r.cumulative.get(k))
                if v is None:
                    continue
                if k in from_streets and not r.submitter.territorial:
                    beside[k] = _add(beside[k], v)
                else:
                    cum[k] = _add(cum[k], v)
        if r.weekly is not None:
            n_wk += 1
            for k in keys:
                v = _num(r.weekly.get(k))
                if v is not None and k not in stocks:
                    wk[k] = _add(wk[k], v)
    for k in stocks:
        wk[k] = cum[k]
    return DistrictTotals(cum, wk, n_cum, n_wk, beside)


def _across_weeks(submitter: str, table: Counted, counted, upto: list[str], schema, form_id: str) -> list[Finding]:
    """累计 this week vs the last week filed: continuity and never decreasing (flow columns)."""
    out: list[Finding] = []
    prev = None
    for p in reversed(upto[:-1]):
        prev = counted.get((submitter, p, form_id))
        if prev:
            break
    if prev is None:
        return out
    consecutive = upto.index(prev.period) == len(upto) - 2
    form = table.form
    cumulative, weekly, earlier = table.row("cumulative"), table.row("weekly"), prev.row("cumulative")
    for col in schema.columns:
        if not col.flow:
            continue
        now_c = _num(cumulative.get(col.key))
        now_w = _num(weekly.get(col.key))
        before = _num(earlier.get(col.key))
        if now_c is None or before is None:
            continue
        cell = form.table["cumulative"][col.key]
        common = dict(path=table.filing.original_path, sheet=form.sheet, cell=cell.ref, form=form_id,
                      column=col.key, label=col.display, previous_period=prev.period)
        if now_c < before - 1e-9:
            out.append(finding("cumulative-decreased", cumulative=fmt_num(now_c), previous=fmt_num(before), **common))
        elif consecutive and now_w is not None and abs(now_c - (before + now_w)) > 1e-6:
            out.append(finding("cumulative-mismatch", cumulative=fmt_num(now_c), previous=fmt_num(before),
                               weekly=fmt_num(now_w), expected=fmt_num(round(before + now_w, 6)), **common))
    return out


def _previous(counted, submitter: str, schema_id: str, upto: list[str]) -> Counted | None:
    return _latest(counted, submitter, schema_id, upto[:-1])


def _kept_across_periods(submitter: str, now: Counted, counted, upto, schema) -> list[Finding]:
    """A list kept until closed (附件4: "跟踪落实直至挂账销号", the schema's kept_until_closed): a
    record once listed stays listed; a closed one never goes back to open. Records are matched one
    to one by place and description as clerks retype them (开元寺 → 开元寺景区), so a renamed one
    is not "gone" and one that recurs after being closed is a second record."""
    prev = _previous(counted, submitter, schema.id, upto)
    if prev is None or schema.duplicates is None:
        return []
    closed = {s.key for s in schema.statuses if s.closed}
    place_key, what_key = schema.duplicates.place, schema.duplicates.description
    status_key = next((c.key for c in schema.columns if c.type == "status"), "")

    def status(r) -> str | None:
        return r[status_key].value if r.get(status_key) else None

    def texts(r) -> tuple[str, str]:
        return (r[place_key].text if r.get(place_key) else "", r[what_key].text if r.get(what_key) else "")

    before = [r for r in prev.form.records if any(texts(r))]
    after = [r for r in now.form.records if any(texts(r))]
    out = []
    common = dict(path=now.filing.original_path, sheet=now.form.sheet, form=schema.id, previous_period=prev.period,
                  what=schema.duplicates.what, form_label=schema.short)
    for rec, match in pair_up(before, after, texts, prefer=lambda a, b: status(a) == status(b)):
        place, hazard = texts(rec)
        if match is None:
            out.append(finding("hazard-disappeared", cell=now.form.region, place=place, hazard=hazard, **common))
        elif status(rec) in closed and status(match) is not None and status(match) not in closed:
            st = match[status_key]
            out.append(finding("status-reverted", cell=st.ref, column=status_key, place=place,
                               hazard=hazard, text=st.text, **common))
    return out


def _outliers(submitter: str, table: Counted, counted, upto, schema, factor: float = 3.0,
              minimum: int = 3, margin: float = 10) -> list[Finding]:
    """DHIS2-style min-max check: a 当周 figure far above this submitter's own earlier weeks."""
    weeks = [c.row("weekly") for p in upto[:-1][-OUTLIER_WINDOW:] if (c := counted.get((submitter, p, schema.id)))]
    if len(weeks) < minimum:  # too short a history to judge any column by
        return []
    now = table.row("weekly")
    out = []
    for col in schema.columns:
        v = _num(now.get(col.key))
        if v is None:
            continue
        past = [x for x in (_num(w.get(col.key)) for w in weeks) if x is not None]
        if len(past) < minimum:
            continue
        top = max(past)
        if v > top * factor and v - top >= margin:
            cell = table.form.table["weekly"][col.key]
            out.append(finding("weekly-outlier", path=table.filing.original_path, sheet=table.form.sheet,
                               cell=cell.ref, form=schema.id, column=col.key, label=col.display,
                               weekly=fmt_num(v), history="、".join(fmt_num(x) for x in past)))
    return out


# --- district lists and suspected duplicates -----------------------------------------------------


def _dup_id(form: str, a: tuple, b: tuple) -> str:
    pair = sorted([a, b])
    return hashlib.sha1(f"{form}|{pair}".encode()).hexdigest()[:8]


def _district_lists(rows: list[SubmitterResult], schemas: SchemaSet, decisions: dict[str, str]):
    lists: dict[str, list[ListItem]] = {}
    duplicates: list[Duplicate] = []
    for schema in schemas:
        if schema.layout != "list":
            continue
        items = lists.setdefault(schema.id, [])
        for r in rows:
            c = r.forms.get(schema.id)
            if not c:
                continue
            for rownum, rec in zip(c.form.record_rows, c.form.records):
                values = {k: (cell.value if cell.value is not None else cell.text) for k, cell in rec.items()}
                items.append(ListItem(r.submitter.name, values, f"{c.form.sheet}!{rownum}", c.filing.original_path))

    def add(kind: str, key: str, a: ListItem, b: ListItem, what: str, name: str, extra: tuple = ()) -> None:
        dup = _dup_id(kind, (a.submitter, key, *extra), (b.submitter, key, *extra))
        if any(d.id == dup for d in duplicates):
            return
        verdict = decisions.get(dup)
        duplicates.append(Duplicate(dup, kind.split(":")[0], what, name, a.submitter, b.submitter, verdict, (kind, key)))
        if verdict == "same" and ":" not in kind:  # a record confirmed the same is counted once
            b.duplicate_of = dup

    for schema in (s for s in schemas if s.layout == "list" and s.duplicates is not None):
        for kind, key, a, b, what, name, extra in _same_things(schema.id, schema.duplicates, lists.get(schema.id, [])):
            add(kind, key, a, b, what, name, extra)
    # a name on a list of names (附件5's 停产停业整改名单 …) from two submitters: one business, or two?
    for schema in (s for s in schemas if s.layout == "list"):
        for kind, key, a, b, col in _same_names(schema.id, lists.get(schema.id, [])):
            add(kind, key, a, b, schema.column(col).display, str(a.values[col]))
    return lists, sorted(duplicates, key=lambda d: d.id)


def _named(form_id: str, items: list[ListItem]) -> dict[tuple[str, str], list[ListItem]]:
    """Each name on a list's names columns, normalised — ("form:column", name) — with every entry
    naming it (its submitter, and the name as written)."""
    seen: dict[tuple[str, str], list[ListItem]] = {}
    for item in items:
        for col, names in item.values.items():
            for name in names if isinstance(names, list) else []:
                seen.setdefault((f"{form_id}:{col}", norm_name(name)), []).append(ListItem(item.submitter, {col: name}))
    return seen


def _same_names(form_id: str, items: list[ListItem]):
    """Pairs of submitters naming the same business (normalised) on one of a list's names columns."""
    for (kind, key), found in _named(form_id, items).items():
        if not key:
            continue
        for i, a in enumerate(found):
            for b in found[i + 1:]:
                if a.submitter != b.submitter:
                    yield kind, key, a, b, kind.split(":")[1]


def _same_things(form_id: str, same, items: list[ListItem]):
    """Two submitters' records at one place (as differently written: 开元寺 / 开元寺景区) with
    similar descriptions (the schema's [duplicates]). Records are compared only within their place
    group, never all pairs."""
    group = place_groups([norm_place(i.values.get(same.place, "")) for i in items])
    by_place: dict[str, list[ListItem]] = {}
    for item in items:
        key = group.get(norm_place(item.values.get(same.place, "")), "")
        if key:
            by_place.setdefault(key, []).append(item)
    for key, found in by_place.items():
        pairs = [(a, b) for i, a in enumerate(found) for b in found[i + 1:] if a.submitter != b.submitter
                 and hazard_similarity(norm_hazard(a.values.get(same.description, "")),
                                       norm_hazard(b.values.get(same.description, ""))) >= HAZARD_SIMILARITY]
        several = len({frozenset((a.submitter, b.submitter)) for a, b in pairs}) < len(pairs)
        for a, b in pairs:
            # two different things at one place between the same two submitters: told apart by
            # their descriptions (otherwise the id stays stable when a description is edited)
            extra = (norm_hazard(a.values.get(same.description, "")),) if several else ()
            yield (form_id, key, a, b, same.what,
                   f"{a.values.get(same.place)}：{a.values.get(same.description)}", extra)


def _list_counts(lists: dict[str, list[ListItem]], duplicates: list[Duplicate], schemas: SchemaSet) -> dict:
    """Each list's district counts: its records (a confirmed duplicate counted once) and, where the
    schema has them, the closed ones (a status whose word means closed), the entries of each names
    column and the sum of each amount column."""
    same = [d for d in duplicates if d.verdict == "same"]
    out: dict[str, dict[str, Any]] = {}
    for form_id, items in lists.items():
        schema = schemas[form_id]
        kept = [i for i in items if i.duplicate_of is None]
        counts: dict[str, Any] = {"records": len(kept)}
        closed = {s.key for s in schema.statuses if s.closed}
        status_cols = [c.key for c in schema.columns if c.type == "status"]
        if closed and status_cols:
            counts["closed"] = sum(1 for i in kept if any(i.values.get(c) in closed for c in status_cols))
        counts.update(_name_counts(form_id, items, same))
        for col in (c for c in schema.columns if c.type == "amount"):
            amounts = [_num(i.values.get(col.key)) for i in items]
            counts[col.key] = round(sum(a for a in amounts if a is not None), 6)
        out[form_id] = counts
    return out


def _name_counts(form_id: str, items: list[ListItem], same: list[Duplicate]) -> dict[str, int]:
    out: dict[str, int] = {}
    for (kind, key), entries in _named(form_id, items).items():
        subs = [e.submitter for e in entries]
        # entries, as 附件3 counts penalties (one firm fined in two weeks is two); a pair the clerk
        # confirmed the same (two submitters, one penalty) counts once
        merged = sum(1 for d in same if d.key == (kind, key))
        col = kind.split(":")[1]
        most = max(subs.count(s) for s in set(subs))
        out[col] = out.get(col, 0) + max(most, len(subs) - merged)
    return out


def _sums(rows: list[SubmitterResult], schemas: SchemaSet, table_id: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    """Each table or fields form but the totals form, summed over the units that count (filed or
    carried): per row, by its label (rows a unit added, by theirs), and per numeric column; a
    derived cell (完成率 = 已划线 / 现有 × 100) is computed again from the sums, never summed."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for schema in schemas:
        numeric = [c for c in schema.numeric_columns if not c.derive]
        if schema.layout == "list" or schema.id == table_id or not numeric:
            continue
        form_sums: dict[str, dict[str, Any]] = {}
        for r in rows:
            c = r.forms.get(schema.id)
            for key, cells in c.form.table.items() if c else []:
                label = c.form.row_labels.get(key, key) if c else key
                slot = form_sums.setdefault(label, {col.key: 0 for col in numeric})
                for col in numeric:
                    cell = cells.get(col.key)
                    v = _num(cell.value) if cell is not None else None
                    if v is not None:
                        slot[col.key] = _add(slot.get(col.key, 0), v)
        for slot in form_sums.values():
            for col in (c for c in schema.numeric_columns if c.derive):
                v = evaluate(col.derive, slot)
                slot[col.key] = None if v is None else round(v, 1 if col.type == "percent" else 6)
        if form_sums:
            out[schema.id] = form_sums
    return out
