"""The figures a briefing shows, gathered from merge results, filing status and the narratives.

Everything a template prints is prepared here as plain data (numbers already rounded, labels in
Chinese); the templates only lay it out. Nothing here reads files or renders.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from ..checking.identity import norm_name, pair_up
from ..ledger.merge import ListItem, PeriodResult
from ..ledger.status import CampaignRecord, StatusReport, human_delta
from ..periods import Period
from ..values import cn_date, fmt_num

# 隐患 have two sources on 附件3: each unit's own 排查 and the 联席会议成员部门监督检查 (member
# units find most of theirs so). Wherever a briefing speaks of 隐患, 重大隐患 or 整改率 it counts
# both, and says so, so no unit's 监督检查 hazards vanish from the district picture.
FOUND = ("found_total", "insp_found_total")
FIXED = ("fixed_total", "insp_fixed_total")
MAJOR = ("found_major", "insp_found_major")
MAJOR_FIXED = ("fixed_major", "insp_fixed_major")

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
    ("其他行政处罚", ("other_penalties",), "家", False),
]
NARRATIVE = [("news", "工作动态"), ("practices", "经验做法"), ("problems", "存在问题"),
             ("coordination", "需协调解决事项"), ("next_steps", "下一步打算")]
A5_LISTS = [("suspended", "停产停业整改"), ("closed", "取缔关闭"), ("fined", "罚款"),
            ("joint_punished", "联合惩戒"), ("interviewed", "约谈"), ("notified", "通报")]
# few, and officials act on them: named in the weekly (up to three, else in the annex); the new ones
# of the week always in the body
NAMED_IN_WEEKLY = ("suspended", "closed", "joint_punished", "interviewed", "notified")
ENFORCEMENT_KEYS = ("ordered", "suspended", "closed", "fined_count", "fine_amount", "other_penalties")


# the roles of the forms the figures above come from (Schema.role); the templates tell them
ROLES_USED = ("totals", "hazards", "enforcement", "facilities")


def roles_missing(roles: dict[str, str]) -> list[str]:
    """The roles the built-in briefings are computed from that none of a campaign's forms takes
    (none: they can be made)."""
    return [r for r in ROLES_USED if r not in roles]


def total(values: dict | None, keys: tuple[str, ...]) -> float | int | None:
    """The sum of these columns; None when none of them is known (a row not filed)."""
    got = [values.get(k) for k in keys] if values else []
    nums: list[float | int] = [v for v in got if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not nums:
        return None
    out = sum(nums)
    return round(out, 6) if isinstance(out, float) else out


def rate(done: Any, whole: Any) -> float | None:
    """整改率 in percent, one decimal; None when nothing was found."""
    if not isinstance(done, (int, float)) or not isinstance(whole, (int, float)) or whole <= 0:
        return None
    return round(100 * done / whole, 1)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def delta(now: Any, before: Any) -> float | None:
    if not isinstance(now, (int, float)) or not isinstance(before, (int, float)):
        return None
    return round(now - before, 4)


def change(now: Any, before: Any) -> str:
    """'+3', '-2', '持平', or '—' when last week is unknown."""
    if not isinstance(now, (int, float)) or not isinstance(before, (int, float)):
        return "—"
    d = round(now - before, 4)
    return "持平" if d == 0 else f"{'+' if d > 0 else ''}{fmt_num(d)}"


@dataclass
class Briefing:
    kind: str  # weekly | monthly | summary
    title: str  # the campaign's name and the document's kind, for file names and metadata
    issue: str  # 第N期 / 10月 / 总结
    office: str  # 编发单位
    date: str
    period_label: str
    campaign: str = ""  # printed above the masthead
    masthead: str = "工作简报"
    head: str = "masthead"  # masthead: the red 简报 masthead; title: a document's title, signed (落款) at its end
    template: str = ""  # the template that tells it; "{kind}.md.j2" when empty
    lists: list[dict] = field(default_factory=list)  # another campaign's lists: records, new, closed, overdue
    tables: list[dict] = field(default_factory=list)  # another campaign's table and fields forms: figures, units
    highlights: list[str] = field(default_factory=list)  # 本期要点, computed from the figures
    overview: list[dict] = field(default_factory=list)
    facilities: list[dict] = field(default_factory=list)
    units: list[dict] = field(default_factory=list)
    units_total: dict = field(default_factory=dict)  # the 合计 row of the unit table
    open_hazards: list[dict] = field(default_factory=list)
    closed: list[dict] = field(default_factory=list)  # 重大隐患 closed in this period
    phase: dict = field(default_factory=dict)  # the configured campaign phase the period falls in
    advice: dict = field(default_factory=dict)  # whom the office's 建议 concern, from the figures
    duplicates: list[dict] = field(default_factory=list)  # suspected, not yet decided
    enforcement: list[dict] = field(default_factory=list)  # 附件5 lists: counts and names
    filing: dict = field(default_factory=dict)
    narratives: list[dict] = field(default_factory=list)  # condensed, capped
    annex: list[dict] = field(default_factory=list)  # what the cap left out, unit by unit
    notes: list[str] = field(default_factory=list)
    trend: list[dict] = field(default_factory=list)  # per week: label, found, fixed (cumulative)
    monthly: dict = field(default_factory=dict)
    imprint: dict = field(default_factory=dict)  # 版记: 报 / 送 / 发, 印发
    totals: dict = field(default_factory=dict)  # headline numbers, for tests and --json
    summary: dict = field(default_factory=dict)  # the 总结's phases, cases, problems, the clerk's paragraphs

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Setting:
    """Who issues the briefing and who gets it (config [briefing]), and the campaign's name."""

    campaign: str
    issuer: str
    report_to: str = ""
    copy_to: str = ""
    send_to: str = ""
    printed_by: str = ""
    narrative_groups: int = 1

    def imprint(self, day: dt.date) -> dict:
        return {"report_to": self.report_to, "copy_to": self.copy_to, "send_to": self.send_to,
                "printed_by": self.printed_by or self.issuer, "printed_on": f"{cn_date(day)}印发"}


