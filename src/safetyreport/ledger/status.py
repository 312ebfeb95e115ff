"""Filing status: 按时 / 迟报 / 错报 / 漏报 per submitter and period, from the ledger.

The notice (附件2 三(二)) asks the 信息宣传组 to tell the 综合协调组 of "迟报、错报、漏报". Each
verdict is published (通报), so each must be one a unit can check:

- 漏报: a form the unit had to send was not received. Which forms are required follows the
  notice: 附件3/6 every week; 附件4 only from units "认定为重大隐患的" (cumulative 重大隐患 from
  both sources above 0), 附件5 only "根据执法检查工作开展情况" (cumulative 执法 figures above 0);
  工作情况 is shown as 未报 but is never 漏报. The campaign's configuration may say otherwise.
- 迟报: a required form's first receipt came after the deadline (grace included). A 迟报 that
  rests only on a file's modification time is 待核实, never stated as fact.
- 错报: a filing of the period had error-severity findings. By default a later correction does not
  erase it; an office may forgive corrections received before the deadline.

At most one report per submitter and form counts towards the rates (DHIS2's reporting rate is
received ÷ expected and can never pass 100 %); only required forms are expected.
Sends nothing: `mail` does that.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field

from ..config import Config, Submitter
from ..periods import DATED_KINDS, FILING_KINDS, Period, all_periods, form_deadlines, now
from ..schema import SchemaSet
from .store import Filing, Ledger, receipt_source_label, receipt_source_trusted

UNVERIFIED_LATE = "迟报（待核实）"
# a verdict's stable code (in the library and every --json) and its Chinese label (at the edges)
STATUS_LABELS = {"on_time": "按时", "late": "迟报", "late_unverified": UNVERIFIED_LATE, "wrong": "错报",
                 "missing": "漏报"}


@dataclass
class WrongFiling:
    """A filing whose errors make its unit 错报: the file, and each error with its place."""

    file: str
    errors: list[dict]  # {"code", "sheet", "cell", "message"}
    corrected: bool = False  # replaced by a later filing received before the deadline

    def text(self, limit: int = 3) -> str:
        shown = "；".join(f"{e['sheet']}!{e['cell']} {e['message']}" if e["cell"] else e["message"]
                         for e in self.errors[:limit])
        more = f"等 {len(self.errors)} 个错误" if len(self.errors) > limit else ""
        return f"{self.file}：{shown}{more}"

    def to_dict(self) -> dict:
        return {"file": self.file, "corrected_before_deadline": self.corrected, "errors": self.errors}


@dataclass
class SubmitterStatus:
    submitter: Submitter
    received: dict[str, dt.datetime] = field(default_factory=dict)  # form → first receipt
    sources: dict[str, str] = field(default_factory=dict)  # form → where that receipt time came from
    required: list[str] = field(default_factory=list)  # forms this unit had to send this period
    missing_forms: list[str] = field(default_factory=list)  # required, not received
    optional_missing: list[str] = field(default_factory=list)  # optional, not received (未报工作情况)
    late_by: dt.timedelta | None = None
    late_verified: bool = True  # False: every late receipt rests on a guessed time (file mtime)
    late_own: list[str] = field(default_factory=list)  # late forms on a rhythm of their own (named when told)
    wrong_filings: list[WrongFiling] = field(default_factory=list)
    first_received: dt.datetime | None = None
    filings: list[Filing] = field(default_factory=list)  # this period's filings, first received first

    @property
    def wrong(self) -> list[str]:
        return [w.text() for w in self.wrong_filings]

    @property
    def missing(self) -> bool:
        return bool(self.missing_forms)

    @property
    def nothing(self) -> bool:
        return not self.received

    @property
    def late(self) -> bool:
        return self.late_by is not None

    @property
    def on_time(self) -> bool:
        return not (self.missing or self.late or self.wrong_filings)

    @property
    def codes(self) -> list[str]:
        """The verdict's codes: late / late_unverified, wrong, missing; ["on_time"] when none."""
        out = []
        if self.late:
            out.append("late" if self.late_verified else "late_unverified")
        if self.wrong_filings:
            out.append("wrong")
        if self.missing:
            out.append("missing")
        return out or ["on_time"]

    @property
    def flags(self) -> list[str]:
        """The verdict in the office's words (empty when 按时)."""
        return [STATUS_LABELS[c] for c in self.codes if c != "on_time"]

    @property
    def text(self) -> str:
        return "、".join(self.flags) or "按时"

    def reasons(self, labels: dict[str, str]) -> str:
        parts = []
        if self.nothing:
            parts.append("未收到任何报表")
        elif self.missing_forms:
            parts.append("缺" + "、".join(labels.get(f, f) for f in self.missing_forms))
        if self.late_by is not None:
            own = "、".join(labels.get(f, f) for f in self.late_own)  # due at a time of its own
            parts.append((f"{own}晚于其截止时间" if own else "晚于截止时间") + f" {human_delta(self.late_by)}")
            if not self.late_verified:
                late_sources = {receipt_source_label(self.sources[f]) for f in self.sources
                                if not receipt_source_trusted(self.sources[f])}
                parts.append(f"收到时间依据{('、'.join(sorted(late_sources)))}，待核实")
        parts += [f"错误：{w}" for w in self.wrong]
        if self.optional_missing and not self.nothing:
            parts.append("未报" + "、".join(labels.get(f, f) for f in self.optional_missing))
        return "；".join(parts)


