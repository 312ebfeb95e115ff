"""The campaign at a glance: one self-contained HTML page (报送看板) from status and merge results.

What a clerk, the 综合协调组 and the leaders ask each week, on one page that opens by double-click
with no server and no network: who filed what for which period, on time or not (the same verdicts
`status` gives); how the filing rates move; the district's headline figures (the same sums `merge`
gives) and their trend; the 重大隐患 still open, longest first (the list the 简报 shows).

The figures and the page's wording are the campaign's data: `templates/board.toml` names which
columns of the consolidated table make each headline figure, `templates/board.html.j2` lays the
page out. Everything here is plain data; the template only draws it. Unit text reaches the page
through jinja2's HTML escaping after `values.neutral`, so a filing can never become markup.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..config import ConfigError, pydantic_messages
from ..ledger.merge import PeriodResult
from ..ledger.status import STATUS_LABELS, StatusReport, SubmitterStatus, human_delta
from ..ledger.store import receipt_source_label
from ..periods import Period
from ..values import fmt_num, neutral
from .briefing import first_reported, open_hazards, pct, rate

BOARD_SETTINGS = "board.toml"
BOARD_TEMPLATE = "board.html.j2"

# a cell's state, most telling first: the colour follows the first state a cell has
STATES = ("wrong", "missing", "late", "late_unverified", "filed_early", "not_due", "on_time")


# --- what the campaign says the board shows (templates/board.toml) -------------------------------------


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Figure(_Settings):
    """A headline figure: the sum of some columns of one row of the consolidated table."""

    key: str
    label: str
    columns: list[str]
    row: str = "cumulative"  # "cumulative" (累计) or "weekly" (当期)
    unit: str = ""
    trend: bool = False  # drawn in the trend chart


class Rate(_Settings):
    """A headline rate: one figure over another, in per cent."""

    key: str
    label: str
    numerator: str
    denominator: str


class BoardSettings(_Settings):
    file: str = "报送看板.html"
    title: str = "报送看板"
    figures: list[Figure] = []
    rates: list[Rate] = []
    figures_note: str = ""
    open_label: str = "未销号重大隐患"  # the open list's count among the figures and in the trend

    @model_validator(mode="after")
    def _rates_name_figures(self) -> BoardSettings:
        keys = {f.key for f in self.figures}
        for r in self.rates:
            for k in (r.numerator, r.denominator):
                if k not in keys:
                    known = "、".join(sorted(keys))
                    raise ValueError(f"比率“{r.label}”用到的数字 {k} 不在 figures 中（可选：{known}）")
        return self


def load_settings(folder: Path) -> BoardSettings:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    path = folder / BOARD_SETTINGS
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        return BoardSettings.model_validate(data)
    except FileNotFoundError:
        return BoardSettings()
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"看板设置 {path} 格式有误：{e}") from None
    except ValidationError as e:
        raise ConfigError(f"看板设置 {path} 有误：\n" + "\n".join(pydantic_messages(e))) from None


# --- the page's data ---------------------------------------------------------------------------------------


@dataclass
class Cell:
    """One unit in one period: its verdict as `status` gives it, and what lies behind it."""

    states: list[str]  # codes from STATES; the first decides the colour
    label: str  # what the cell says: 按时, 迟报（2 小时）, 错报, 漏报, 未到期 …
    status: str  # `status --json`'s status text for this unit and period ("" before the deadline)
    detail: str  # the files, receipt times, missing forms and errors, for the hover text

    @property
    def state(self) -> str:
        return self.states[0]


@dataclass
class UnitRow:
    name: str
    kind: str  # 街道 / 成员单位 …
    cells: list[Cell]  # one per column


@dataclass
class Column:
    period: Period
    due: bool  # the deadline (grace included) has passed
    reporting_rate: float | None
    on_time_rate: float | None
    headline: str  # status's one-sentence summary


@dataclass
class Board:
    title: str
    campaign: str
    office: str
    made_at: dt.datetime
    speaks_for: Period | None  # the latest period whose deadline has passed
    open_period: Period | None  # the period being filed now, if any
    columns: list[Column]
    units: list[UnitRow]
    counts: list[dict[str, Any]]  # per column: state → how many units
    figures: list[dict[str, Any]]
    figures_note: str
    trend: dict[str, Any] | None
    rates_chart: dict[str, Any] | None
    open_chart: dict[str, Any] | None
    open_hazards: list[dict[str, Any]]
    legend: list[dict[str, str]] = field(default_factory=list)
    file: str = ""
    majors: bool = True  # the campaign's forms have 重大隐患 (附件4): their section is shown
    overdue: list[dict[str, str]] | None = None  # 逾期未整改, when a form has a deadline ([overdue])

    @property
    def states_seen(self) -> list[str]:
        """The states some cell has, in the legend's order (the counts list only these)."""
        return [s for s in LEGEND if any(n[s] for n in self.counts)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title, "made_at": self.made_at.isoformat(),
            "speaks_for": self.speaks_for.to_dict() if self.speaks_for else None,
            "open_period": self.open_period.to_dict() if self.open_period else None,
            "periods": [{**c.period.to_dict(), "due": c.due, "reporting_rate": c.reporting_rate,
                         "on_time_rate": c.on_time_rate} for c in self.columns],
            "submitters": [{"name": u.name, "kind": u.kind,
                            "cells": [{"period": col.period.key, "states": c.states, "label": c.label,
                                       "status": c.status} for col, c in zip(self.columns, u.cells, strict=True)]}
                           for u in self.units],
            "figures": [{k: f[k] for k in ("key", "label", "value", "unit", "previous")} for f in self.figures],
            "open_hazards": len(self.open_hazards),
        }


