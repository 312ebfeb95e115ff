"""Reporting periods and their deadlines, always in the campaign's time zone (Asia/Shanghai),
whatever the machine's own zone.

A weekly period is named by the date of its deadline Thursday: "2021-09-16" is the first week.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from .config import Config, Deadlines
from .errors import UserError


class PeriodError(UserError, ValueError):
    """A period the campaign does not have; the message is Chinese."""

    kind = "period"


FILING_KINDS = ("weekly", "interval", "once", "half_month", "month", "quarter", "half_year", "year")  # monthly/final: reports
DATED_KINDS = ("weekly", "interval", "once")  # named (keyed) by their deadline day: 2021-09-16
MONTHS_OF = {"monthly": 1, "quarterly": 3, "half-yearly": 6, "yearly": 12}
KIND_OF = {"monthly": "month", "quarterly": "quarter", "half-yearly": "half_year", "yearly": "year"}
QUARTERS = "一二三四"


@dataclass(frozen=True)
class Period:
    key: str  # "2021-09-16" (weekly, every N days), "2021-09" (month), "2021-Q3" (quarter), "final"
    kind: str  # a filing rhythm (FILING_KINDS), or a report: "monthly" | "final"
    number: int  # 1 for the first week / month
    deadline: dt.datetime  # aware, in the campaign's zone; after any holiday shift
    start: dt.date | None = None  # the first day the period covers (filing periods)

    @property
    def filing(self) -> bool:
        """A period units file in (not a report's)."""
        return self.kind in FILING_KINDS

    @property
    def label(self) -> str:
        if self.kind == "monthly":
            return f"{int(self.key[5:7])}月月报"
        if self.kind == "final":
            return "专项整治总结"
        if self.kind == "month":
            return f"{self.key[:4]}年{int(self.key[5:7])}月"
        if self.kind == "quarter":
            return f"{self.key[:4]}年第{QUARTERS[int(self.key[-1]) - 1]}季度"
        if self.kind == "half_year":
            return f"{self.key[:4]}年{'上' if self.key.endswith('1') else '下'}半年"
        if self.kind == "year":
            return f"{self.key}年"
        if self.kind == "half_month":
            return f"{self.key[:4]}年{int(self.key[5:7])}月{'上' if self.key.endswith('1') else '下'}半月"
        if self.kind == "once":
            return f"一次性报送（{self.deadline.month}月{self.deadline.day}日）"
        # named by the day it is due: a week whose Thursday is a holiday is due (and named) later
        unit = "周" if self.kind == "weekly" else "期"
        return f"第{self.number}{unit}（{self.deadline.month}月{self.deadline.day}日）"

    @property
    def shifted(self) -> bool:
        """The deadline was moved off a day off (节假日顺延)."""
        return self.kind in DATED_KINDS and self.deadline.date().isoformat() != self.key

    def to_dict(self) -> dict:
        return {"key": self.key, "kind": self.kind, "number": self.number, "label": self.label,
                "deadline": self.deadline.isoformat()}


def zone(cfg: Config) -> ZoneInfo:
    return ZoneInfo(cfg.campaign.timezone)


def _at(tz: str, day: dt.date, hhmm: str) -> dt.datetime:
    """'12:00' on `day`, in the campaign's zone."""
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), tzinfo=ZoneInfo(tz))


def working_day(cfg: Config, day: dt.date, direction: str = "earlier") -> dt.date:
    """`day`, or — when the config shifts deadlines off days off — the nearest working day in
    `direction`. Days off: weekends and `holidays`, except the make-up working days in `workdays`
    (调休). A deadline the notice states with 前 ("每月2日前", "11月20日前") moves earlier, never later."""
    d = cfg.deadlines
    return _working_day(day, direction if d.holiday_shift else "none", frozenset(d.holidays), frozenset(d.workdays))


def _working_day(day: dt.date, direction: str, holidays: frozenset, workdays: frozenset) -> dt.date:
    if direction == "none":
        return day
    step = dt.timedelta(days=1 if direction == "later" else -1)
    while day not in workdays and (day.weekday() >= 5 or day in holidays):
        day += step
    return day