@dataclass
class StatusReport:
    period: Period
    rows: list[SubmitterStatus]
    policies: dict[str, str]  # form → always / when-reported / optional
    form_labels: dict[str, str]
    deadline_passed: bool
    deadline: dt.datetime  # the period's deadline with the grace period added
    wrong_rule: str = ""  # how 错报 is judged, in the office's words
    chosen: str = ""  # how the period was chosen when the clerk named none (said in the output)
    # each form due this period → its deadline (a form on its own rhythm has its own), grace not added
    form_deadlines: dict[str, dt.datetime] = field(default_factory=dict)

    @property
    def expected(self) -> int:
        return sum(len(r.required) for r in self.rows)

    @property
    def actual(self) -> int:
        return sum(len([f for f in r.required if f in r.received]) for r in self.rows)

    @property
    def actual_on_time(self) -> int:
        return sum(len([f for f in r.required if f in r.received
                        and r.received[f] <= self.form_deadlines.get(f, self.period.deadline) + self.grace])
                   for r in self.rows)

    @property
    def grace(self) -> dt.timedelta:
        return self.deadline - self.period.deadline

    @property
    def reporting_rate(self) -> float:
        return round(100 * self.actual / self.expected, 1) if self.expected else 0.0

    @property
    def on_time_rate(self) -> float:
        return round(100 * self.actual_on_time / self.expected, 1) if self.expected else 0.0

    @property
    def exit_code(self) -> int:
        """1 when any submitter is not 按时 — so a cron job can act on it."""
        return 0 if all(r.on_time for r in self.rows) else 1

    @property
    def summary(self) -> str:
        return self.headline()

    def headline(self, narrative: bool = True, label: bool = True) -> str:
        """One sentence of counts; a briefing leaves out the period (its masthead says it) and
        未报工作情况 (it names them)."""
        late = sum(r.late and r.late_verified for r in self.rows)
        unverified = sum(r.late and not r.late_verified for r in self.rows)
        wrong = sum(bool(r.wrong_filings) for r in self.rows)
        missing = sum(r.missing for r in self.rows)
        ok = sum(r.on_time for r in self.rows)
        no_narrative = sum(bool(r.optional_missing) and not r.nothing for r in self.rows)
        optional = "、".join(self.form_labels.get(f, f) for f, rule in self.policies.items() if rule == "optional")
        return ((f"{self.period.label}：" if label else "") + f"应报 {len(self.rows)} 个单位，按时 {ok} 个，迟报 {late} 个"
                + (f"（另有 {unverified} 个迟报待核实收到时间）" if unverified else "")
                + f"，错报 {wrong} 个，漏报 {missing} 个；报表报送率 {self.reporting_rate:g}%"
                f"（{self.actual}/{self.expected}），按时报送率 {self.on_time_rate:g}%。"
                + (f"{no_narrative} 个单位未报{optional}。" if narrative and no_narrative and optional else ""))

    def to_dict(self) -> dict:
        return {
            "period": self.period.to_dict(),
            "deadline_passed": self.deadline_passed,
            "required_forms": self.policies,
            # forms on a rhythm of their own, due this period at another time than the period's
            "form_deadlines": {f: d.isoformat() for f, d in self.form_deadlines.items() if d != self.period.deadline},
            "wrong_rule": self.wrong_rule,
            "period_chosen": self.chosen or None,
            "reporting_rate": self.reporting_rate,
            "on_time_rate": self.on_time_rate,
            "expected_reports": self.expected,
            "actual_reports": self.actual,
            "actual_reports_on_time": self.actual_on_time,
            "summary": self.summary,
            "submitters": [{
                "name": r.submitter.name, "kind": r.submitter.kind, "status": r.text, "flags": r.flags,
                "codes": r.codes,
                "on_time": r.on_time, "late": r.late, "late_verified": r.late_verified if r.late else None,
                "late_by_minutes": round(r.late_by.total_seconds() / 60) if r.late_by else None,
                "wrong": [w.to_dict() for w in r.wrong_filings], "required_forms": r.required,
                "missing_forms": r.missing_forms, "not_filed_optional": r.optional_missing,
                "first_received": r.first_received.isoformat() if r.first_received else None,
                "received": {k: v.isoformat() for k, v in sorted(r.received.items())},
                "received_source": {k: v for k, v in sorted(r.sources.items())},
                "reasons": r.reasons(self.form_labels),
            } for r in self.rows],
        }