LEGEND = {  # state → (word, what it means); the page shows both, never colour alone
    "on_time": ("按时", "截止前收到全部应报报表，且无错误"),
    "late": ("迟报", "截止后才收到，括号内为晚了多久"),
    "late_unverified": ("迟报（待核实）", "只凭文件修改时间判定为迟报，需核实收到时间"),
    "wrong": ("错报", "收到的报表有错误"),
    "missing": ("漏报", "截止时仍未收到应报的报表"),
    "filed_early": ("已报", "尚未截止，已收到报表"),
    "not_due": ("未到期", "尚未截止，还没有收到报表"),
}


def _when(t: dt.datetime) -> str:
    return f"{t.month}月{t.day}日 {t:%H:%M}"


def _detail(r: SubmitterStatus, labels: dict[str, str]) -> str:
    parts = [] if r.filings else ["没有收到报表"]
    parts += [f"{neutral(f.original_name)}（{_when(f.received_at)} 收到，依据{receipt_source_label(f.received_source)}"
             + ("；已撤回" if f.withdrawn else "") + "）" for f in r.filings]
    if r.missing_forms:
        parts.append("缺" + "、".join(labels.get(x, x) for x in r.missing_forms))
    parts += [f"错误：{neutral(w)}" for w in r.wrong]
    return "；".join(parts)


def _cell(r: SubmitterStatus, report: StatusReport, due: bool) -> Cell:
    detail = _detail(r, report.form_labels)
    if not due:  # before the deadline nothing is missing or late yet
        if r.nothing:
            return Cell(["not_due"], "未到期", "", detail)
        states = (["wrong"] if r.wrong_filings else []) + ["filed_early"]
        return Cell(states, "、".join(["错报"] * bool(r.wrong_filings) + ["已报"]), "", detail)
    states = [c for c in r.codes if c != "on_time"]
    label = [f"迟报（{human_delta(r.late_by)}）" if c == "late" and r.late_by else STATUS_LABELS[c] for c in states]
    states = sorted(states, key=STATES.index) or ["on_time"]
    return Cell(states, "、".join(label) or "按时", r.text, detail)


def _figure_values(result: PeriodResult, f: Figure) -> float | int | None:
    values = result.totals.cumulative if f.row == "cumulative" else result.totals.weekly
    got = [values.get(c) for c in f.columns]
    nums = [v for v in got if isinstance(v, (int, float))]
    if not nums:
        return None
    total = sum(nums)
    return round(total, 4) if isinstance(total, float) else total


def _figures(settings: BoardSettings, history: list[PeriodResult], open_counts: list[int]) -> list[dict[str, Any]]:
    if not history:
        return []
    now, before = history[-1], (history[-2] if len(history) > 1 else None)
    out: list[dict[str, Any]] = []
    values: dict[str, Any] = {}
    for f in settings.figures:
        v, p = _figure_values(now, f), (_figure_values(before, f) if before else None)
        values[f.key] = (v, p)
        out.append({"key": f.key, "label": f.label, "value": v, "text": fmt_num(v), "unit": f.unit,
                    "previous": p, "change": _change(v, p)})
    for r in settings.rates:
        (n, pn), (d, pd) = values[r.numerator], values[r.denominator]
        v, p = rate(n, d), (rate(pn, pd) if before else None)
        out.append({"key": r.key, "label": r.label, "value": v, "text": pct(v), "unit": "",
                    "previous": p, "change": _change(v, p, "个百分点")})
    p_open = open_counts[-2] if len(open_counts) > 1 else None
    out.append({"key": "open_major", "label": settings.open_label, "value": open_counts[-1],
                "text": str(open_counts[-1]), "unit": "项", "previous": p_open,
                "change": _change(open_counts[-1], p_open)})
    return out


