"""The figures a briefing shows, gathered from merge results, filing status and the narratives.

Everything a template prints is prepared here as plain data (numbers already rounded, labels in
Chinese); the templates only lay it out. Nothing here reads files or renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .identity import pair_up
from .merge import PeriodResult
from .periods import Period
from .status import UNVERIFIED_LATE, CampaignRecord, StatusReport
from .values import fmt_num

# 隐患 have two sources on 附件3: each unit's own 排查 and the 联席会议成员部门监督检查 (member
# units find most of theirs so). Wherever a briefing speaks of 隐患, 重大隐患 or 整改率 it counts
# both, and says so, so no unit's 监督检查 hazards vanish from the district picture.
FOUND = ("found_total", "insp_found_total")
FIXED = ("fixed_total", "insp_fixed_total")
MAJOR = ("found_major", "insp_found_major")
MAJOR_FIXED = ("fixed_major", "insp_fixed_major")
BOTH_SOURCES = "隐患数和整改率含各单位排查发现和联席会议成员部门监督检查发现两个来源。"

# 总体情况 rows: (label, column keys of 附件3 summed, unit, a stock?)
OVERVIEW = [
    ("景区和非景区景点（街道统计）", ("sites",), "家", True),
    ("发现隐患合计", FOUND, "项", False), ("其中：排查发现", ("found_total",), "项", False),
    ("其中：监督检查发现", ("insp_found_total",), "项", False),
    ("已完成整改隐患合计", FIXED, "项", False),
    ("重大隐患合计", MAJOR, "项", False), ("重大隐患已整改销号", MAJOR_FIXED, "项", False),
    ("监督检查组", ("groups_total",), "个", False), ("检查组参加人员", ("inspectors",), "人次", False),
    ("检查单位和场所", ("sites_inspected",), "家", False), ("群众举报隐患", ("reports",), "项", False),
    ("举报核实查处", ("reports_verified",), "项", False), ("责令限期整改", ("ordered",), "家", False),
    ("停产停业整改", ("suspended",), "家", False), ("取缔关闭", ("closed",), "家", False),
    ("罚款企业", ("fined_count",), "家", False), ("罚款金额", ("fine_amount",), "万元", False),
]


def total(values: dict | None, keys: tuple[str, ...]) -> float | int | None:
    """The sum of these columns; None when none of them is known (a row not filed)."""
    nums = [values.get(k) for k in keys] if values else []
    nums = [v for v in nums if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not nums:
        return None
    out = sum(nums)
    return round(out, 6) if isinstance(out, float) else out


NARRATIVE = [("news", "工作动态"), ("practices", "经验做法"), ("problems", "存在问题"),
             ("coordination", "需协调解决事项"), ("next_steps", "下一步打算")]


def rate(done: Any, total: Any) -> float | None:
    """整改率 in percent, one decimal; None when nothing was found."""
    if not isinstance(done, (int, float)) or not isinstance(total, (int, float)) or total <= 0:
        return None
    return round(100 * done / total, 1)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def change(now: Any, before: Any) -> str:
    """'+3', '-2', '持平', or '—' when last week is unknown."""
    if not isinstance(now, (int, float)) or not isinstance(before, (int, float)):
        return "—"
    d = round(now - before, 4)
    return "持平" if d == 0 else f"{'+' if d > 0 else ''}{fmt_num(d)}"


@dataclass
class Briefing:
    kind: str  # weekly | monthly | summary
    title: str
    issue: str  # 第N期 / 10月 / 总结
    office: str
    date: str
    period_label: str
    overview: list[dict] = field(default_factory=list)
    facilities: list[dict] = field(default_factory=list)
    units: list[dict] = field(default_factory=list)
    open_hazards: list[dict] = field(default_factory=list)
    filing: dict = field(default_factory=dict)
    narratives: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    trend: list[dict] = field(default_factory=list)  # per week: label, found, fixed (cumulative)
    monthly: dict = field(default_factory=dict)
    enforcement: list[dict] = field(default_factory=list)  # summary: 附件5 name lists
    totals: dict = field(default_factory=dict)  # headline numbers, for tests and --json

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def _unit_rows(result: PeriodResult) -> list[dict]:
    rows = []
    for r in result.rows:
        cum = r.cumulative if r.status != "missing" else None
        found, fixed = total(cum, FOUND), total(cum, FIXED)
        rows.append({
            "name": r.submitter.name, "kind": r.submitter.kind_label, "status": r.status_text,
            "carried": r.status == "carried", "missing": r.status == "missing",
            "found": fmt_num(found) if cum else "—", "fixed": fmt_num(fixed) if cum else "—",
            "rate_value": rate(fixed, found), "rate": pct(rate(fixed, found)),
            "major": fmt_num(total(cum, MAJOR)) if cum else "—",
            "major_fixed": fmt_num(total(cum, MAJOR_FIXED)) if cum else "—",
            "weekly_found": fmt_num(total(r.weekly, FOUND)) if r.weekly else "未报",
            "weekly_fixed": fmt_num(total(r.weekly, FIXED)) if r.weekly else "未报",
        })
    return rows


def _open_hazards(result: PeriodResult, first_seen: dict[tuple[str, str, str], Period]) -> list[dict]:
    out = []
    for item in result.lists.get("a4", []):
        if item.values.get("status") == "closed" or item.duplicate_of:
            continue
        key = (item.submitter, str(item.values.get("place") or ""), str(item.values.get("hazard") or ""))
        since = first_seen.get(key, result.period)
        out.append({"place": item.values.get("place") or "", "unit": item.submitter,
                    "hazard": item.values.get("hazard") or "", "measures": item.values.get("measures") or "",
                    "since": since.label, "days": (result.period.deadline.date() - since.deadline.date()).days})
    return sorted(out, key=lambda h: (-h["days"], h["unit"]))


def first_seen(history: list[PeriodResult]) -> dict[tuple[str, str, str], Period]:
    """When each 附件4 hazard first appeared in its submitter's list (for days open), following
    it week by week as clerks retype it (开元寺 → 开元寺景区). Keyed by the latest texts."""
    def texts(item) -> tuple[str, str]:
        return str(item.values.get("place") or ""), str(item.values.get("hazard") or "")

    carried: dict[str, list[tuple[object, Period]]] = {}
    for res in history:
        mine: dict[str, list] = {}
        for item in res.lists.get("a4", []):
            mine.setdefault(item.submitter, []).append(item)
        for sub, items in mine.items():
            before = carried.get(sub, [])
            since = {id(item): period for item, period in before}
            pairs = pair_up(items, [item for item, _ in before], texts)
            carried[sub] = [(item, since[id(match)] if match is not None else res.period) for item, match in pairs]
    return {(item.submitter, *texts(item)): period for entries in carried.values() for item, period in entries}


def _narratives(result: PeriodResult) -> list[dict]:
    groups = []
    for key, label in NARRATIVE:
        entries = []
        for r in result.rows:
            c = r.forms.get("narrative")
            if c is None or c.period != result.period.key:
                continue
            cell = c.form.table.get("", {}).get(key)
            if cell is not None and cell.text:
                entries.append({"unit": r.submitter.name, "text": cell.text})
        groups.append({"title": label, "entries": entries})
    return groups


def _filing(status: StatusReport | None) -> dict:
    if status is None:
        return {}
    pick = lambda flag: [r.submitter.name for r in status.rows if flag in r.flags]  # noqa: E731
    return {"summary": status.summary, "late": pick("迟报"), "late_unverified": pick(UNVERIFIED_LATE),
            "wrong": pick("错报"), "missing": pick("漏报"),
            "no_narrative": [r.submitter.name for r in status.rows if "narrative" in r.optional_missing],
            "on_time_rate": pct(status.on_time_rate), "reporting_rate": pct(status.reporting_rate)}


def weekly(cfg_name: str, office: str, result: PeriodResult, previous: PeriodResult | None,
           status: StatusReport | None, history: list[PeriodResult]) -> Briefing:
    t, w = result.totals.cumulative, result.totals.weekly
    pw = previous.totals.weekly if previous else {}
    overview = [{"label": label, "unit": unit, "cumulative": fmt_num(total(t, keys)),
                 "weekly": "—" if stock else fmt_num(total(w, keys)),
                 "change": change(total(w, keys), total(pw, keys)) if previous and not stock else "—"}
                for label, keys, unit, stock in OVERVIEW]
    d = result.period.deadline
    b = Briefing(
        kind="weekly", title=f"{cfg_name}工作简报", issue=f"第{result.period.number}期", office=office,
        date=f"{d.year}年{d.month}月{d.day}日", period_label=result.period.label, overview=overview,
        facilities=[{"label": k, "existing": fmt_num(v["existing"]), "added": fmt_num(v["added"]),
                     "funds": fmt_num(v["funds"]),
                     "added_change": change(v["added"], previous.facilities.get(k, {}).get("added")) if previous else "—",
                     "funds_change": change(v["funds"], previous.facilities.get(k, {}).get("funds")) if previous else "—"}
                    for k, v in result.facilities.items()],
        units=_unit_rows(result), open_hazards=_open_hazards(result, first_seen(history)),
        filing=_filing(status), narratives=_narratives(result), trend=_trend(history),
    )
    b.totals = {"cumulative": t, "weekly": w, "weekly_submitters": result.totals.weekly_submitters,
                "fix_rate": rate(total(t, FIXED), total(t, FOUND)),
                "major_fix_rate": rate(total(t, MAJOR_FIXED), total(t, MAJOR)),
                "open_major": len(b.open_hazards), "headline": _headline(t, w)}
    b.totals["fix_rate_text"] = pct(b.totals["fix_rate"])
    b.totals["major_fix_rate_text"] = pct(b.totals["major_fix_rate"])
    b.notes.append(f"当周数为已报送的 {result.totals.weekly_submitters} 个单位之和；"
                   f"累计数为 {result.totals.cumulative_submitters} 个单位之和（含沿用上期）。{BOTH_SOURCES}")
    for key, units_sum in result.totals.units_stock.items():
        b.notes.append(f"景区和非景区景点总数为各街道统计之和；成员单位另报本级及直接监管对象 {fmt_num(units_sum)} 家，"
                       "不计入合计（附件3 注2“避免重复统计”）。")
    return b


def _headline(t: dict, w: dict) -> dict[str, str]:
    """The figures the opening paragraph names, formatted."""
    return {"found": fmt_num(total(t, FOUND)), "found_week": fmt_num(total(w, FOUND)),
            "found_own": fmt_num(total(t, ("found_total",))), "found_insp": fmt_num(total(t, ("insp_found_total",))),
            "fixed": fmt_num(total(t, FIXED)), "major": fmt_num(total(t, MAJOR)),
            "major_fixed": fmt_num(total(t, MAJOR_FIXED)), "sites": fmt_num(t.get("sites")),
            "ordered": fmt_num(t.get("ordered"))}


def _trend(history: list[PeriodResult]) -> list[dict]:
    return [{"label": f"{int(r.period.key[5:7])}/{int(r.period.key[8:10])}",
             "found": total(r.totals.cumulative, FOUND) or 0, "fixed": total(r.totals.cumulative, FIXED) or 0,
             "weekly_found": total(r.totals.weekly, FOUND) or 0,
             "weekly_fixed": total(r.totals.weekly, FIXED) or 0} for r in history]


def monthly(cfg_name: str, office: str, month: Period, weeks: list[PeriodResult],
            before: PeriodResult | None) -> Briefing:
    """A month's figures as the difference of month-end cumulatives, checked against the sum of
    the month's weekly figures (with the reason when they differ)."""
    end = weeks[-1]
    start = before.totals.cumulative if before else {}
    rows, notes = [], []
    for label, keys, unit, stock in OVERVIEW:
        if stock:  # a stock has no monthly flow
            continue
        diff = round((total(end.totals.cumulative, keys) or 0) - (total(start, keys) or 0), 4)
        summed = round(sum(total(w.totals.weekly, keys) or 0 for w in weeks), 4)
        rows.append({"label": label, "unit": unit, "cumulative": fmt_num(total(end.totals.cumulative, keys)),
                     "month": fmt_num(diff), "weeks_sum": fmt_num(summed), "agree": diff == summed})
        if diff != summed:
            notes.append(f"{label}：月末累计差额 {fmt_num(diff)} 与各周当周数之和 {fmt_num(summed)} 不一致。")
    carried = sorted({r.submitter.name for w in weeks for r in w.rows if r.status != "filed"})
    if notes:
        notes.append("原因：" + ("有单位某周未报送或沿用上期（" + "、".join(carried) + "），其当周数未计入各周之和，"
                                 "但其后报送的累计数包含这些周；" if carried else "") +
                     "或有单位更正了以前的累计数。请以月末累计差额为准。")
    d = month.deadline
    b = Briefing(kind="monthly", title=f"{cfg_name}{month.label}", issue=month.label, office=office,
                 date=f"{d.year}年{d.month}月{d.day}日", period_label=f"{weeks[0].period.label}至{end.period.label}",
                 units=_unit_rows(end), trend=_trend(weeks), notes=notes)
    b.monthly = {"rows": rows, "weeks": [w.period.label for w in weeks], "all_agree": not notes}
    b.totals = {"month": {r["label"]: r["month"] for r in rows}}
    return b