# --- per unit ------------------------------------------------------------------------------------


def _unit_rows(result: PeriodResult, previous: PeriodResult | None) -> tuple[list[dict], dict]:
    before = {r.submitter.name: r for r in previous.rows} if previous else {}
    rows = []
    for r in result.rows:
        cum = r.cumulative if r.status != "missing" else None
        found, fixed = total(cum, FOUND), total(cum, FIXED)
        last = before.get(r.submitter.name)
        weekly_found = total(r.weekly, FOUND) if r.weekly else None
        rows.append({
            "name": r.submitter.name, "kind": r.submitter.kind_label, "status": r.status_text,
            # the table names a unit's status only when it did not file this week
            "label": r.submitter.name + ("" if r.status == "filed" else f"（{r.status_text}）"),
            "carried": r.status == "carried", "missing": r.status == "missing",
            "found": fmt_num(found) if cum else "—", "fixed": fmt_num(fixed) if cum else "—",
            "found_value": found, "fixed_value": fixed,
            "rate_value": rate(fixed, found), "rate": pct(rate(fixed, found)),
            "major": fmt_num(total(cum, MAJOR)) if cum else "—",
            "major_fixed": fmt_num(total(cum, MAJOR_FIXED)) if cum else "—",
            "weekly_found": fmt_num(weekly_found) if r.weekly else "未报",
            "weekly_fixed": fmt_num(total(r.weekly, FIXED)) if r.weekly else "未报",
            "weekly_found_value": weekly_found,
            # 较上周: this week's new hazards against last week's
            "change": change(weekly_found, total(last.weekly, FOUND) if last and last.weekly else None),
            "change_value": delta(weekly_found, total(last.weekly, FOUND) if last and last.weekly else None),
        })
    t, w = result.totals.cumulative, result.totals.weekly
    totals = {"name": "合计", "status": f"已报 {sum(r['status'] == '已报送' for r in rows)} 个",
              "found": fmt_num(total(t, FOUND)), "fixed": fmt_num(total(t, FIXED)),
              "rate": pct(rate(total(t, FIXED), total(t, FOUND))), "major": fmt_num(total(t, MAJOR)),
              "major_fixed": fmt_num(total(t, MAJOR_FIXED)), "weekly_found": fmt_num(total(w, FOUND)),
              "change": change(total(w, FOUND), total(previous.totals.weekly, FOUND)) if previous else "—"}
    return rows, totals


# --- major hazards ---------------------------------------------------------------------------------


def record_texts(item: ListItem, keys: tuple[str, str]) -> tuple[str, str]:
    """A record's two telling columns as written (its place and description)."""
    return str(item.values.get(keys[0]) or ""), str(item.values.get(keys[1]) or "")


def first_reported(history: list[PeriodResult], form: str | None = None,
                   keys: tuple[str, str] = ("place", "hazard")) -> dict[tuple[str, str, str], dt.date]:
    """When each record of a list (the hazards list unless `form` names another) was first reported
    (the day the filing listing it first arrived), following it period by period as clerks retype
    it (开元寺 → 开元寺景区) by its two `keys` columns. Keyed by (unit, the latest texts)."""
    def texts(item) -> tuple[str, str]:
        return record_texts(item, keys)

    carried: dict[str, list[tuple[ListItem, dt.date]]] = {}
    for res in history:
        form_id = form or res.roles.get("hazards", "")
        arrived = {r.submitter.name: r.forms[form_id].filing.received_at.date()
                   for r in res.rows if form_id in r.forms}
        mine: dict[str, list] = {}
        for item in res.lists.get(form_id, []):
            mine.setdefault(item.submitter, []).append(item)
        for sub, items in mine.items():
            before = carried.get(sub, [])
            since = {id(item): day for item, day in before}
            pairs = pair_up(items, [item for item, _ in before], texts)
            day = arrived.get(sub, res.period.deadline.date())
            carried[sub] = [(item, since[id(match)] if match is not None else day) for item, match in pairs]
    return {(item.submitter, *texts(item)): day for entries in carried.values() for item, day in entries}