def verdicts(report: StatusReport, at: dt.datetime) -> dict[str, str]:
    """Each unit's verdict in words as `status` gives it; before the deadline nothing is missing
    or late yet (未到期, or 已报 once something came)."""
    if at > report.deadline:
        return {r.submitter.name: r.text for r in report.rows}
    return {r.submitter.name: ("未到期" if r.nothing else "已报（未到期）") for r in report.rows}


def human_delta(d: dt.timedelta) -> str:
    minutes = int(d.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days} 天"] if days else []) + ([f"{hours} 小时"] if hours else []) + ([f"{mins} 分钟"] if mins else [])
    return " ".join(parts) or f"{int(d.total_seconds())} 秒"


def policies(cfg: Config, schemas: SchemaSet) -> dict[str, str]:
    """Each form collected each period → always / when-reported / optional (config over schema)."""
    forms = [f for f in dict.fromkeys(cfg.campaign.weekly_forms) if f in schemas]
    chosen = cfg.filing_status.required_forms
    return {f: chosen.get(f, schemas[f].required) for f in forms}


def wrong_rule_text(cfg: Config) -> str:
    if cfg.filing_status.wrong_if_corrected_before_deadline:
        return "报送的报表有错误即记错报；截止前已更正的也记一次（更正后的报表照常计入汇总）。"
    return "截止时报表仍有错误的记错报；截止前已更正的不记错报。"