def summary(cfg_name: str, office: str, final: Period, history: list[PeriodResult],
            record: CampaignRecord | None) -> Briefing:
    end = history[-1]
    b = weekly(cfg_name, office, end, history[-2] if len(history) > 1 else None, None, history)
    b.kind, b.title, b.issue = "summary", f"{cfg_name}工作总结", "专项整治总结"
    d = final.deadline
    b.date = f"{d.year}年{d.month}月{d.day}日"
    b.period_label = f"{history[0].period.label}至{end.period.label}，共 {len(history)} 周"
    b.units = sorted(b.units, key=lambda u: (u["missing"], -(u["rate_value"] or -1), u["name"]))
    for i, u in enumerate(b.units, start=1):
        u["rank"] = i
    counts = end.list_counts
    b.totals.update({"major_closed_rate": rate(counts.get("a4", {}).get("closed"), counts.get("a4", {}).get("hazards")),
                     "lists": counts})
    if record:
        b.filing = {"record": [{"name": n, **{k: c[k] for k in ("按时", "迟报", "错报", "漏报")}}
                               for n, c in record.counts.items()], "periods": len(record.periods)}
    highlights = []
    for res in reversed(history):  # each unit's latest 经验做法
        for group in _narratives(res):
            if group["title"] == "经验做法":
                for e in group["entries"]:
                    if e["unit"] not in {h["unit"] for h in highlights}:
                        highlights.append(e)
    b.narratives = [{"title": "经验做法", "entries": highlights}]
    b.enforcement = _name_lists(end)
    return b


A5_LISTS = [("suspended", "停产停业整改"), ("closed", "取缔关闭"), ("fined", "罚款"),
            ("joint_punished", "联合惩戒"), ("interviewed", "约谈"), ("notified", "通报")]


def _name_lists(result: PeriodResult) -> list[dict]:
    """Each 附件5 list with its names and who reported them; a name confirmed the same for two
    submitters (safetyreport decide … same) is listed once, with both."""
    same = {d.key[1] for d in result.duplicates if d.verdict == "same" and d.form == "a5"}
    from .merge import norm_name

    out = []
    for key, label in A5_LISTS:
        names: dict[str, dict] = {}
        for item in result.lists.get("a5", []):
            for name in item.values.get(key) or []:
                norm = norm_name(name)
                slot = names.setdefault(norm if norm in same else f"{item.submitter}|{norm}",
                                        {"name": name, "units": []})
                if item.submitter not in slot["units"]:
                    slot["units"].append(item.submitter)
        out.append({"label": label, "names": [{"name": v["name"], "units": "、".join(v["units"])}
                                              for v in names.values()]})
    return out