def headline_rows(result: PeriodResult, folder: Path | None = None) -> tuple[list[tuple[str, str, str]], str]:
    """The board's cumulative figures as (label, 累计, 当周) rows for a console table, and their note:
    one vocabulary for the console, the board and the briefing."""
    from .report import template_dir

    settings = load_settings(folder or template_dir())
    rows = []
    if not _built_in(result):  # another campaign: all its records, and those of this period's filings
        filed = {r.submitter.name for r in result.rows if r.status == "filed"}
        for form_id in result.list_labels:
            items = result.lists.get(form_id, [])
            now = sum(1 for i in items if i.submitter in filed)
            rows.append((f"{result.list_labels.get(form_id, form_id)}（条）", str(len(items)), str(now)))
        return rows, ""
    for f in settings.figures:
        if f.row != "cumulative":
            continue
        week = _figure_values(result, f.model_copy(update={"row": "weekly"}))
        label = f.label.removeprefix("累计") + (f"（{f.unit}）" if f.unit and f.unit not in ("项", "家") else "")
        rows.append((label, fmt_num(_figure_values(result, f)), fmt_num(week)))
    return rows, settings.figures_note


def _change(now: Any, before: Any, unit: str = "") -> str:
    if not isinstance(now, (int, float)) or not isinstance(before, (int, float)):
        return ""
    d = round(now - before, 4)
    if d == 0:
        return "较上期持平"
    return f"较上期{'增加' if d > 0 else '减少'} {fmt_num(abs(d))}{unit}"


# --- charts as SVG geometry (the template draws them) ---------------------------------------------------


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    step = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // step) + 1) * step)


def bar_chart(categories: list[str], series: list[tuple[str, str, list[float | None]]],
              unit: str = "", top: float | None = None, width: int = 560, height: int = 220) -> dict[str, Any]:
    """Grouped bars: one group per category, one bar per series (label, css class, values)."""
    left, right, top_pad, bottom = 44, 8, 12, 34
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    highest = top or _nice_max(max([v for _, _, vals in series for v in vals if v is not None] or [0]))
    group = plot_w / max(len(categories), 1)
    bar = min(28.0, group * 0.8 / max(len(series), 1))
    bars, labels = [], []
    for i, cat in enumerate(categories):
        x0 = left + i * group + (group - bar * len(series)) / 2
        labels.append({"x": round(left + (i + 0.5) * group, 1), "text": cat})
        for j, (name, cls, vals) in enumerate(series):
            v = vals[i]
            h = 0.0 if v is None else plot_h * min(v, highest) / highest
            bars.append({"x": round(x0 + j * bar, 1), "y": round(top_pad + plot_h - h, 1), "w": round(bar - 2, 1),
                         "h": round(h, 1), "cls": cls,
                         "title": f"{cat} {name}：{'未报' if v is None else fmt_num(v)}{unit}"})
    ticks = [{"y": round(top_pad + plot_h - plot_h * k / 4, 1), "text": fmt_num(round(highest * k / 4, 2))}
             for k in range(5)]
    return {"width": width, "height": height, "left": left, "right": width - right,
            "bottom": top_pad + plot_h, "bars": bars, "labels": labels, "ticks": ticks,
            "label_y": height - 12, "legend": [{"label": name, "cls": cls} for name, cls, _ in series],
            "table": {"head": [name for name, _, _ in series],
                      "rows": [{"label": cat, "values": [("—" if s[2][i] is None else fmt_num(s[2][i]) + unit)
                                                          for s in series]} for i, cat in enumerate(categories)]}}


def _short(p: Period) -> str:
    """A period's name on a chart's axis, by its rhythm: 第3周, 第3期, 9月, Q3."""
    if p.kind == "month":
        return f"{int(p.key[5:7])}月"
    if p.kind == "quarter":
        return f"Q{p.key[-1]}"
    if p.kind in ("half_month", "half_year", "year"):
        return p.label[5:] if p.kind != "year" else p.label  # 9月上半月, 上半年; 2021年
    return f"第{p.number}{'周' if p.kind == 'weekly' else '期'}"


def _built_in(result: PeriodResult) -> bool:
    """The board's figures (board.toml) are the built-in campaign's: shown only when the campaign's
    forms take the roles they are computed from."""
    from .briefing import roles_missing

    return not roles_missing(result.roles)