def open_hazards(result: PeriodResult, reported: dict, on: dt.date) -> list[dict]:
    """Hazards still open, longest outstanding first, with any suspected duplicate named."""
    pending: dict[str, list[tuple[str, str]]] = {}
    for d in result.duplicates:
        if d.form == result.roles.get("hazards") and d.verdict is None:
            pending.setdefault(d.first, []).append((d.second, d.id))
            pending.setdefault(d.second, []).append((d.first, d.id))
    out = []
    for item in result.role_list("hazards"):
        if item.values.get("status") == "closed" or item.duplicate_of:
            continue
        place, hazard = str(item.values.get("place") or ""), str(item.values.get("hazard") or "")
        since = reported.get((item.submitter, place, hazard), on)
        same_place = [(other, dup) for other, dup in pending.get(item.submitter, [])
                      if any(norm_name(place) and x.submitter == other and norm_name(x.values.get("place", "")) ==
                             norm_name(place) for x in result.role_list("hazards"))]
        note = "；".join(f"与{other}所报疑似重复，待核实" for other, _ in same_place)  # no internal id in a document
        out.append({"place": place, "unit": item.submitter, "hazard": hazard,
                    "measures": item.values.get("measures") or "", "since": f"{since.month}月{since.day}日",
                    "days": (on - since).days, "note": note})
    return sorted(out, key=lambda h: (-h["days"], h["unit"], h["place"]))


def earlier_records(result: PeriodResult, previous: PeriodResult | None, form_id: str,
                    keys: tuple[str, str]) -> dict[int, ListItem | None]:
    """Each record of this period's list (by id) → the same record in the unit's list of the
    previous period, or None when it is new there. Matched one to one by the two columns `keys`
    (a place and a description) as clerks retype them (开元寺 → 开元寺景区)."""
    def texts(item: ListItem) -> tuple[str, str]:
        return str(item.values.get(keys[0]) or ""), str(item.values.get(keys[1]) or "")

    before: dict[str, list[ListItem]] = {}
    for item in previous.lists.get(form_id, []) if previous else []:
        before.setdefault(item.submitter, []).append(item)
    now: dict[str, list[ListItem]] = {}
    for item in result.lists.get(form_id, []):
        now.setdefault(item.submitter, []).append(item)
    return {id(item): match for sub, items in now.items() for item, match in pair_up(items, before.get(sub, []), texts)}


def closed_now(result: PeriodResult, previous: PeriodResult | None, form_id: str, keys: tuple[str, str],
               status: str, closed: set[str]) -> list[ListItem]:
    """The records a unit reports closed this period that were open (or not yet listed) in its
    previous filing; a confirmed duplicate is left to the record it duplicates."""
    earlier = earlier_records(result, previous, form_id, keys)
    out = []
    for item in result.lists.get(form_id, []):
        match = earlier.get(id(item))
        if item.values.get(status) in closed and not item.duplicate_of and (
                match is None or match.values.get(status) not in closed):
            out.append(item)
    return out


def closed_since(result: PeriodResult, previous: PeriodResult | None) -> list[dict]:
    """The 重大隐患 closed this period (附件4 整改完成 that were 正在整改, or not yet listed, in the
    unit's previous filing), with what was done."""
    items = closed_now(result, previous, result.roles.get("hazards", ""), ("place", "hazard"), "status", {"closed"})
    out = [{"place": str(i.values.get("place") or ""), "unit": i.submitter, "hazard": str(i.values.get("hazard") or ""),
            "measures": str(i.values.get("measures") or "").rstrip("，。；,. ")} for i in items]
    return sorted(out, key=lambda h: (h["unit"], h["place"]))


# --- enforcement (附件5) -------------------------------------------------------------------------------


def _name_lists(result: PeriodResult, previous: PeriodResult | None = None) -> list[dict]:
    """Each 附件5 list with its count (as 附件3 and merge count it) and its names, with who
    reported each; a name the clerk confirmed the same for two submitters is listed once. `new`:
    the names a unit lists that its filing of the previous period did not."""
    form_id = result.roles.get("enforcement")
    same = {d.key[1] for d in result.duplicates if d.verdict == "same" and d.form == form_id}
    known: dict[str, set[tuple[str, str]]] = {}
    for item in previous.role_list("enforcement") if previous else []:
        for key, _ in A5_LISTS:
            known.setdefault(key, set()).update((item.submitter, norm_name(n)) for n in item.values.get(key) or [])
    counts = result.role_counts("enforcement")
    out = []
    for key, label in A5_LISTS:
        names: dict[str, dict] = {}
        for item in result.role_list("enforcement"):
            for n, name in enumerate(item.values.get(key) or []):
                norm = norm_name(name)
                slot = names.setdefault(norm if norm in same else f"{item.submitter}|{norm}|{n}",
                                        {"name": name, "units": []})
                if item.submitter not in slot["units"]:
                    slot["units"].append(item.submitter)
        listed = [{"name": v["name"], "units": "、".join(v["units"]), "seen": any(
            (u, norm_name(v["name"])) in known.get(key, set()) for u in v["units"])} for v in names.values()]
        out.append({"key": key, "label": label, "count": counts.get(key, len(names)),
                    "new": [{"name": x["name"], "units": x["units"]} for x in listed if not x["seen"]],
                    "names": [{"name": x["name"], "units": x["units"]} for x in listed],
                    "named": key in NAMED_IN_WEEKLY,
                    "in_annex": key in NAMED_IN_WEEKLY and len(names) > 3})  # the weekly names up to three
    return out


# --- filing status --------------------------------------------------------------------------------------