def filing_periods(cfg: Config) -> list[Period]:
    """Every period the units file for, from the first to the campaign's end, on the rhythm the
    configuration gives ([deadlines] cadence): weekly, every N days, once, half-monthly, monthly,
    quarterly, half-yearly or yearly. A form on a rhythm of its own is due in some of them (due_in)."""
    return _periods_of(cfg, cfg.deadlines)


def form_calendar(cfg: Config, form_id: str) -> list[Period]:
    """The periods of one form's own rhythm ([deadlines.forms]); the campaign's when it has none."""
    return _periods_of(cfg, cfg.deadlines.of_form(form_id))


def _periods_of(cfg: Config, d: Deadlines) -> list[Period]:
    holidays, workdays = frozenset(d.holidays), frozenset(d.workdays)
    if d.cadence == "once":  # "11月20日前报送": one fixed date, stated with 前, so never later
        due = _working_day(d.first_due, "earlier" if d.holiday_shift else "none", holidays, workdays)
        return [Period(d.first_due.isoformat(), "once", 1, _at(cfg.campaign.timezone, due, d.due_time or d.weekly_time),
                       cfg.campaign.start)]
    if d.cadence in ("weekly", "every-days"):
        shift = d.weekly_shift if d.holiday_shift else "none"
        step = 7 if d.cadence == "weekly" else d.every_days
        return list(_interval(cfg.campaign.timezone, d.first_due, cfg.campaign.end, d.weekly_time, shift,
                              holidays, workdays, step, "weekly" if d.cadence == "weekly" else "interval"))
    # 每月28日前 / 每季度末月24日前: stated with 前, so a day off moves the deadline earlier
    shift = "earlier" if d.holiday_shift else "none"
    if d.cadence == "half-monthly":
        return list(_half_months(cfg.campaign.timezone, cfg.campaign.start, cfg.campaign.end,
                                 d.due_time or d.weekly_time, shift, holidays, workdays))
    return list(_calendar(cfg.campaign.timezone, cfg.campaign.start, cfg.campaign.end, d.due_time or d.weekly_time,
                          shift, holidays, workdays, d.cadence, d.due_day, d.due_month))


def own_rhythms(cfg: Config, period: Period) -> dict[str, Period | None]:
    """For each form on a rhythm of its own, its period due in this (campaign) period — the one
    whose deadline day falls in it (a quarterly 统计表 due 9月24日 is due in the month 2021-09) —
    or None: not due in this period."""
    out: dict[str, Period | None] = {}
    for form_id in cfg.deadlines.forms:
        out[form_id] = next((own for own in form_calendar(cfg, form_id)
                             if (host := period_of_date(cfg, own.deadline.date())) is not None
                             and host.key == period.key), None)
    return out


def form_deadlines(cfg: Config, period: Period, forms: list[str]) -> dict[str, dt.datetime]:
    """The deadline of each of `forms` due in this period: the period's own, or — for a form on a
    rhythm of its own — that rhythm's deadline falling in it; forms not due are left out."""
    own = own_rhythms(cfg, period) if period.filing else {}
    out = {}
    for form_id in forms:
        if form_id not in own:
            out[form_id] = period.deadline
        elif (mine := own[form_id]) is not None:
            out[form_id] = mine.deadline
    return out


def _host(cfg: Config, own: Period | None) -> Period | None:
    """The campaign period a form's own period is due in."""
    return period_of_date(cfg, own.deadline.date()) if own is not None else None


@lru_cache(maxsize=16)
def _interval(tz: str, first: dt.date, end: dt.date, hhmm: str, shift: str, holidays: frozenset,
              workdays: frozenset, step: int, kind: str) -> tuple[Period, ...]:
    """Keyed by every setting that shapes the calendar: intake asks once per file."""
    out = []
    day, n = first, 1
    while day <= end:
        due = _working_day(day, shift, holidays, workdays)
        out.append(Period(day.isoformat(), kind, n, _at(tz, due, hhmm), day - dt.timedelta(days=step - 1)))
        day += dt.timedelta(days=step)
        n += 1
    return tuple(out)


