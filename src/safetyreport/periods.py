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

from .config import Config
from .errors import UserError


class PeriodError(UserError, ValueError):
    """A period the campaign does not have; the message is Chinese."""

    kind = "period"


@dataclass(frozen=True)
class Period:
    key: str  # "2021-09-16" (weekly), "2021-09" (monthly), "final"
    kind: str  # "weekly" | "monthly" | "final"
    number: int  # 1 for the first week / month
    deadline: dt.datetime  # aware, in the campaign's zone; after any holiday shift

    @property
    def label(self) -> str:
        if self.kind == "monthly":
            return f"{int(self.key[5:7])}月月报"
        if self.kind == "final":
            return "专项整治总结"
        # named by the day it is due: a week whose Thursday is a holiday is due (and named) later
        return f"第{self.number}周（{self.deadline.month}月{self.deadline.day}日）"

    @property
    def shifted(self) -> bool:
        """The deadline was moved off a day off (节假日顺延)."""
        return self.kind == "weekly" and self.deadline.date().isoformat() != self.key

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


def weekly_periods(cfg: Config) -> list[Period]:
    """Every weekly deadline from the first one to the campaign's end."""
    d = cfg.deadlines
    shift = d.weekly_shift if d.holiday_shift else "none"
    return list(_weekly(cfg.campaign.timezone, d.first_weekly, cfg.campaign.end, d.weekly_time,
                        shift, frozenset(d.holidays), frozenset(d.workdays)))


@lru_cache(maxsize=16)
def _weekly(tz: str, first: dt.date, end: dt.date, hhmm: str, shift: str, holidays: frozenset,
            workdays: frozenset) -> tuple[Period, ...]:
    """Keyed by every setting that shapes the calendar: intake asks once per file."""
    out = []
    day, n = first, 1
    while day <= end:
        due = _working_day(day, shift, holidays, workdays)
        out.append(Period(day.isoformat(), "weekly", n, _at(tz, due, hhmm)))
        day += dt.timedelta(days=7)
        n += 1
    return tuple(out)


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
    due = working_day(cfg, cfg.deadlines.final)
    return Period("final", "final", 1, _at(cfg.campaign.timezone, due, cfg.deadlines.final_time))


def all_periods(cfg: Config) -> list[Period]:
    return weekly_periods(cfg) + monthly_periods(cfg) + [final_period(cfg)]


def parse_period(cfg: Config, text: str, weekly_only: bool = False) -> Period:
    """'2021-09-23', '2021-9-23', '2021年9月23日' or '第2周' → that weekly period;
    '2021-09' or '2021年9月' → the monthly report; 'final' or '总结' → the final summary."""
    periods = weekly_periods(cfg)
    t = text.strip()
    m = re.fullmatch(r"第?(\d{1,2})周", t)
    month = re.fullmatch(r"(\d{4})[-年./](\d{1,2})月?", t)
    if not weekly_only and t.lower() in ("final", "总结", "专项整治总结"):
        return final_period(cfg)
    if not weekly_only and month:
        key = f"{month.group(1)}-{int(month.group(2)):02d}"
        for p in monthly_periods(cfg):
            if p.key == key:
                return p
    elif m:
        n = int(m.group(1))
        if 1 <= n <= len(periods):
            return periods[n - 1]
    elif re.fullmatch(r"\d{4}\s*[-年./]\s*\d{1,2}\s*[-月./]\s*\d{1,2}\s*日?", t):  # a whole date, nothing after it
        from .values import parse_date

        day = parse_date(t)
        for p in periods:
            if day and p.key == day.isoformat():
                return p
    first, last = periods[0].key, periods[-1].key
    raise PeriodError(f"“{text}”不是本次专项整治的报送周期。周报周期以截止日（周四）表示，"
                      f"从 {first} 到 {last}，如 --period {periods[min(1, len(periods) - 1)].key}"
                      + ("" if weekly_only else "；月报如 2021-09；总结为 final") + "。")


def period_for(cfg: Config, when: dt.datetime) -> Period | None:
    """The period whose deadline is the next one at or after `when` (grace included)."""
    grace = dt.timedelta(minutes=cfg.deadlines.grace_minutes)
    for p in weekly_periods(cfg):
        if when <= p.deadline + grace:
            return p
    return None


def period_of_date(cfg: Config, day: dt.date | None) -> Period | None:
    """The week a form's own date (表尾日期) falls in: after the previous deadline day, up to
    and including its own deadline day (its Thursday, or the day the deadline moved to)."""
    if day is None:
        return None
    previous = None
    for p in weekly_periods(cfg):
        last = max(dt.date.fromisoformat(p.key), p.deadline.date())
        if (previous is None or day > previous) and day <= last:
            return p if previous is not None or (last - day).days < 7 else None
        previous = last
    return None


def period_from_name(cfg: Config, name: str) -> Period | None:
    """A folder named after a deadline ('2021-09-23', '9月23日报表') names its period."""
    m = re.search(r"(\d{4})[-年.](\d{1,2})[-月.](\d{1,2})", name)
    if not m:
        return None
    try:
        key = dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None
    return next((p for p in weekly_periods(cfg) if p.key == key), None)


def now(cfg: Config) -> dt.datetime:
    return dt.datetime.now(tz=zone(cfg))


def last_due(cfg: Config, at: dt.datetime) -> Period:
    """The weekly period whose deadline (grace included) passed most recently (for cron at 12:05).
    Before the first deadline there is none: PeriodError says when the first one is."""
    grace = dt.timedelta(minutes=cfg.deadlines.grace_minutes)
    periods = weekly_periods(cfg)
    passed = [p for p in periods if p.deadline + grace <= at]
    if not passed:
        raise PeriodError(f"还没有已截止的报送周期：第一次截止是{periods[0].label}，{periods[0].deadline:%Y-%m-%d %H:%M}。"
                          "可用 --period 指定周期。")
    return passed[-1]


def next_due(cfg: Config, at: dt.datetime) -> Period:
    """The next weekly deadline still ahead (for reminders). After the last one there is none:
    PeriodError says so, and no reminder goes out for a date that does not exist."""
    periods = weekly_periods(cfg)
    ahead = next((p for p in periods if p.deadline > at), None)
    if ahead is None:
        last = periods[-1]
        raise PeriodError(f"本次专项整治的报送截止时间都已过去（最后一次：{last.label}，{last.deadline:%Y-%m-%d %H:%M}），"
                          "没有需要催报的周期。请停用催报的定时任务。")
    return ahead