def _filing(status: StatusReport | None, narrative: str | None = None) -> dict:
    """The period's filing status as a briefing tells it; `narrative`: the form whose absence is
    named (未报工作情况)."""
    if status is None:
        return {}
    labels = status.form_labels
    late = [{"name": r.submitter.name, "by": human_delta(r.late_by)} for r in status.rows
            if r.late_by is not None and r.late_verified]
    return {"summary": status.headline(narrative=False, label=False),
            "late": late,
            "late_unverified": [{"name": r.submitter.name, "by": human_delta(r.late_by)} for r in status.rows
                                if r.late_by is not None and "late_unverified" in r.codes],
            "wrong": [{"name": r.submitter.name, "files": "、".join(w.file for w in r.wrong_filings)}
                      for r in status.rows if r.wrong_filings],
            "missing": [{"name": r.submitter.name, "forms": "、".join(labels.get(f, f) for f in r.missing_forms)}
                        for r in status.rows if r.missing],
            "no_narrative": [r.submitter.name for r in status.rows if narrative in r.optional_missing],
            "on_time_rate": pct(status.on_time_rate), "reporting_rate": pct(status.reporting_rate),
            "wrong_rule": status.wrong_rule}


# --- narratives: condensed, capped, the rest in an annex --------------------------------------------------

_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_SHAPE = re.compile(r"[\s，。、；：,.;:！!？?“”\"'（）()]")


def _shape(text: str) -> str:
    return _SHAPE.sub("", _DIGITS.sub("#", text))


def condense(entries: list[dict], cap: int) -> tuple[list[dict], list[dict]]:
    """Statements grouped when units said the same (or nearly: the same words with other numbers,
    or 90 % alike): "开元街道、鲤中街道等 8 个单位：…", the numbers that differ shown as a range.
    The largest groups first, `cap` of them; the entries of the rest are returned for the annex."""
    groups: list[list[dict]] = []
    for e in entries:
        shape = _shape(e["text"])
        for g in groups:
            other = _shape(g[0]["text"])
            if shape == other or difflib.SequenceMatcher(None, shape, other).ratio() >= 0.9:
                g.append(e)
                break
        else:
            groups.append([e])
    groups.sort(key=lambda g: -len(g))
    out = []
    for n, g in enumerate(groups):
        units = [e["unit"] for e in g]
        short = "、".join(units) if len(units) <= 3 else f"{'、'.join(units[:2])}等 {len(units)} 个单位"
        # in the body the first units and a count; in the annex every unit is named
        out.append({"units": short if n < cap else "、".join(units), "count": len(units),
                    "text": _merged_text(g).rstrip("。；;. "), "names": units})
    return out[:cap], out[cap:]


def _merged_text(group: list[dict]) -> str:
    """The group's statement; numbers that differ between units shown as their range (3–12)."""
    base = max(group, key=lambda e: sum(_shape(e["text"]) == _shape(x["text"]) for x in group))["text"]
    same_shape = [e["text"] for e in group if _shape(e["text"]) == _shape(base)]
    columns = [[float(n) for n in _DIGITS.findall(t)] for t in same_shape]
    if len(same_shape) < 2 or len({len(c) for c in columns}) != 1:
        return base
    parts = _DIGITS.split(base)
    out = parts[0]
    for i, piece in enumerate(parts[1:]):
        values = [c[i] for c in columns]
        lo, hi = min(values), max(values)
        out += (fmt_num(lo) if lo == hi else f"{fmt_num(lo)}–{fmt_num(hi)}") + piece
    return out


def _narratives(results: list[PeriodResult], keys: list[tuple[str, str]], cap: int,
                latest_only: bool = False) -> tuple[list[dict], list[dict]]:
    """Each heading's statements from the units' 工作情况 of these periods (latest only: one per
    unit, its most recent), condensed; and the annex of what did not fit."""
    groups, annex = [], []
    for key, label in keys:
        entries, seen = [], set()
        for res in reversed(results):
            for r in res.rows:
                c = r.forms.get(res.roles.get("situation", ""))
                if c is None or c.period != res.period.key or (latest_only and r.submitter.name in seen):
                    continue
                cell = c.form.table.get("", {}).get(key)
                if cell is not None and cell.text:
                    entries.append({"unit": r.submitter.name, "text": " ".join(cell.text.split())})
                    seen.add(r.submitter.name)
        shown, rest = condense(entries, cap)
        groups.append({"key": key, "title": label, "entries": shown, "units": len({e["unit"] for e in entries})})
        if rest:
            annex.append({"title": label, "entries": rest})  # condensed too, every unit named
    return groups, annex


# --- 本期要点 ------------------------------------------------------------------------------------------------