@lru_cache(maxsize=16)
def _calendar(tz: str, start: dt.date, end: dt.date, hhmm: str, shift: str, holidays: frozenset,
              workdays: frozenset, cadence: str, due_day: int, due_month: str) -> tuple[Period, ...]:
    """Months, quarters, half-years or years from the campaign's start to its end, each due on
    `due_day` of its own (last) month, or of the month after it (due_month = "next")."""
    months = MONTHS_OF[cadence]
    y, m = start.year, (start.month - 1) // months * months + 1
    out, n = [], 1
    while (y, m) <= (end.year, end.month):
        last_y, last_m = (y, m + months - 1)
        due_y, due_m = (last_y, last_m) if due_month == "same" else _next_month(last_y, last_m)
        due = _working_day(dt.date(due_y, due_m, due_day), shift, holidays, workdays)
        key = {1: f"{y}-{m:02d}", 3: f"{y}-Q{(m - 1) // 3 + 1}", 6: f"{y}-H{(m - 1) // 6 + 1}", 12: f"{y}"}[months]
        out.append(Period(key, KIND_OF[cadence], n, _at(tz, due, hhmm), dt.date(y, m, 1)))
        y, m = _next_month(last_y, last_m)
        n += 1
    return tuple(out)


@lru_cache(maxsize=16)
def _half_months(tz: str, start: dt.date, end: dt.date, hhmm: str, shift: str, holidays: frozenset,
                 workdays: frozenset) -> tuple[Period, ...]:
    """每半月: the 1st to the 15th, due the 15th; the 16th to the month's end, due its last day."""
    out, n = [], 1
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        last = (dt.date(*_next_month(y, m), 1) - dt.timedelta(days=1)).day
        for half, first, due_day in ((1, 1, 15), (2, 16, last)):
            if dt.date(y, m, due_day) < start or dt.date(y, m, first) > end:
                continue
            due = _working_day(dt.date(y, m, due_day), shift, holidays, workdays)
            out.append(Period(f"{y}-{m:02d}-H{half}", "half_month", n, _at(tz, due, hhmm), dt.date(y, m, first)))
            n += 1
        y, m = _next_month(y, m)
    return tuple(out)


def _next_month(y: int, m: int) -> tuple[int, int]:
    return (y + 1, 1) if m == 12 else (y, m + 1)


def monthly_periods(cfg: Config) -> list[Period]:
    """One per month of the campaign, due "每月2日前": the `monthly_day` of the next month, moved
    earlier off a day off."""
    out = []
    y, m = cfg.campaign.start.year, cfg.campaign.start.month
    n = 1
    while (y, m) <= (cfg.campaign.end.year, cfg.campaign.end.month):
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        due = working_day(cfg, dt.date(ny, nm, cfg.deadlines.monthly_day))
        out.append(Period(f"{y}-{m:02d}", "monthly", n, _at(cfg.campaign.timezone, due, cfg.deadlines.monthly_time)))
        y, m, n = ny, nm, n + 1
    return out


def final_period(cfg: Config) -> Period:
    """Due "11月20日前": on a day off it moves to the working day before, never to Monday."""
    due = working_day(cfg, cfg.deadlines.final or cfg.campaign.end)
    return Period("final", "final", 1, _at(cfg.campaign.timezone, due, cfg.deadlines.final_time))


def all_periods(cfg: Config) -> list[Period]:
    return filing_periods(cfg) + monthly_periods(cfg) + [final_period(cfg)]