class _Ledgered:
    """What status needs from the ledger, read once for every period of a run."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self.filings = {f.id: f for f in ledger.filings()}
        self.index = ledger.form_index()
        self.forms_of: dict[int, list[str]] = {}
        self.superseded_by: dict[int, list[int | None]] = {}  # filing → superseding form of each form
        self.filing_of_form: dict[int, int] = {}
        # (submitter, form kind) → [(weekly period, form id)] of the forms that count, by period
        self.counting: dict[tuple[str, str], list[tuple[str, int]]] = {}
        for form_id, filing_id, schema_id, sup in self.index:
            self.forms_of.setdefault(filing_id, []).append(schema_id)
            self.superseded_by.setdefault(filing_id, []).append(sup)
            self.filing_of_form[form_id] = filing_id
            f = self.filings[filing_id]
            if sup is None and f.submitter and f.period and len(f.period) == 10:  # weekly keys are dates
                self.counting.setdefault((f.submitter, schema_id), []).append((f.period, form_id))
        for entries in self.counting.values():
            entries.sort()
        # (form kind, row, upto) → submitter → that row's values in its counted form (`counted_row`)
        self._rows: dict[tuple[str, str, str], dict[str, dict]] = {}

    def counted_row(self, submitter: str, schema_id: str, row: str, upto: str) -> dict:
        """A row's values (column → value) of the submitter's counted form of this kind in the
        latest weekly period ≤ `upto` (a date); {} when it has none. Asked of every unit in turn:
        the row is taken out of every unit's form at once, and no form is decoded whole."""
        key = (schema_id, row, upto)
        if key not in self._rows:
            ids: dict[str, int] = {}
            for (sub, kind), entries in self.counting.items():
                if kind != schema_id:
                    continue
                i = bisect.bisect_right(entries, (upto, float("inf")))  # the latest period ≤ upto
                if i:
                    ids[sub] = entries[i - 1][1]
            stored = self.ledger.stored_forms(set(ids.values()), row=row)
            self._rows[key] = {sub: stored[fid].row(row) for sub, fid in ids.items() if fid in stored}
        return self._rows[key].get(submitter, {})

    def errors_of(self, filing: Filing) -> list[dict]:
        return [{"code": f.code, "sheet": f.sheet, "cell": f.cell, "message": f.message}
                for f in self.ledger.findings_of(filing.id, filing.original_path) if f.severity == "error"]


def _required(sub: Submitter, policy: dict[str, str], schemas: SchemaSet, data: _Ledgered,
              period: Period) -> list[str]:
    """The forms this submitter had to send: 'when-reported' ones only when one of the schema's
    reported_when figures is above 0 in the unit's latest counted form up to this period."""
    # the ledger's period keys sort within one rhythm: dates (weekly, every N days), 2021-09, 2021-Q3
    if period.kind in DATED_KINDS:
        upto = max(period.key, period.deadline.date().isoformat())
    else:
        upto = period.key if period.filing else period.deadline.date().isoformat()
    out = []
    for form_id, rule in policy.items():
        if rule == "always":
            out.append(form_id)
        elif rule == "when-reported":
            for ref in schemas[form_id].reported_when:
                schema_id, row, column = ref.split(".")
                value = data.counted_row(sub.name, schema_id, row, upto).get(column)
                if isinstance(value, (int, float)) and value > 0:
                    out.append(form_id)
                    break
    return out


def period_status(cfg: Config, ledger: Ledger, period: Period, schemas: SchemaSet,
                  data: _Ledgered | None = None) -> StatusReport:
    data = data or _Ledgered(ledger)
    grace = dt.timedelta(minutes=cfg.deadlines.grace_minutes)
    own = form_deadlines(cfg, period, list(policies(cfg, schemas)))
    due = {f: d + grace for f, d in own.items()}
    policy = {f: rule for f, rule in policies(cfg, schemas).items() if f in due}  # the forms due this period
    labels = schemas.short_labels()
    deadline = period.deadline + grace
    forgive = not cfg.filing_status.wrong_if_corrected_before_deadline
    rows = []
    of_unit: dict[str | None, list[Filing]] = {}  # this period's filings by submitter: one pass, not one per unit
    for f in data.filings.values():
        if f.period == period.key:
            of_unit.setdefault(f.submitter, []).append(f)
    for sub in cfg.roster:
        mine = sorted(of_unit.get(sub.name, []), key=lambda f: (f.received_at, f.sha256))
        st = SubmitterStatus(sub, filings=mine)
        for f in mine:
            for schema_id in data.forms_of.get(f.id, []):
                if schema_id not in st.received:
                    st.received[schema_id], st.sources[schema_id] = f.received_at, f.received_source
            if f.errors:
                corrected = _corrected_before(f, mine, data, deadline)
                if not (forgive and corrected):
                    st.wrong_filings.append(WrongFiling(f.original_name, data.errors_of(f), corrected))
        st.first_received = mine[0].received_at if mine else None
        st.required = _required(sub, policy, schemas, data, period)
        st.missing_forms = [x for x in st.required if x not in st.received]
        st.optional_missing = [x for x, rule in policy.items() if rule == "optional" and x not in st.received]
        late_forms = [x for x in st.required if x in st.received and st.received[x] > due[x]]
        if late_forms:
            st.late_by = max(st.received[x] - due[x] for x in late_forms)
            st.late_own = [x for x in late_forms if own[x] != period.deadline]
            st.late_verified = any(receipt_source_trusted(st.sources[x]) for x in late_forms)
        rows.append(st)
    return StatusReport(period, rows, policy, labels, now(cfg) > deadline, deadline, wrong_rule_text(cfg),
                        form_deadlines=own)