def _highlights(result: PeriodResult, previous: PeriodResult | None, units: list[dict],
                hazards: list[dict], filing: dict) -> list[str]:
    """A few sentences from the figures: what changed most, and which units stand behind it."""
    t, w = result.totals.cumulative, result.totals.weekly
    out = []
    found_w, fixed_w = total(w, FOUND), total(w, FIXED)
    before = total(previous.totals.weekly, FOUND) if previous else None
    first = f"本周新发现隐患 {fmt_num(found_w)} 项"
    if isinstance(found_w, (int, float)) and isinstance(before, (int, float)) and found_w != before:
        up = found_w > before
        first += f"，较上周{'增加' if up else '减少'} {fmt_num(abs(found_w - before))} 项"
        # the units behind the change: those that moved most in the same direction
        movers = sorted((u for u in units if isinstance(u.get("change_value"), (int, float))
                         and (u["change_value"] > 0 if up else u["change_value"] < 0)),
                        key=lambda u: (-abs(u["change_value"]), u["name"]))[:2]
        if movers:
            first += f"，{'增加' if up else '减少'}较多的是" + "、".join(
                f"{u['name']}（{u['change']}）" for u in movers)
    else:
        top = sorted((u for u in units if u["weekly_found_value"]),
                     key=lambda u: (-u["weekly_found_value"], u["name"]))[:2]
        if top:
            first += "，较多的是" + "、".join(f"{u['name']}（{u['weekly_found']} 项）" for u in top)
    out.append(first + f"；完成整改 {fmt_num(fixed_w)} 项，累计整改率 {pct(rate(total(t, FIXED), total(t, FOUND)))}。")
    majors_w = total(w, MAJOR)
    if hazards:
        oldest = hazards[0]
        out.append(f"重大隐患累计 {fmt_num(total(t, MAJOR))} 项，本周新增 {fmt_num(majors_w)} 项，尚有 {len(hazards)} 项正在整改，"
                   f"挂账最久的是{oldest['unit']}报送的{oldest['place']}"
                   + (f"（{oldest['days']} 天）。" if oldest["days"] else "（本周新报）。"))
    low = sorted((u for u in units if u["rate_value"] is not None and u["found_value"]), key=lambda u: u["rate_value"])[:2]
    if low and low[0]["rate_value"] < 60:
        out.append("整改率偏低的是" + "、".join(f"{u['name']}（{u['rate']}）" for u in low) + "。")
    out = out[:2]
    def who(rows: list[dict]) -> str:  # every unit named: a 通报 names whom it concerns
        names = [r["name"] for r in rows]
        return "、".join(names) + (f"（{len(names)} 个单位）" if len(names) > 3 else "")

    bad = [f"{word}：{who(filing[key])}" for key, word in (("late", "迟报"), ("wrong", "错报"), ("missing", "漏报"))
           if filing.get(key)]
    if bad:
        out.append("本周" + "；".join(bad) + "，详见“报送情况”。")
    return out


# --- the documents ------------------------------------------------------------------------------------------------


def _overview(t: dict, w: dict, pw: dict | None) -> list[dict]:
    return [{"label": label, "unit": unit, "cumulative": fmt_num(total(t, keys)),
             "weekly": "—" if stock else fmt_num(total(w, keys)),
             "change": change(total(w, keys), total(pw, keys)) if pw is not None and not stock else "—",
             # 执法 rows are told in their own section (四), not in the overview table
             "enforcement": keys[0] in ENFORCEMENT_KEYS}
            for label, keys, unit, stock in OVERVIEW]


def _facilities(result: PeriodResult, previous: PeriodResult | None) -> list[dict]:
    return [{"label": k, "existing": fmt_num(v["existing"]), "added": fmt_num(v["added"]),
             "funds": fmt_num(v["funds"]),
             "added_change": change(v["added"], previous.facilities.get(k, {}).get("added")) if previous else "—",
             "funds_change": change(v["funds"], previous.facilities.get(k, {}).get("funds")) if previous else "—"}
            for k, v in result.facilities.items()]


def _duplicates(result: PeriodResult) -> list[dict]:
    return [{"id": d.id, "what": d.what, "name": d.name, "first": d.first, "second": d.second}
            for d in result.duplicates if d.verdict is None]


def _headline(t: dict, w: dict) -> dict[str, str]:
    """The figures the opening paragraph names, formatted."""
    return {"found": fmt_num(total(t, FOUND)), "found_week": fmt_num(total(w, FOUND)),
            "found_own": fmt_num(total(t, ("found_total",))), "found_insp": fmt_num(total(t, ("insp_found_total",))),
            "fixed": fmt_num(total(t, FIXED)), "major": fmt_num(total(t, MAJOR)),
            "major_fixed": fmt_num(total(t, MAJOR_FIXED)), "sites": fmt_num(t.get("sites")),
            "ordered": fmt_num(t.get("ordered")),
            # the 监督检查组' week: the 督导 the member departments did
            "groups_week": fmt_num(total(w, ("groups_total",))), "inspectors_week": fmt_num(total(w, ("inspectors",))),
            "inspected_week": fmt_num(total(w, ("sites_inspected",))),
            "insp_found_week": fmt_num(total(w, ("insp_found_total",)))}


def _trend(history: list[PeriodResult]) -> list[dict]:
    return [{"label": f"{int(r.period.key[5:7])}/{int(r.period.key[8:10])}",
             "found": total(r.totals.cumulative, FOUND) or 0, "fixed": total(r.totals.cumulative, FIXED) or 0,
             "weekly_found": total(r.totals.weekly, FOUND) or 0,
             "weekly_fixed": total(r.totals.weekly, FIXED) or 0} for r in history]