_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _named(periods: list[Period], t: str) -> Period | None:
    """A filing period by its natural name: 第2周 / 第2期, a deadline date (weekly, every N days,
    once), 2021-09 / 2021年9月 (month), 2021-Q3 / 2021年第三季度 (quarter), 2021-09-H1 /
    2021年9月上半月 (half-month), 2021-H1 / 2021年上半年 (half-year), 2021 / 2021年度 (year)."""
    if not periods:
        return None
    kind = periods[0].kind
    m = re.fullmatch(r"第?(\d{1,3})[周期]", t)
    if m:
        n = int(m.group(1))
        return periods[n - 1] if 1 <= n <= len(periods) else None
    key = None
    month = re.fullmatch(r"(\d{4})\s*[-年./]\s*(\d{1,2})\s*月?(份)?", t)
    quarter = re.fullmatch(r"(\d{4})\s*(?:-?Q|年第?)([1-4一二三四])(?:季度)?", t, re.I)
    half = re.fullmatch(r"(\d{4})\s*(?:-?H([12])|年([上下])半年)", t, re.I)
    half_month = re.fullmatch(r"(\d{4})\s*[-年./]\s*(\d{1,2})\s*(?:-?H([12])|月([上下])半月)", t, re.I)
    year = re.fullmatch(r"(\d{4})\s*年?(度)?", t)
    if kind == "half_year" and half:
        key = f"{half.group(1)}-H{half.group(2) or (1 if half.group(3) == '上' else 2)}"
    elif kind == "half_month" and half_month:
        key = (f"{half_month.group(1)}-{int(half_month.group(2)):02d}-H"
               f"{half_month.group(3) or (1 if half_month.group(4) == '上' else 2)}")
    elif kind == "year" and year:
        key = year.group(1)
    elif kind == "month" and month:
        key = f"{month.group(1)}-{int(month.group(2)):02d}"
    elif kind == "quarter" and quarter:
        key = f"{quarter.group(1)}-Q{_CN_NUM[quarter.group(2)]}"
    elif kind in DATED_KINDS and re.fullmatch(r"\d{4}\s*[-年./]\s*\d{1,2}\s*[-月./]\s*\d{1,2}\s*日?", t):
        from .values import parse_date

        day = parse_date(t)
        key = day.isoformat() if day else None
    return next((p for p in periods if p.key == key), None)


def example_names(periods: list[Period]) -> str:
    """How the campaign's periods are written, for messages: its first and last, and an example."""
    if not periods:
        return "本次专项整治没有报送周期"
    first, last = periods[0], periods[-1]
    example = periods[min(1, len(periods) - 1)]
    if first.kind == "once":
        return f"本活动只报送一次，周期写 {first.key} 或 第1期"
    if first.kind == "weekly":
        weekday = "一二三四五六日"[dt.date.fromisoformat(first.key).weekday()]
        return f"周报周期以截止日（周{weekday}）表示，从 {first.key} 到 {last.key}，如 {example.key} 或 第2周"
    by = {"interval": "截止日", "half_month": "半月", "month": "月份", "quarter": "季度", "half_year": "半年",
          "year": "年度"}[first.kind]
    other = "第2期" if first.kind == "interval" else example.label
    return f"报送周期以{by}表示，从 {first.key} 到 {last.key}，如 {example.key} 或 {other}"


def parse_period(cfg: Config, text: str, weekly_only: bool = False) -> Period:
    """A filing period by its natural name (see _named); unless `weekly_only` (filing periods
    only), also '2021-09' / '2021年9月' → the monthly report (a weekly campaign's) and 'final' or
    '总结' → the final summary."""
    periods = filing_periods(cfg)
    t = text.strip()
    found = _named(periods, t)
    if found is not None:
        return found
    for form_id in cfg.deadlines.forms:  # 2021-Q3: the period a quarterly form is due in
        found = _host(cfg, _named(form_calendar(cfg, form_id), t))
        if found is not None:
            return found
    if not weekly_only and t.lower() in ("final", "总结", "专项整治总结"):
        return final_period(cfg)
    month = re.fullmatch(r"(\d{4})[-年./](\d{1,2})月?", t)
    if not weekly_only and month and periods and periods[0].kind == "weekly":
        key = f"{month.group(1)}-{int(month.group(2)):02d}"
        for p in monthly_periods(cfg):
            if p.key == key:
                return p
    reports = "；月报如 2021-09；总结为 final" if not weekly_only and periods and periods[0].kind == "weekly" else ""
    raise PeriodError(f"“{text}”不是本次专项整治的报送周期。{example_names(periods)}{reports}。")