def _list_figures(history: list[PeriodResult]) -> list[dict[str, Any]]:
    """A campaign of lists: its records now and the period before, and those past their deadline."""
    now, before = history[-1], (history[-2] if len(history) > 1 else None)
    out: list[dict[str, Any]] = []
    for form_id, label in now.list_labels.items():
        v = len(now.lists.get(form_id, []))
        p = len(before.lists.get(form_id, [])) if before else None
        out.append({"key": form_id, "label": f"{label}（全部记录）", "value": v, "text": str(v), "unit": "条",
                    "previous": p, "change": _change(v, p)})
    late = [sum(f.code == "overdue" for f in r.findings) for r in (before, now) if r is not None]
    out.append({"key": "overdue", "label": "逾期未整改", "value": late[-1], "text": str(late[-1]), "unit": "条",
                "previous": late[0] if len(late) > 1 else None,
                "change": _change(late[-1], late[0]) if len(late) > 1 else ""})
    return out


# --- assembling the page ---------------------------------------------------------------------------------


def build(settings: BoardSettings, campaign: str, office: str, made_at: dt.datetime,
          statuses: list[StatusReport], due: list[bool], history: list[PeriodResult],
          deadlines: bool = False) -> Board:
    """The board from each shown period's status (in order; `due` says whose deadline has passed)
    and the merge results of the periods that are due (in order). `deadlines`: some form of the
    campaign has a deadline column ([overdue]): what is past it is listed."""
    columns = [Column(s.period, d, s.reporting_rate if d else None, s.on_time_rate if d else None,
                      s.headline() if d else "") for s, d in zip(statuses, due, strict=True)]
    units = [UnitRow(row.submitter.name, row.submitter.kind_label,
                     [_cell(s.rows[i], s, d) for s, d in zip(statuses, due, strict=True)])
             for i, row in enumerate(statuses[0].rows)] if statuses else []
    counts = [{st: sum(u.cells[k].state == st for u in units) for st in STATES} for k in range(len(columns))]
    lists_only = bool(history) and not _built_in(history[-1])  # another campaign: its lists, no 附件3/4 figures
    reported = first_reported(history) if not lists_only else {}
    opens = [open_hazards(res, reported, res.period.deadline.date()) for res in history] if not lists_only else []
    due_cols = [c for c in columns if c.due]
    rates = bar_chart([_short(c.period) for c in due_cols],
                      [("报送率", "s-rate", [c.reporting_rate for c in due_cols]),
                       ("按时报送率", "s-ontime", [c.on_time_rate for c in due_cols])],
                      "%", top=100) if due_cols else None
    trend_figs = [f for f in settings.figures if f.trend and not lists_only]
    trend = bar_chart([_short(r.period) for r in history],
                      [(f.label, f"s-{n}", [_figure_values(r, f) for r in history]) for n, f in enumerate(trend_figs)]
                      ) if history and trend_figs else None
    open_series: list[tuple[str, str, list[float | None]]] = [(settings.open_label, "s-2", [len(o) for o in opens])]
    open_chart = bar_chart([_short(r.period) for r in history], open_series, width=300) if opens else None
    speaks = next((c.period for c in reversed(columns) if c.due), None)
    open_period = next((c.period for c in columns if not c.due), None)
    return Board(settings.title, campaign, office, made_at, speaks, open_period, columns, units, counts,
                 _list_figures(history) if lists_only else _figures(settings, history, [len(o) for o in opens]),
                 "" if lists_only else settings.figures_note, trend, rates, open_chart,
                 opens[-1] if opens else [],
                 [{"state": k, "word": w, "meaning": m} for k, (w, m) in LEGEND.items()], settings.file,
                 not lists_only, _overdue(history[-1]) if deadlines and history else None)


def _overdue(result: PeriodResult) -> list[dict[str, str]]:
    """逾期未整改 as merge found them at the latest due period, with the unit and where it is written."""
    units = {c.filing.original_path: r.submitter.name for r in result.rows for c in r.forms.values()}
    return [{"unit": units.get(f.path, ""), "message": f.message, "where": f"{Path(f.path).name} {f.sheet}!{f.cell}"}
            for f in result.findings if f.code == "overdue"]


def render(board: Board, folder: Path) -> str:
    """The page, from the campaign's template; every value HTML-escaped, unit text neutralised."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    from markupsafe import Markup

    def finalize(v: object) -> object:  # the template's own markup (macros) passes; text is neutralised
        if v is None:
            return ""
        return neutral(v) if isinstance(v, str) and not isinstance(v, Markup) else v

    env = Environment(loader=FileSystemLoader(str(folder)), undefined=StrictUndefined, autoescape=True,
                      trim_blocks=True, lstrip_blocks=True, finalize=finalize)
    env.filters["when"] = lambda t: f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"
    return env.get_template(BOARD_TEMPLATE).render(b=board)
