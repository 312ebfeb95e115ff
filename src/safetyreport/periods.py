"""Reporting periods and their deadlines, always in the campaign's time zone (Asia/Shanghai),
whatever the machine's own zone.

A weekly period is named by the date of its deadline Thursday: "2021-09-16" is the first week.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .config import Config


class PeriodError(ValueError):
    """A period the campaign does not have; the message is Chinese."""


@dataclass(frozen=True)
class Period:
    key: str  # "2021-09-16"
    kind: str  # "weekly"
    number: int  # 1 for the first week
    deadline: dt.datetime  # aware, in the campaign's zone

    @property
    def label(self) -> str:
        d = self.deadline
        return f"第{self.number}周（{d.month}月{d.day}日）"

    def to_dict(self) -> dict:
        return {"key": self.key, "kind": self.kind, "number": self.number, "label": self.label,
                "deadline": self.deadline.isoformat()}


def zone(cfg: Config) -> ZoneInfo:
    return ZoneInfo(cfg.campaign.timezone)


def _at(cfg: Config, day: dt.date, hhmm: str) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), tzinfo=zone(cfg))


def weekly_periods(cfg: Config) -> list[Period]:
    """Every weekly deadline from the first one to the campaign's end."""
    out = []
    day = cfg.deadlines.first_weekly
    n = 1
    while day <= cfg.campaign.end:
        out.append(Period(day.isoformat(), "weekly", n, _at(cfg, day, cfg.deadlines.weekly_time)))
        day += dt.timedelta(days=7)
        n += 1
    return out


def parse_period(cfg: Config, text: str) -> Period:
    """'2021-09-23', '2021-9-23', '2021年9月23日' or '第2周' → that weekly period."""
    periods = weekly_periods(cfg)
    t = text.strip()
    m = re.fullmatch(r"第?(\d{1,2})周", t)
    if m:
        n = int(m.group(1))
        if 1 <= n <= len(periods):
            return periods[n - 1]
    else:
        from .values import parse_date

        day = parse_date(t)
        for p in periods:
            if day and p.key == day.isoformat():
                return p
    first, last = periods[0].key, periods[-1].key
    raise PeriodError(f"“{text}”不是本次专项整治的报送周期。周报周期以截止日（周四）表示，"
                      f"从 {first} 到 {last}，如 --period {periods[min(1, len(periods) - 1)].key}。")


def period_for(cfg: Config, when: dt.datetime) -> Period | None:
    """The period whose deadline is the next one at or after `when` (grace included)."""
    grace = dt.timedelta(minutes=cfg.deadlines.grace_minutes)
    for p in weekly_periods(cfg):
        if when <= p.deadline + grace:
            return p
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