def _notes(result: PeriodResult) -> list[str]:
    weekly, cumulative = result.totals.weekly_submitters, result.totals.cumulative_submitters
    notes = ["注：隐患含排查发现和监督检查发现；"
             + (f"当周数和累计数均为 {weekly} 个单位之和" if weekly == cumulative else
                f"当周数为 {weekly} 个已报单位之和，累计数为 {cumulative} 个单位之和（含沿用上期）")]
    for units_sum in result.totals.units_stock.values():
        notes.append(f"；景点总数为街道之和，成员单位另报 {fmt_num(units_sum)} 家未计入")
    notes.append("。")
    return notes


ADVICE_RATE = 60  # 整改率 below this (%) is named in the office's 建议, as in 本期要点
ADVICE_DAYS = 14  # a 重大隐患 open this many days or more is named


def _advice(units: list[dict], hazards: list[dict], filing: dict) -> dict:
    """Whom the office's 建议 name, from the figures: units whose 整改率 is low, the 重大隐患 open
    longest, the units that filed late or not at all. The template words it."""
    return {"low_rate": [{"name": u["name"], "rate": u["rate"]} for u in units
                         if u["rate_value"] is not None and u["rate_value"] < ADVICE_RATE],
            "old_hazards": [h for h in hazards if h["days"] >= ADVICE_DAYS],
            "late": [x["name"] for x in filing.get("late", []) + filing.get("late_unverified", [])],
            "missing": [x["name"] for x in filing.get("missing", [])]}


def weekly(setting: Setting, result: PeriodResult, previous: PeriodResult | None,
           status: StatusReport | None, history: list[PeriodResult], phases: list[Span] | None = None) -> Briefing:
    """`phases`: the campaign's configured phases; the week's is named in the briefing."""
    t, w = result.totals.cumulative, result.totals.weekly
    day = result.period.deadline.date()
    units, units_total = _unit_rows(result, previous)
    hazards = open_hazards(result, first_reported(history), day)
    filing = _filing(status, result.roles.get("situation"))
    narratives, annex = _narratives([result], NARRATIVE, setting.narrative_groups)
    b = Briefing(
        kind="weekly", title=f"{setting.campaign}工作简报", issue=f"第{result.period.number}期",
        office=setting.issuer, date=cn_date(day), period_label=result.period.label, campaign=setting.campaign,
        overview=_overview(t, w, previous.totals.weekly if previous else None),
        facilities=_facilities(result, previous), units=units, units_total=units_total, open_hazards=hazards,
        duplicates=_duplicates(result), enforcement=_name_lists(result, previous), filing=filing,
        narratives=narratives, annex=annex, trend=_trend(history), notes=_notes(result),
        imprint=setting.imprint(day))
    b.highlights = _highlights(result, previous, units, hazards, filing)
    b.closed = closed_since(result, previous)
    b.phase = next(({"name": p.name, "span": f"{p.start.month}月{p.start.day}日至{p.end.month}月{p.end.day}日"}
                    for p in phases or [] if p.start <= day <= p.end), {})
    b.advice = _advice(units, hazards, filing)
    b.totals = {"cumulative": t, "weekly": w, "weekly_submitters": result.totals.weekly_submitters,
                "fix_rate": rate(total(t, FIXED), total(t, FOUND)),
                "major_fix_rate": rate(total(t, MAJOR_FIXED), total(t, MAJOR)),
                "open_major": len(hazards), "headline": _headline(t, w),
                "facility_funds": fmt_num(round(sum(v["funds"] for v in result.facilities.values()), 4))}
    b.totals["fix_rate_text"] = pct(b.totals["fix_rate"])
    b.totals["major_fix_rate_text"] = pct(b.totals["major_fix_rate"])
    return b


def monthly(setting: Setting, month: Period, weeks: list[PeriodResult], before: PeriodResult | None,
            statuses: list[StatusReport], history: list[PeriodResult]) -> Briefing:
    """A month's figures as the difference of month-end cumulatives, checked against the sum of the
    month's weekly figures; where they differ, the units and weeks behind it, from merge's own
    findings (累计数不衔接) and the weeks a unit did not file."""
    end = weeks[-1]
    start = before.totals.cumulative if before else {}
    rows = []
    for label, keys, unit, stock in OVERVIEW:
        if stock:  # a stock has no monthly flow
            continue
        diff = round((total(end.totals.cumulative, keys) or 0) - (total(start, keys) or 0), 4)
        summed = round(sum(total(w.totals.weekly, keys) or 0 for w in weeks), 4)
        rows.append({"label": label, "unit": unit, "cumulative": fmt_num(total(end.totals.cumulative, keys)),
                     "before": fmt_num(total(start, keys) or 0), "month": fmt_num(diff), "month_value": diff,
                     "weeks_sum": fmt_num(summed), "agree": diff == summed, "enforcement": keys[0] in ENFORCEMENT_KEYS})
    per_unit, notes = _month_by_unit(weeks, before)
    day = month.deadline.date()
    narratives, annex = _narratives(weeks, NARRATIVE, setting.narrative_groups, latest_only=True)
    units, units_total = _unit_rows(end, before)
    n = int(month.key[5:7])
    b = Briefing(kind="monthly", title=f"{setting.campaign}工作月报（{n}月）", issue=f"{month.key[:4]}年{n}月",
                 office=setting.issuer, date=cn_date(day), campaign=setting.campaign, masthead="工作月报",
                 period_label=f"{weeks[0].period.label}至{end.period.label}", units=units, units_total=units_total,
                 trend=_trend(weeks), notes=_notes(end), narratives=narratives, annex=annex,
                 open_hazards=open_hazards(end, first_reported(history), end.period.deadline.date()),
                 enforcement=_name_lists(end, before), imprint=setting.imprint(day))
    t = end.totals.cumulative
    b.monthly = {"rows": rows, "by": {r["label"]: r for r in rows}, "weeks": [w.period.label for w in weeks],
                 "all_agree": all(r["agree"] for r in rows), "first": before is None, "units": per_unit, "why": notes,
                 "rate": pct(rate(total(t, FIXED), total(t, FOUND))),
                 "rate_before": pct(rate(total(start, FIXED), total(start, FOUND))) if before else "",
                 "filing": [{"week": s.period.label, "summary": s.summary} for s in statuses],
                 "filing_names": _month_filing(statuses)}
    b.closed = closed_since(end, before)
    b.totals = {"month": {r["label"]: r["month"] for r in rows}}
    return b