def period_for(cfg: Config, when: dt.datetime, forms: list[str] | None = None) -> Period | None:
    """The period whose deadline is the next one at or after `when` (grace included). A filing
    whose forms are all on a rhythm of their own goes by that rhythm: to the period its next own
    deadline is due in."""
    grace = dt.timedelta(minutes=cfg.deadlines.grace_minutes)
    own = [f for f in forms or [] if f in cfg.deadlines.forms]
    if own and len(own) == len(forms or []):
        return _host(cfg, next((p for p in form_calendar(cfg, own[0]) if when <= p.deadline + grace), None))
    return next((p for p in filing_periods(cfg) if when <= p.deadline + grace), None)


def period_of_date(cfg: Config, day: dt.date | None) -> Period | None:
    """The period a form's own date (表尾日期) falls in: after the previous deadline day, up to
    and including its own deadline day (its Thursday, or the day the deadline moved to); before
    the first deadline, from the first period's start."""
    if day is None:
        return None
    previous = None
    for p in filing_periods(cfg):
        last = max(dt.date.fromisoformat(p.key), p.deadline.date()) if p.kind in DATED_KINDS \
            else p.deadline.date()
        if (previous is None or day > previous) and day <= last:
            return p if previous is not None or p.start is None or day >= p.start else None
        previous = last
    return None


def period_from_name(cfg: Config, name: str) -> Period | None:
    """A folder or file named after its period ('2021-09-23', '9月23日报表'; '2021-09', '2021年9月'
    for a monthly campaign; '2021-Q3', '2021年第三季度' for a quarterly one) names it."""
    periods = filing_periods(cfg)
    if not periods:
        return None
    found = _from_name(periods, name)
    for form_id in cfg.deadlines.forms:  # 2021年第三季度统计表: the period it is due in
        found = found or _host(cfg, _from_name(form_calendar(cfg, form_id), name))
    return found


def _from_name(periods: list[Period], name: str) -> Period | None:
    kind = periods[0].kind
    if kind in DATED_KINDS:
        m = re.search(r"(\d{4})[-年.](\d{1,2})[-月.](\d{1,2})", name)
        if not m:
            return None
        try:
            key = dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    elif kind in ("half_month", "half_year", "year"):
        return _named(periods, name.strip()) or next((p for p in periods if p.key in name or p.label in name), None)
    elif kind == "month":
        m = re.search(r"(\d{4})\s*[-年.]\s*(\d{1,2})(?![\d.-]*\d{1,2}日)", name)
        if not m:
            return None
        key = f"{m[1]}-{int(m[2]):02d}"
    else:
        m = re.search(r"(\d{4})\s*(?:-?Q|年第?)([1-4一二三四])", name, re.I)
        if not m:
            return None
        key = f"{m[1]}-Q{_CN_NUM[m[2]]}"
    return next((p for p in periods if p.key == key), None)


def now(cfg: Config) -> dt.datetime:
    return dt.datetime.now(tz=zone(cfg))


def last_due(cfg: Config, at: dt.datetime) -> Period:
    """The weekly period whose deadline (grace included) passed most recently (for cron at 12:05).
    Before the first deadline there is none: PeriodError says when the first one is."""
    grace = dt.timedelta(minutes=cfg.deadlines.grace_minutes)
    periods = filing_periods(cfg)
    passed = [p for p in periods if p.deadline + grace <= at]
    if not passed:
        raise PeriodError(f"还没有已截止的报送周期：第一次截止是{periods[0].label}，{periods[0].deadline:%Y-%m-%d %H:%M}。"
                          "可用 --period 指定周期。")
    return passed[-1]


def next_due(cfg: Config, at: dt.datetime) -> Period:
    """The next weekly deadline still ahead (for reminders). After the last one there is none:
    PeriodError says so, and no reminder goes out for a date that does not exist."""
    periods = filing_periods(cfg)
    ahead = next((p for p in periods if p.deadline > at), None)
    if ahead is None:
        last = periods[-1]
        raise PeriodError(f"本次专项整治的报送截止时间都已过去（最后一次：{last.label}，{last.deadline:%Y-%m-%d %H:%M}），"
                          "没有需要催报的周期。请停用催报的定时任务。")
    return ahead
