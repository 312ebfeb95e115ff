"""Filing status: 按时 / 迟报 / 错报 / 漏报 per submitter and period, from the ledger.

At most one report per submitter and form counts towards the rates (DHIS2's reporting rate is
received ÷ expected and can never pass 100 %). 迟报: a required form's first receipt came after
the deadline (grace included). 错报: any filing for the period had errors — a later correction
does not erase that the first one was wrong. 漏报: nothing received, or a required form missing.
Sends nothing: `mail` does that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .config import Config, Submitter
from .ledger import Filing, Ledger
from .periods import Period, all_periods, now


@dataclass
class SubmitterStatus:
    submitter: Submitter
    received: dict[str, dt.datetime] = field(default_factory=dict)  # form → first receipt
    missing_forms: list[str] = field(default_factory=list)
    late_by: dt.timedelta | None = None
    wrong: list[str] = field(default_factory=list)  # why: "开元街道.xlsx：3 个错误"
    first_received: dt.datetime | None = None

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
        return not (self.missing or self.late or self.wrong)

    @property
    def flags(self) -> list[str]:
        out = []
        if self.late:
            out.append("迟报")
        if self.wrong:
            out.append("错报")
        if self.missing:
            out.append("漏报")
        return out

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
            parts.append(f"晚于截止时间 {human_delta(self.late_by)}")
        parts += self.wrong
        return "；".join(parts)


@dataclass
class StatusReport:
    period: Period
    rows: list[SubmitterStatus]
    required: list[str]
    form_labels: dict[str, str]
    deadline_passed: bool
    deadline: dt.datetime  # the period's deadline with the grace period added

    @property
    def expected(self) -> int:
        return len(self.rows) * len(self.required)

    @property
    def actual(self) -> int:
        return sum(len([f for f in self.required if f in r.received]) for r in self.rows)

    @property
    def actual_on_time(self) -> int:
        return sum(len([f for f in self.required if f in r.received and r.received[f] <= self.deadline])
                   for r in self.rows)

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
        late = sum(r.late for r in self.rows)
        wrong = sum(bool(r.wrong) for r in self.rows)
        missing = sum(r.missing for r in self.rows)
        ok = sum(r.on_time for r in self.rows)
        return (f"{self.period.label}：应报 {len(self.rows)} 个单位，按时 {ok} 个，迟报 {late} 个，错报 {wrong} 个，"
                f"漏报 {missing} 个；报表报送率 {self.reporting_rate:g}%（{self.actual}/{self.expected}），"
                f"按时报送率 {self.on_time_rate:g}%。")

    def to_dict(self) -> dict:
        return {
            "period": self.period.to_dict(),
            "deadline_passed": self.deadline_passed,
            "required_forms": self.required,
            "reporting_rate": self.reporting_rate,
            "on_time_rate": self.on_time_rate,
            "expected_reports": self.expected,
            "actual_reports": self.actual,
            "actual_reports_on_time": self.actual_on_time,
            "summary": self.summary,
            "submitters": [{
                "name": r.submitter.name, "kind": r.submitter.kind, "status": r.text, "flags": r.flags,
                "on_time": r.on_time, "late": r.late,
                "late_by_minutes": round(r.late_by.total_seconds() / 60) if r.late_by else None,
                "wrong": r.wrong, "missing_forms": r.missing_forms,
                "first_received": r.first_received.isoformat() if r.first_received else None,
                "received": {k: v.isoformat() for k, v in sorted(r.received.items())},
                "reasons": r.reasons(self.form_labels),
            } for r in self.rows],
        }


def human_delta(d: dt.timedelta) -> str:
    minutes = int(d.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days} 天"] if days else []) + ([f"{hours} 小时"] if hours else []) + ([f"{mins} 分钟"] if mins else [])
    return "".join(parts) or f"{int(d.total_seconds())} 秒"


def required_forms(cfg: Config) -> list[str]:
    return list(cfg.campaign.weekly_forms)


def period_status(cfg: Config, ledger: Ledger, period: Period, form_labels: dict[str, str],
                  filings: list[Filing] | None = None, forms_of: dict[int, list[str]] | None = None) -> StatusReport:
    filings = ledger.filings() if filings is None else filings
    forms_of = _forms_of(ledger) if forms_of is None else forms_of
    required = required_forms(cfg)
    deadline = period.deadline + dt.timedelta(minutes=cfg.deadlines.grace_minutes)
    rows = []
    for sub in cfg.roster:
        mine = sorted((f for f in filings if f.submitter == sub.name and f.period == period.key),
                      key=lambda f: (f.received_at, f.sha256))
        st = SubmitterStatus(sub)
        for f in mine:
            for schema_id in forms_of.get(f.id, []):
                st.received.setdefault(schema_id, f.received_at)
            if f.errors:
                st.wrong.append(f"{f.original_name}：{f.errors} 个错误")
        st.first_received = mine[0].received_at if mine else None
        st.missing_forms = [x for x in required if x not in st.received]
        late = [st.received[x] - deadline for x in required if x in st.received and st.received[x] > deadline]
        st.late_by = max(late) if late else None
        rows.append(st)
    return StatusReport(period, rows, required, form_labels, now(cfg) > deadline, deadline)


def _forms_of(ledger: Ledger) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for _fid, filing_id, schema_id, _sup in ledger.form_index():
        out.setdefault(filing_id, []).append(schema_id)
    return out


@dataclass
class CampaignRecord:
    """Per submitter, how often it filed late, wrong or not at all over the periods so far."""

    periods: list[Period]
    counts: dict[str, dict[str, int]]  # submitter → {"迟报": n, "错报": n, "漏报": n, "按时": n}
    details: dict[str, list[tuple[str, str]]]  # submitter → [(period label, status text)]

    @property
    def exit_code(self) -> int:
        return 0 if all(c["迟报"] + c["错报"] + c["漏报"] == 0 for c in self.counts.values()) else 1

    def to_dict(self) -> dict:
        return {"periods": [p.to_dict() for p in self.periods],
                "submitters": [{"name": name, **c, "details": [{"period": p, "status": s}
                                                               for p, s in self.details[name]]}
                               for name, c in self.counts.items()]}


def campaign_record(cfg: Config, ledger: Ledger, form_labels: dict[str, str],
                    as_of: dt.datetime | None = None, kinds: tuple[str, ...] = ("weekly",)) -> CampaignRecord:
    """Every period of these kinds whose deadline (grace included) has passed by `as_of`."""
    as_of = as_of or now(cfg)
    grace = dt.timedelta(minutes=cfg.deadlines.grace_minutes)
    periods = [p for p in all_periods(cfg) if p.kind in kinds and p.deadline + grace < as_of]
    filings, forms_of = ledger.filings(), _forms_of(ledger)
    counts = {s.name: {"按时": 0, "迟报": 0, "错报": 0, "漏报": 0} for s in cfg.roster}
    details: dict[str, list[tuple[str, str]]] = {s.name: [] for s in cfg.roster}
    for p in periods:
        for r in period_status(cfg, ledger, p, form_labels, filings, forms_of).rows:
            for flag in r.flags or ["按时"]:
                counts[r.submitter.name][flag] += 1
            details[r.submitter.name].append((p.label, r.text))
    return CampaignRecord(periods, counts, details)