def _month_filing(statuses: list[StatusReport]) -> list[dict]:
    """Who filed late, wrong or not at all in the month's weeks: each unit once, with its weeks."""
    out = []
    for key, word in (("late", "迟报"), ("late_unverified", "迟报待核实"), ("wrong", "错报"), ("missing", "漏报")):
        weeks: dict[str, list[str]] = {}
        for s in statuses:
            for x in _filing(s).get(key, []):
                weeks.setdefault(x["name"], []).append(f"第{s.period.number}周")
        if weeks:
            out.append({"word": word, "units": [{"name": k, "weeks": "、".join(v)} for k, v in weeks.items()]})
    return out


def _month_by_unit(weeks: list[PeriodResult], before: PeriodResult | None) -> tuple[list[dict], list[str]]:
    """Each unit's 上月末累计, 月末累计 and 本月 (both hazard sources), and, for each unit whose month
    does not equal the sum of its weeks, why: the weeks it did not file (its 当周 counted nowhere)
    and the weeks merge found its 累计 not continuing (a corrected earlier figure)."""
    end = weeks[-1]
    start = {r.submitter.name: r for r in before.rows} if before else {}
    out, notes = [], []
    for r in end.rows:
        name = r.submitter.name
        was = total(start[name].cumulative, FOUND) if name in start and start[name].status != "missing" else 0
        now = total(r.cumulative, FOUND) if r.status != "missing" else None
        summed = sum(total(x.weekly, FOUND) or 0 for w in weeks for x in w.rows
                     if x.submitter.name == name and x.weekly)
        month = round((now or 0) - (was or 0), 4) if now is not None else None
        fixed_was = total(start[name].cumulative, FIXED) if name in start and start[name].status != "missing" else 0
        fixed_now = total(r.cumulative, FIXED) if r.status != "missing" else None
        fixed_month = round((fixed_now or 0) - (fixed_was or 0), 4) if fixed_now is not None else None
        out.append({"name": name, "before": fmt_num(was), "end": fmt_num(now) if now is not None else "—",
                    "month": fmt_num(month) if month is not None else "—", "weeks_sum": fmt_num(summed),
                    "fixed_month": fmt_num(fixed_month) if fixed_month is not None else "—",
                    "fixed_end": fmt_num(fixed_now) if fixed_now is not None else "—",
                    "rate": pct(rate(fixed_now, now)), "agree": month is None or abs(month - summed) < 1e-9})
        if month is None or abs(month - summed) < 1e-9:
            continue
        why = []
        skipped = [w.period.label for w in weeks for x in w.rows if x.submitter.name == name and x.status != "filed"]
        if skipped:
            why.append(f"{'、'.join(skipped)}未报送，当周数没有计入各周之和")
        for w in weeks:
            for f in w.findings:
                if f.code == "cumulative-mismatch" and f.column in FOUND and _unit_of(w, f.path) == name:
                    why.append(f"{w.period.label}{f.message}")
        notes.append(f"{name}：本月发现隐患 {fmt_num(month)} 项（月末累计 − 上月末累计），各周当周数之和 {fmt_num(summed)} 项。"
                     + ("原因：" + "；".join(why) + "。" if why else "可能更正了以前的累计数。")
                     + "以月末累计差额为准。")
    return out, notes


def _unit_of(result: PeriodResult, path: str) -> str | None:
    for r in result.rows:
        if any(c.filing.original_path == path for c in r.forms.values()):
            return r.submitter.name
    return None


def rank_units(units: list[dict]) -> list[dict]:
    """Units by 整改率, best first; equal rates share a rank, shown as 并列 ("2（并列）"); a unit
    without a rate (nothing found, or never filed) is ranked "—" at the end."""
    ranked = sorted(units, key=lambda u: (u["rate_value"] is None, u.get("missing", False),
                                          -(u["rate_value"] or 0), u["name"]))
    for u in ranked:
        if u["rate_value"] is None:
            u["rank"] = "—"
            continue
        better = sum(1 for x in ranked if x["rate_value"] is not None and x["rate_value"] > u["rate_value"])
        tied = any(x is not u and x["rate_value"] == u["rate_value"] for x in ranked)
        u["rank"] = f"{better + 1}" + ("（并列）" if tied else "")
    return ranked