def period_statuses(cfg: Config, ledger: Ledger, periods: list[Period], schemas: SchemaSet) -> list[StatusReport]:
    """`period_status` for several periods, reading the ledger's index once."""
    data = _Ledgered(ledger)
    return [period_status(cfg, ledger, p, schemas, data) for p in periods]


def _corrected_before(f: Filing, mine: list[Filing], data: _Ledgered, deadline: dt.datetime) -> bool:
    """Every form of the filing was replaced by a later filing received by the deadline (a file
    that could not be read at all is corrected by any later filing received by then)."""
    replaced_by = data.superseded_by.get(f.id, [])
    if not replaced_by:
        return any(g.received_at > f.received_at and g.received_at <= deadline for g in mine if g.id != f.id)
    for form_id in replaced_by:
        if form_id is None:
            return False
        newer = data.filings[data.filing_of_form[form_id]]
        if newer.received_at > deadline:
            return False
    return True


@dataclass
class CampaignRecord:
    """Per submitter, how often it filed late, wrong or not at all over the periods so far."""

    periods: list[Period]
    counts: dict[str, dict[str, int]]  # submitter → {"按时": n, "迟报": n, "迟报（待核实）": n, "错报": n, "漏报": n}
    details: dict[str, list[tuple[str, str]]]  # submitter → [(period label, status text)]

    @property
    def exit_code(self) -> int:
        return 0 if all(c["按时"] == len(self.periods) for c in self.counts.values()) else 1

    def to_dict(self) -> dict:
        codes = {label: code for code, label in STATUS_LABELS.items()}
        return {"periods": [p.to_dict() for p in self.periods],
                "submitters": [{"name": name, **c, "counts": {codes[k]: v for k, v in c.items()},
                                "details": [{"period": p, "status": s} for p, s in self.details[name]]}
                               for name, c in self.counts.items()]}


def campaign_record(cfg: Config, ledger: Ledger, schemas: SchemaSet,
                    as_of: dt.datetime | None = None, kinds: tuple[str, ...] = FILING_KINDS) -> CampaignRecord:
    """Every period of these kinds whose deadline (grace included) has passed by `as_of`."""
    as_of = as_of or now(cfg)
    grace = dt.timedelta(minutes=cfg.deadlines.grace_minutes)
    periods = [p for p in all_periods(cfg) if p.kind in kinds and p.deadline + grace < as_of]
    data = _Ledgered(ledger)
    counts = {s.name: {"按时": 0, "迟报": 0, UNVERIFIED_LATE: 0, "错报": 0, "漏报": 0} for s in cfg.roster}
    details: dict[str, list[tuple[str, str]]] = {s.name: [] for s in cfg.roster}
    for p in periods:
        for r in period_status(cfg, ledger, p, schemas, data).rows:
            for flag in r.flags or ["按时"]:
                counts[r.submitter.name][flag] += 1
            details[r.submitter.name].append((p.label, r.text))
    return CampaignRecord(periods, counts, details)