@dataclass
class Span:
    """A stretch of the campaign the summary tells by: a configured phase, else a month."""

    name: str
    start: dt.date
    end: dt.date


def _spans(spans: list[Span], history: list[PeriodResult]) -> list[dict]:
    """Per phase (or month): its dates, the weeks in it and what they found and fixed."""
    out = []
    for s in spans:
        weeks = [r for r in history if s.start <= r.period.deadline.date() <= s.end]
        found = sum(total(r.totals.weekly, FOUND) or 0 for r in weeks)
        fixed = sum(total(r.totals.weekly, FIXED) or 0 for r in weeks)
        out.append({"name": s.name, "span": f"{cn_date(s.start)}至{cn_date(s.end)}", "weeks": len(weeks),
                    "found": fmt_num(found), "fixed": fmt_num(fixed),
                    "major": fmt_num(sum(total(r.totals.weekly, MAJOR) or 0 for r in weeks))})
    return [x for x in out if x["weeks"]]


def _cases(end: PeriodResult, enforcement: list[dict], cap: int = 3) -> list[str]:
    """典型案例 from the data: major hazards closed (place, unit, hazard, what was done) and the
    firms suspended or closed down."""
    closed = [i for i in end.role_list("hazards") if i.values.get("status") == "closed" and not i.duplicate_of]
    out = [f"{i.submitter}督促{i.values.get('place') or ''}整改“{i.values.get('hazard') or ''}”重大隐患"
           + (f"，{str(i.values.get('measures')).rstrip('，。；,. ')}" if i.values.get("measures") else "")
           + "，现已整改销号。" for i in closed[:cap]]
    for lst in enforcement:
        if lst["key"] in ("suspended", "closed") and lst["names"]:
            names = "、".join(f"{n['name']}（{n['units']}）" for n in lst["names"][:cap])
            out.append(f"依法对{names}{'责令停产停业整改' if lst['key'] == 'suspended' else '予以取缔关闭'}。")
    return out


def _problems(b: Briefing, record: CampaignRecord | None) -> list[str]:
    """存在问题 the data show: low 整改率, hazards open longest, filing that was late or missing."""
    out = []
    low = [u for u in b.units if u.get("rate_value") is not None and u["rate_value"] < 60]
    if low:
        out.append("隐患整改进度不平衡，整改率偏低的有" + "、".join(f"{u['name']}（{u['rate']}）" for u in low) + "。")
    old = [h for h in b.open_hazards if h["days"]][:3]
    if old:
        out.append("部分重大隐患整改周期长，" + "、".join(f"{h['unit']}报送的{h['place']}已挂账 {h['days']} 天" for h in old)
                   + "。")
    if record:
        slow = [(n, c) for n, c in record.counts.items() if c["迟报"] + c["漏报"] + c["错报"]]
        if slow:
            out.append("信息报送不够及时准确，" + "、".join(
                f"{n}（{'、'.join(f'{k} {c[k]} 次' for k in ('迟报', '错报', '漏报') if c[k])}）" for n, c in slow) + "。")
    return out


def summary(setting: Setting, final: Period, history: list[PeriodResult],
            record: CampaignRecord | None, spans: list[Span] | None = None,
            notes: dict[str, str] | None = None, weeks_in_campaign: int = 0, notes_file: str = "") -> Briefing:
    """The campaign summary: exactly the weeks so far, dated on or before its deadline. `spans`:
    the phases (or months) its 工作开展情况 tells by; `notes`: the clerk's own paragraphs by title."""
    end = history[-1]
    b = weekly(setting, end, history[-2] if len(history) > 1 else None, None, history)
    day = min(final.deadline.date(), end.period.deadline.date())
    b.kind, b.title, b.issue, b.masthead = "summary", f"{setting.campaign}工作总结", "专项整治总结", "工作总结"
    b.head = "title"  # a 总结 is a document the office submits, titled and signed, not an issue of the 简报
    b.date, b.imprint = cn_date(day), setting.imprint(day)
    b.period_label = f"{history[0].period.label}至{end.period.label}，共 {len(history)} 周"
    b.units = rank_units(b.units)
    hazards = end.role_counts("hazards")
    b.totals.update({"major_closed_rate": rate(hazards.get("closed"), hazards.get("records")),
                     "enforcement": end.role_counts("enforcement")})
    if record:
        b.filing = {"record": [{"name": n, **{k: c[k] for k in ("按时", "迟报", "错报", "漏报")}}
                               for n, c in record.counts.items()], "periods": len(record.periods)}
    b.narratives, b.annex = _narratives(history, [("practices", "经验做法"), ("problems", "存在问题"),
                                                  ("next_steps", "下一步打算和长效机制")],
                                        setting.narrative_groups, latest_only=True)
    b.highlights = []
    later = weeks_in_campaign - len(history) if weeks_in_campaign > len(history) else 0
    b.summary = {"phases": _spans(spans or [], history), "cases": _cases(end, b.enforcement),
                 "problems": _problems(b, record), "notes": notes or {}, "notes_file": notes_file,
                 "coverage": f"本总结依据{b.period_label}的报表"
                             + (f"；此后 {later} 周的报表尚未登记，未计入。" if later else "。")}
    return b
