"""Generate samples/: three weeks of filings for the whole roster, flawed files, a fire-lane form.

    python scripts/make_samples.py            # rewrites samples/ (deterministic: fixed seed)

Numbers are consistent week to week (累计 = last week's 累计 + 当周; 附件4/5 agree with 附件3).
Files are written by three different writers — openpyxl, xlsxwriter and xlwt (.xls) — in the
layouts clerks really send: one workbook with four sheets, one form per file, all forms stacked
on one sheet, forms moved down and right under extra title rows, numbers typed as text with
full-width digits and units. samples/manifest.json lists every finding each file must produce,
written from what this script put in, never from running the validator.

Needs the test extras: pip install -e '.[test]'.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from openpyxl_layouts import write_layouts
from safetyreport.config import load_config
from safetyreport.outputs.layout import SheetLayout, footer_text, layout_form
from safetyreport.reading.grid import a1
from safetyreport.schema import load_schemas

WEEKS = [dt.date(2021, 9, 16), dt.date(2021, 9, 23), dt.date(2021, 9, 30)]
SCHEMAS = load_schemas()
ROSTER = load_config(None).submitters
PLACES = ["清源山景区", "开元寺", "关岳庙", "府文庙", "天后宫", "泉州古城", "西街", "中山路骑楼",
          "晋江滨江公园", "笋江公园", "浮桥码头", "金鱼巷", "江南亲水公园", "临江步道", "九日山",
          "六胜塔", "闽台缘博物馆", "海交馆", "德济门遗址", "承天寺", "洛阳桥", "百源川池",
          "市舶司遗址", "聚宝街", "水门巷", "府城隍庙", "花巷", "象峰巷", "旧馆驿", "威远楼",
          "五堡街", "裴巷", "井亭巷", "奎霞巷", "胭脂巷", "新门街", "涂门街", "甲第巷", "敷仁巷", "台魁巷"]
UNIT_PLACES = ["北峰水库", "金鸡拦河闸", "晋江下游亲水平台", "紫帽山林区步道", "江滨游船码头", "鲤城研学实践基地",
               "青少年宫", "中旅鲤城门市部", "海峡国旅营业部", "温陵观光车站", "南俊巷民宿集群", "温陵路夜市",
               "六井孔文创园", "源和1916创意园", "东湖公园游乐场", "城南客运点", "金池游泳馆", "笋浯溪沿岸",
               "西湖游船", "五店市景点停车场", "清净寺", "少林禅寺", "铜佛寺", "元妙观", "崇福寺",
               "天主教泉州堂", "承天巷清真寺", "洛阳古街", "环城河步道", "鲤城体育场"]
HAZARDS = [("消防通道被占用", "清理杂物，设置禁停标识"), ("栏杆锈蚀松动", "更换护栏并加固"),
           ("临水区域未设警示标志", "增设警示牌和救生圈"), ("电气线路私拉乱接", "重新布线，加装漏电保护"),
           ("游乐设施未年检", "停用设施，申请检验"), ("山体边坡落石隐患", "设置防护网，封闭危险路段")]
BUSINESS_KINDS = ["游船服务部", "民宿", "小吃店", "旅游服务有限公司", "游乐设备有限公司", "观光车队",
                  "文化传播有限公司", "旅行社有限公司"]
# Deliberate cross-submitter duplicates, so merge has something real to flag: the same major
# hazard seen by a street and by a member unit, and the same business fined by two submitters
# under two spellings.
FORCED_HAZARDS = {"开元街道": [("开元寺", "电气线路私拉乱接", "重新布线，加装漏电保护")],
                  "区文旅局": [("开元寺", "电气线路私拉乱接问题", "督促寺方重新布线")]}
FORCED_FINES = {"海滨街道": "泉州海丝文化旅游有限公司", "区市场监管局": "泉州市海丝文化旅游有限公司"}
# Conventions of real filings that a checker built from tidy samples gets wrong (domain.md, last
# section; the notice's 注 to 附件4/5). Each must validate with no error:
# - member units find their 重大隐患 by 监督检查 (附件3's second source), streets by 排查;
# - a unit with no 重大隐患 and no enforcement sends no 附件4/5 at all ("认定为重大隐患的" file
#   附件4, 附件5 "根据执法检查工作开展情况"), or sends them with one row saying 无 / 暂无;
# - a place is renamed between weeks (开元寺 → 开元寺景区) and is still the same hazard;
# - one firm is fined in two weeks: two penalties in 附件3's cumulative count, not a duplicate;
# - zeros typed as 暂无 / 零 / 未发现.
# When each week's mail reached the office mailbox (北京时间): most units on Thursday morning,
# two late. The demo takes the samples in at these times; the mailbox loader gives each mail this
# arrival time (INTERNALDATE); the expected 按时 / 迟报 follow from them.
ON_TIME = (9, 30)
LATE = {("2021-09-23", "区城管局"): (14, 20), ("2021-09-30", "海滨街道"): (16, 5)}


def receipts() -> dict[str, dict[str, str]]:
    out = {}
    for week in WEEKS:
        key = week.isoformat()
        out[key] = {}
        for u in ROSTER:
            h, m = LATE.get((key, u.name), ON_TIME)
            out[key][u.name] = dt.datetime(week.year, week.month, week.day, h, m).isoformat() + "+08:00"
    return out


NIL_RETURN = {"区委统战部（区民族宗教局）": "no-forms", "区教育局": "none-rows"}
RENAMED = {("开元街道", 2): ("开元寺", "开元寺景区")}  # (unit, week index): old place → new place
FINED_TWICE = {"金龙街道": (0, 2)}  # fined the same firm in these weeks
NONE_WORDS = ["无", "暂无", "本周无", "无此情况"]


def places_of(u: Unit) -> list[str]:
    """Each submitter inspects its own places (streets their territory, units their sector)."""
    names = [s.name for s in ROSTER]
    if u.name not in names:  # a synthetic roster (benchmarks): places of its own
        return [f"{u.name}{PLACES[k]}" for k in range(5)]
    i = names.index(u.name)
    if u.kind == "street":
        return [PLACES[(i * 5 + k) % len(PLACES)] for k in range(5)]
    # member units count their own level and the objects they supervise (附件3 注2): places of
    # their own sector, which no street lists (so no duplicate arises by accident)
    j = i - sum(1 for s in ROSTER if s.kind == "street")
    return [UNIT_PLACES[(j * 5 + k) % len(UNIT_PLACES)] for k in range(5)]


def businesses_of(u: Unit) -> list[str]:
    return [f"{place}{kind}" for place in places_of(u) for kind in BUSINESS_KINDS]


PEOPLE = ["张明", "李华", "王芳", "陈伟", "林静", "黄强", "吴敏", "郑涛", "蔡丽", "许军", "杨洋", "洪斌"]


@dataclass
class Unit:
    """One submitter's state through the weeks: what has happened so far."""

    name: str
    kind: str
    rng: random.Random
    sites: int = 0
    cum: dict[str, float] = field(default_factory=dict)
    hazards: list[dict] = field(default_factory=list)  # 附件4 records (with their 附件3 source)
    names: dict[str, list[str]] = field(default_factory=dict)  # 附件5 lists
    fines: list[float] = field(default_factory=list)
    facilities: dict[str, list[float]] = field(default_factory=dict)


def week_figures(u: Unit, w: int) -> dict[str, dict[str, float]]:
    """This week's flows, added to the running totals. Returns {'cumulative', 'weekly'}."""
    r = u.rng
    big = 3 if u.kind == "street" else 1
    nil = u.name in NIL_RETURN
    # member units find their 重大隐患 by 监督检查, streets by their own 排查 (附件3's two sources)
    source = "insp_" if u.kind == "unit" else ""
    if w == 0:
        u.sites = r.randint(6, 16) if u.kind == "street" else r.randint(2, 6)
    wk: dict[str, float] = {}
    wk["found_general"] = r.randint(2, 6) * big
    new_major = 1 if r.random() < 0.5 or (w == 0 and u.name in FORCED_HAZARDS) else 0
    if nil:
        new_major = 0
    open_general = u.cum.get("found_general", 0) + wk["found_general"] - u.cum.get("fixed_general", 0)
    wk["fixed_general"] = r.randint(open_general // 2, open_general)
    open_major = [h for h in u.hazards if h["status"] == "正在整改"]
    closing = [h for h in open_major if r.random() < 0.5]
    wk["groups_total"] = r.randint(2, 4) * big
    wk["groups_enforcement"] = r.randint(0, wk["groups_total"] // 2)
    wk["groups_expert"] = r.randint(0, wk["groups_total"] - wk["groups_enforcement"])
    wk["inspectors"] = wk["groups_total"] * r.randint(3, 5)
    wk["sites_inspected"] = r.randint(3, 10) * big
    wk["insp_found_general"] = r.randint(0, wk["found_general"])
    open_insp = u.cum.get("insp_found_general", 0) + wk["insp_found_general"] - u.cum.get("insp_fixed_general", 0)
    wk["insp_fixed_general"] = r.randint(0, open_insp)
    for k in ("found_major", "fixed_major", "insp_found_major", "insp_fixed_major"):
        wk[k] = 0
    wk[f"{source}found_major"] = new_major
    for h in closing:
        wk[f"{h['source']}fixed_major"] += 1
    wk["reports"] = r.randint(0, 3)
    wk["reports_verified"] = r.randint(0, u.cum.get("reports", 0) + wk["reports"] - u.cum.get("reports_verified", 0))
    wk["ordered"] = r.randint(0, 3)
    wk["suspended"] = 1 if r.random() < 0.2 else 0
    wk["closed"] = 1 if r.random() < 0.1 else 0
    fined = r.random() < 0.35 or (w == 1 and u.name in FORCED_FINES) or w in FINED_TWICE.get(u.name, ())
    wk["fined_count"] = 1 if fined else 0
    wk["fine_amount"] = round(r.choice([0.2, 0.5, 0.8, 1.0, 1.5]), 2) if wk["fined_count"] else 0
    wk["other_penalties"] = r.randint(0, 1)
    if nil:  # no enforcement at all: nothing for 附件5
        for k in ("ordered", "suspended", "closed", "fined_count", "fine_amount", "other_penalties"):
            wk[k] = 0
    for k in ("found", "fixed", "insp_found", "insp_fixed"):
        wk[f"{k}_total"] = wk[f"{k}_general"] + wk[f"{k}_major"]
    # the lists follow the counts
    for h in closing:
        h["status"] = "整改完成"
        h["measures"] = h["measures"] + "，已完成整改"
    for _ in range(new_major):
        forced = FORCED_HAZARDS.get(u.name, [])
        if w == 0 and forced and not u.hazards:
            place, hazard, measures = forced[0]
        else:  # a place and hazard this submitter has not listed yet
            used = {(h["place"], h["hazard"]) for h in u.hazards}
            combos = [(p, h) for p in places_of(u) for h in HAZARDS if (p, h[0]) not in used]
            place, (hazard, measures) = r.choice(combos)
        u.hazards.append({"place": place, "hazard": hazard, "measures": measures, "status": "正在整改",
                          "source": source})
    renamed = RENAMED.get((u.name, w))
    for h in u.hazards:  # a clerk retypes the place's name: the same hazard all the same
        if renamed and h["place"] == renamed[0]:
            h["place"] = renamed[1]
    pool = [b for b in businesses_of(u) if all(b not in v for v in u.names.values())]
    forced_fine = None
    if w == 1 and u.name in FORCED_FINES:
        forced_fine = FORCED_FINES[u.name]
    if w in FINED_TWICE.get(u.name, ())[1:] and u.names.get("fined"):
        forced_fine = u.names["fined"][0]  # the firm fined in an earlier week, fined again
    for key, n in (("suspended", wk["suspended"]), ("closed", wk["closed"]), ("fined", wk["fined_count"])):
        for _ in range(int(n)):
            name = forced_fine if key == "fined" and forced_fine else pool.pop(r.randrange(len(pool)))
            u.names.setdefault(key, []).append(name)
            if key == "fined":
                u.fines.append(wk["fine_amount"])
    for key in wk:
        u.cum[key] = round(u.cum.get(key, 0) + wk[key], 2)
    cum = dict(u.cum)
    cum["sites"] = wk["sites"] = u.sites
    return {"cumulative": cum, "weekly": wk}


def facilities(u: Unit, w: int) -> dict[str, list[float]]:
    r = u.rng
    if w == 0:
        u.facilities = {"video_points": [r.randint(3, 20), 0, 0.0], "cameras": [r.randint(10, 60), 0, 0.0],
                        "drones": [r.randint(0, 2), 0, 0.0], "fences": [r.randint(0, 3), 0, 0.0]}
    for row in u.facilities.values():
        if r.random() < 0.3:
            row[1] += 1
            row[2] = round(row[2] + r.choice([0.5, 1.2, 2.0]), 2)
    return {k: list(v) for k, v in u.facilities.items()}


# --- filling layouts --------------------------------------------------------------------------


@dataclass
class Style:
    """How a clerk typed things."""

    as_text: bool = False  # numbers typed as text, some full-width, some with units
    dash_zero: bool = False  # zeros left as "—" or blank (noted as a warning)
    header_name: str = ""  # what is written after 填报街道（单位）
    date: str = ""


FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


def typed(v: float, style: Style, unit: str, rng: random.Random) -> object:
    if v == 0 and style.dash_zero:
        return rng.choice(["—", "", "/", "无", "暂无", "零", "未发现"])
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not style.as_text:
        return v
    text = str(v)
    roll = rng.random()
    if roll < 0.3:
        return text.translate(FULLWIDTH)
    if roll < 0.6 and unit and unit not in ("万元", "人次"):
        return f"{text}{unit}"
    return text


def fill(layout: SheetLayout, style: Style, person: tuple[str, str, str], rng: random.Random) -> None:
    r, c = layout.submitter_cell
    label = str(layout.cells[(r, c)]).split("：")[0]
    layout.cells[(r, c)] = f"{label}：{style.header_name}"
    if layout.footer_row:
        has_date = "年" in str(layout.cells.get((layout.footer_row, 0), ""))
        layout.cells[(layout.footer_row, 0)] = footer_text(*person, date=style.date, with_date=has_date)


def a3_layout(fig, style, person, rng) -> SheetLayout:
    schema = SCHEMAS["a3"]
    lay = layout_form(schema)
    for row in ("cumulative", "weekly"):
        for col in schema.columns:
            lay.cells[lay.data_cells[(row, col.key)]] = typed(fig[row][col.key], style, col.unit, rng)
    fill(lay, style, person, rng)
    return lay


def a4_layout(u: Unit, style, person, rng) -> SheetLayout:
    schema = SCHEMAS["a4"]
    lay = layout_form(schema, records=max(3, len(u.hazards)))
    for i, h in enumerate(u.hazards):
        row = {"seq": i + 1, "place": h["place"], "hazard": h["hazard"], "measures": h["measures"],
               "status": h["status"], "remark": ""}
        for key, value in row.items():
            if value != "":
                lay.cells[lay.data_cells[(str(i), key)]] = value
    if not u.hazards:
        none_row(lay, rng, ("place", "hazard", "measures", "status"))
    fill(lay, style, person, rng)
    return lay


def none_row(lay: SheetLayout, rng: random.Random, columns: tuple[str, ...]) -> None:
    """"Nothing to list", as clerks write it: 无 in the first column, or in every column."""
    word = rng.choice(NONE_WORDS)
    if rng.random() < 0.5:
        lay.cells[lay.data_cells[("0", columns[0])]] = word
    else:
        if ("0", "seq") in lay.data_cells:
            lay.cells[lay.data_cells[("0", "seq")]] = 1
        for key in columns:
            lay.cells[lay.data_cells[("0", key)]] = word


def a5_layout(u: Unit, style, person, rng, amounts_in_yuan: bool = False) -> SheetLayout:
    schema = SCHEMAS["a5"]
    lists = {k: list(u.names.get(k, [])) for k in ("suspended", "closed", "fined")}
    n = max([3] + [len(v) for v in lists.values()])
    lay = layout_form(schema, records=n)
    for i in range(n):
        for key in lists:
            if i < len(lists[key]):
                lay.cells[lay.data_cells[(str(i), key)]] = lists[key][i]
        if i < len(u.fines):
            amount = u.fines[i] * 10000 if amounts_in_yuan else u.fines[i]
            lay.cells[lay.data_cells[(str(i), "fine_amount")]] = amount
        if i == 0 and lists["suspended"]:
            lay.cells[lay.data_cells[(str(i), "interviewed")]] = lists["suspended"][0]
    if not any(lists.values()):
        none_row(lay, rng, ("suspended", "closed", "fined"))
    fill(lay, style, person, rng)
    return lay


def a6_layout(fac, style, person, rng) -> SheetLayout:
    schema = SCHEMAS["a6"]
    lay = layout_form(schema)
    for key, values in fac.items():
        for col, v in zip(("existing", "added", "funds"), values):
            lay.cells[lay.data_cells[(key, col)]] = typed(v, style, "", rng)
    fill(lay, style, person, rng)
    return lay


NEWS = ["组织开展辖区景区、景点拉网式排查", "联合消防、市场监管开展夜查", "对涉水危险区域开展专项巡查",
        "召开专项整治推进会，部署重点任务", "对旅行社开展安全检查"]
PRACTICES = ["建立隐患“清单制+责任制”，逐条跟踪销号", "网格员每日巡查，发现问题即拍即报",
             "邀请专家“把脉问诊”，提升检查专业性", "推行“双随机、一公开”联合检查"]
PROBLEMS = ["部分经营单位主体责任落实不到位", "老旧景点设施改造资金不足", "临水区域警示设施易损坏"]


def narrative_layout(u: Unit, week: dt.date, rng: random.Random) -> SheetLayout:
    """The 工作情况 sheet: five short texts (需协调解决事项 often left blank)."""
    lay = layout_form(SCHEMAS["narrative"], submitter=u.name)
    texts = {"news": f"{week.month}月{week.day}日前，{rng.choice(NEWS)}，检查场所 {rng.randint(3, 12)} 处。",
             "practices": rng.choice(PRACTICES), "problems": rng.choice(PROBLEMS),
             "coordination": "" if rng.random() < 0.6 else "建议区财政统筹安排景点安全设施改造资金。",
             "next_steps": "继续推进隐患整改销号，加强节假日期间巡查。"}
    for key, text in texts.items():
        if text:
            lay.cells[lay.data_cells[("", key)]] = text
    return lay


def stack(layouts: list[SheetLayout], name: str) -> SheetLayout:
    """All forms one under another on a single sheet, two blank rows apart."""
    out = SheetLayout(name, ncols=max(x.ncols for x in layouts))
    dr = 0
    for lay in layouts:
        s = lay.shifted(dr, 0)
        out.cells.update(s.cells)
        out.merges += s.merges
        out.widths.update(s.widths)
        out.header_cells |= s.header_cells
        dr = max(r for r, _ in s.cells) + 3
    return out


# --- writers ----------------------------------------------------------------------------------


def write_openpyxl(sheets: list[SheetLayout], path: Path, formulas: dict | None = None) -> None:
    """The package's own layout writer (openpyxl); `formulas` plants formulas with no cached value."""
    write_layouts(sheets, path, formulas)


def write_xlsxwriter(sheets: list[SheetLayout], path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
    for lay in sheets:
        ws = wb.add_worksheet(lay.name)
        merged_tl = {(a, b): (a, b, x, y) for a, b, x, y in lay.merges}
        covered = {(r, c) for a, b, x, y in lay.merges for r in range(a, x + 1) for c in range(b, y + 1)}
        for (r, c), v in lay.cells.items():
            fmt = head if (r, c) in lay.header_cells else None
            if (r, c) in merged_tl:
                a, b, x, y = merged_tl[(r, c)]
                ws.merge_range(a, b, x, y, v, fmt)
            elif (r, c) not in covered:
                ws.write(r, c, v, fmt) if fmt else ws.write(r, c, v)
        for a, b, x, y in lay.merges:
            if (a, b) not in lay.cells:
                ws.merge_range(a, b, x, y, "", head)
        for c, w in lay.widths.items():
            ws.set_column(c, c, w)
    wb.close()


def write_xlwt(sheets: list[SheetLayout], path: Path) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for lay in sheets:
        ws = wb.add_sheet(lay.name)
        merged_tl = {(a, b): (a, b, x, y) for a, b, x, y in lay.merges}
        covered = {(r, c) for a, b, x, y in lay.merges for r in range(a, x + 1) for c in range(b, y + 1)}
        for (r, c), v in lay.cells.items():
            if (r, c) in merged_tl:
                a, b, x, y = merged_tl[(r, c)]
                ws.write_merge(a, x, b, y, v)
            elif (r, c) not in covered:
                ws.write(r, c, v)
    wb.save(str(path))


# --- the fire-lane form (seed 001, 附件2): a free layout -------------------------------------


def fire_lanes_layout(submitter: str, values: dict, person) -> SheetLayout:
    s = SheetLayout("打通消防生命通道", ncols=7)
    s.put(0, 0, "附件2")
    s.put(1, 0, "打通消防生命通道工作统计表")
    s.merge(1, 0, 1, 6)
    s.put(2, 0, "方案制定", True)
    s.merge(2, 0, 3, 2)
    for i, key in enumerate(("plan_city", "plan_county", "plan_old")):
        s.put(2, 3 + i, ["制定市级“一城一策”消防车通道治理方案（份）", "制定县级“一城一策”消防车通道治理方案（份）",
                         "制定老旧小区“一区一策”治理方案（份）"][i], True)
        s.put(3, 3 + i, values.get(key, ""))
    s.put(4, 0, "划线管理", True)
    s.merge(4, 0, 15, 0)
    s.put(4, 1, "居住建筑", True)
    s.merge(4, 1, 13, 1)
    blocks = [(4, 2, "既有住宅小区", "existing_res", "现有数量（个）", True),
              (6, 2, "老旧小区", "old_res", "现有数量（个）", True),
              (8, 3, "2020年", "new2020", "建成数量（个）", False),
              (10, 3, "2021年", "new2021", "建成数量（个）", False),
              (12, 3, "2022年", "new2022", "建成数量（个）", False),
              (14, 1, "公共建筑", "public", "现有数量（个）", True)]
    s.put(8, 2, "新建住宅小区", True)
    s.merge(8, 2, 13, 2)
    for r, c, label, key, first, rate in blocks:
        s.put(r, c, label, True)
        if c == 1:
            s.merge(r, 1, r + 1, 2)
        start = 3 if c < 3 else 4
        labels = [first, "已按标准划线（个）", "未划线（个）"] + (["完成率（%）"] if rate else [])
        suffixes = ["count", "marked", "unmarked", "rate"]
        for i, lab in enumerate(labels):
            s.put(r, start + i, lab, True)
            v = values.get(f"{key}_{suffixes[i]}", "")
            s.put(r + 1, start + i, v)
    s.put(16, 0, "公共停车设施建设", True)
    s.merge(16, 0, 20, 0)
    s.put(16, 1, "地上停车场", True)
    s.merge(16, 1, 16, 2)
    s.put(16, 3, "人防设施改造", True)
    s.put(16, 4, "道路车位", True)
    s.put(16, 5, "是否启动编制城市停车设施建设专项规划", True)
    s.merge(16, 5, 19, 5)
    for c, lab, key in ((1, "规划数量（个）", "parking_planned"), (2, "规划车位（个）", "parking_planned_spaces"),
                        (3, "改造数量（处）", "civil_defence_converted"), (4, "新增数量（个）", "road_spaces_added")):
        s.put(17, c, lab, True)
        s.put(18, c, values.get(key, ""))
    for c, lab in ((1, "建成数量（个）"), (2, "建成数量（个）"), (3, "改造车位（个）")):
        s.put(19, c, lab, True)
    s.put(20, 5, values.get("parking_plan_started", ""))
    s.put(21, 0, "备注：1、新建住宅小区建成数量以通过住建部门验收为准。3、公共停车设施建成、改造数量仅统计2020年以来的数据。")
    s.merge(21, 0, 21, 6)
    reviewer, filer, phone = person
    s.put(22, 0, f"填报单位：{submitter}      填报人：{filer}      联系电话：{phone}      审核人：{reviewer}")
    s.merge(22, 0, 22, 6)
    for c in range(7):
        s.widths[c] = 14
    return s


# --- the samples --------------------------------------------------------------------------------


def main() -> None:
    out = ROOT / "samples"
    for sub in ["2021-09-16", "2021-09-23", "2021-09-30", "flawed", "fire_lanes"]:
        shutil.rmtree(out / sub, ignore_errors=True)
        (out / sub).mkdir(parents=True)
    manifest: dict[str, list[dict]] = {}
    skipped: list[str] = []

    def expect(path: Path, *items: tuple[str, str, str]) -> None:
        rel = path.relative_to(out).as_posix()
        manifest.setdefault(rel, [])
        manifest[rel] += [{"code": c, "sheet": s, "cell": x} for c, s, x in items]

    units = [Unit(s.name, s.kind, random.Random(f"{s.name}-2021")) for s in ROSTER]
    people = {u.name: (PEOPLE[i % 12], PEOPLE[(i + 5) % 12], f"1{3 + i % 6}90595{1000 + i * 37:04d}")
              for i, u in enumerate(units)}
    kept_for_flaws: dict[str, tuple] = {}
    truth: dict[str, dict] = {}
    for w, week in enumerate(WEEKS):
        folder = out / week.isoformat()
        for u in units:
            rng = random.Random(f"{u.name}-{week}")
            fig = week_figures(u, w)
            fac = facilities(u, w)
            truth.setdefault(week.isoformat(), {})[u.name] = {
                row: {c.key: fig[row][c.key] for c in SCHEMAS["a3"].columns} for row in ("cumulative", "weekly")}
            style = Style(header_name=u.name, date=f"{week.year}年{week.month}月{week.day}日")
            if u.name == "开元街道":
                style.header_name = "开元街道办事处"  # an alias, matched to the roster
            if u.name == "区农水局":
                style.header_name = "鲤城区农业农村和水利局"
            if u.name == "鲤中街道":
                style.date = week.strftime("%Y.%-m.%-d")
            if u.name == "海滨街道":
                style.date = week.isoformat()
            if u.name == "区市场监管局":
                style.as_text = True  # "１２", "3项": normalised without a finding
            if u.name == "区委政法委":
                style.dash_zero = True  # zeros as — / blank: one warning per form
            person = people[u.name]
            layouts = [a3_layout(fig, style, person, rng), a4_layout(u, style, person, rng),
                       a5_layout(u, style, person, rng), a6_layout(fac, style, person, rng)]
            if NIL_RETURN.get(u.name) == "no-forms":  # nothing for 附件4/5: they are not sent
                layouts = [layouts[0], layouts[3]]
            if u.name not in ("区文旅局", "区委政法委", "区应急局"):  # most send the 工作情况 sheet too
                layouts.append(narrative_layout(u, week, rng))
            if u.name == "区城管局" and w == 1:
                for lay in layouts:  # header left empty: the file name tells who it is
                    r, c = lay.submitter_cell
                    lay.cells[(r, c)] = str(lay.cells[(r, c)]).split("：")[0] + "："
            base = f"{u.name}_{week.isoformat()}"
            if u.name == "区文旅局":
                for lay in layouts:  # one form per file
                    write_openpyxl([lay], folder / f"{u.name}_{lay.name}_{week.isoformat()}.xlsx")
                    expect(folder / f"{u.name}_{lay.name}_{week.isoformat()}.xlsx")
                continue
            if u.name == "区应急局":
                path = folder / f"{base}.xlsx"
                write_openpyxl([stack(layouts, "汇总")], path)  # all forms on one sheet
            elif u.name == "常泰街道":
                path = folder / f"{base}.xlsx"
                moved = [lay.shifted(2, 1) for lay in layouts]  # extra rows, moved right
                for lay in moved:
                    lay.cells[(0, 0)] = f"{u.name}专项整治周报（{week.month}月{week.day}日）"
                write_openpyxl(moved, path)
            elif u.name in ("鲤中街道", "区教育局"):
                path = folder / f"{base}.xlsx"
                write_xlsxwriter(layouts, path)
            elif u.name == "浮桥街道":
                path = folder / f"{base}.xls"
                write_xlwt(layouts, path)
            else:
                path = folder / f"{base}.xlsx"
                write_openpyxl(layouts, path)
            expect(path)
            if style.dash_zero:
                _expect_blank_warnings(path, layouts, fig, fac, u, expect)
            if w == 1:
                kept_for_flaws[u.name] = copy.deepcopy((fig, fac, u, style, person, layouts))

    make_flawed(out / "flawed", kept_for_flaws, expect, skipped)
    make_fire(out / "fire_lanes", expect)
    weeks = [w.isoformat() for w in WEEKS]
    file_of = lambda name, week: next(k for k in manifest if k.startswith(f"{week}/{name}_"))  # noqa: E731
    conventions = {
        "成员单位的重大隐患来自监督检查（附件3 第二个来源）":
            [k for k in manifest if k.startswith(f"{weeks[0]}/区文旅局_附件")]  # one form per file
            + [file_of(n, w) for n, t in truth[weeks[-1]].items() if n != "区文旅局"
               and t["cumulative"]["insp_found_major"] > 0 for w in weeks],
        "没有重大隐患和执法检查的单位不报附件4、附件5": [file_of("区委统战部（区民族宗教局）", w) for w in weeks],
        "附件4、附件5 报一行“无”“暂无”": [file_of("区教育局", w) for w in weeks],
        "场所改名（开元寺 → 开元寺景区）": [file_of("开元街道", w) for w in weeks[1:]],
        "同一企业两周各被罚款一次": [file_of("金龙街道", w) for w in weeks],
        "数字格写“暂无”“零”“未发现”": [file_of("区委政法委", w) for w in weeks],
    }
    data = {"about": "每个样例文件应报告的问题（code, sheet, cell）。由 scripts/make_samples.py 按注入的问题写出。",
            "files": dict(sorted(manifest.items())), "skipped": sorted(skipped + ["README.md", "manifest.json", "truth.json"]),
            "conventions_without_errors": conventions, "receipts": receipts(),
            "expected_status": {w: {u.name: ("迟报" if (w, u.name) in LATE else "按时") for u in ROSTER} for w in weeks}}
    (out / "truth.json").write_text(json.dumps(
        {"about": "各单位各周附件3 的真实数字（生成时写入的值），测试用来核对汇总结果。", "a3": truth},
        ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(manifest)} sample files to {out}")


def _expect_blank_warnings(path, layouts, fig, fac, u, expect) -> None:
    """One blank-as-zero warning per form that has a zero, at its first zero cell."""
    a3, a6 = layouts[0], layouts[3]
    for lay, values in ((a3, {(r, c.key): fig[r][c.key] for r in ("cumulative", "weekly")
                              for c in SCHEMAS["a3"].columns}),
                        (a6, {(k, col): fac[k][i] for k in fac for i, col in enumerate(("existing", "added", "funds"))})):
        zeros = sorted(lay.data_cells[k] for k, v in values.items() if v == 0)
        if zeros:
            expect(path, ("blank-as-zero", lay.name, a1(*zeros[0])))


def make_flawed(folder: Path, kept: dict, expect, skipped: list[str]) -> None:
    """Copies of good 2021-09-23 filings, each with a few injected mistakes."""

    def rebuild(name, mutate_fig=None, mutate=None, writer=write_openpyxl, filename=None, yuan=False, **kw):
        fig, fac, u, style, person, _ = kept[name]
        fig = {k: dict(v) for k, v in fig.items()}
        if mutate_fig:
            mutate_fig(fig)
        rng = random.Random(f"flawed-{name}")
        style = Style(header_name=style.header_name, date=style.date)
        layouts = [a3_layout(fig, style, person, rng), a4_layout(u, style, person, rng),
                   a5_layout(u, style, person, rng, amounts_in_yuan=yuan), a6_layout(fac, style, person, rng)]
        if mutate:
            mutate(layouts)
        path = folder / (filename or f"{name}.xlsx")
        writer(layouts, path, **kw) if kw else writer(layouts, path)
        expect(path)
        return path, layouts

    def a3cell(layouts, row, col):
        return a1(*layouts[0].data_cells[(row, col)])

    # 1. 合计不符: 已完成整改隐患总数 one too many in 累计数
    def bump_fixed_total(fig):
        fig["cumulative"]["fixed_total"] += 1
    path, lays = rebuild("开元街道", bump_fixed_total, filename="合计不符_开元街道.xlsx")
    expect(path, ("sum-mismatch", "附件3", a3cell(lays, "cumulative", "fixed_total")))

    # 2. 当周数大于累计数 (参加人员)
    def weekly_inspectors(fig):
        fig["weekly"]["inspectors"] = fig["cumulative"]["inspectors"] + 5
    path, lays = rebuild("海滨街道", weekly_inspectors, filename="当周大于累计_海滨街道.xlsx")
    expect(path, ("weekly-exceeds-cumulative", "附件3", a3cell(lays, "weekly", "inspectors")))

    # 3. 群众举报：核实查处数 > 隐患数
    def verified(fig):
        fig["cumulative"]["reports_verified"] = fig["cumulative"]["reports"] + 2
        fig["weekly"]["reports_verified"] = 0
    path, lays = rebuild("金龙街道", verified, filename="核实多于举报_金龙街道.xlsx")
    expect(path, ("exceeds", "附件3", a3cell(lays, "cumulative", "reports_verified")))

    # 4. 元/万元: 附件5 罚款金额 typed in 元
    name = next(n for n, k in kept.items() if k[0]["cumulative"]["fine_amount"] > 0 and n != "区文旅局")
    path, lays = rebuild(name, yuan=True, filename=f"罚款按元填写_{name}.xlsx")
    expect(path, ("unit-slip-yuan", "附件5", _region(lays[2])))

    # 5. 罚款企业数 > 0 but 罚款 0 in both rows (and so 附件5's amounts no longer agree)
    def no_fine(fig):
        for row in ("cumulative", "weekly"):
            fig[row]["fine_amount"] = 0
    path, lays = rebuild(name, no_fine, filename=f"罚款为零_{name}.xlsx")
    for row in ("cumulative", "weekly"):
        if kept[name][0][row]["fined_count"] > 0:
            expect(path, ("pair-mismatch", "附件3", a3cell(lays, row, "fined_count")))
    expect(path, ("amount-mismatch", "附件5", _region(lays[2])))

    # 6. 表尾：no reviewer, a phone number too short (附件3 only)
    def bad_footer(layouts):
        lay = layouts[0]
        lay.cells[(lay.footer_row, 0)] = footer_text("", "陈伟", "1390595", "2021年9月23日")
    path, lays = rebuild("临江街道", mutate=bad_footer, filename="表尾不全_临江街道.xlsx")
    ref = a1(lays[0].footer_row, 0)
    expect(path, ("missing-signature", "附件3", ref), ("invalid-phone", "附件3", ref))

    # 7. 不是数字 and 负数
    def words(layouts):
        lay = layouts[0]
        lay.cells[lay.data_cells[("weekly", "inspectors")]] = "十二"
        lay.cells[lay.data_cells[("cumulative", "other_penalties")]] = -1
    path, lays = rebuild("江南街道", mutate=words, filename="文字和负数_江南街道.xlsx")
    expect(path, ("not-a-number", "附件3", a3cell(lays, "weekly", "inspectors")),
           ("negative-number", "附件3", a3cell(lays, "cumulative", "other_penalties")))

    # 8. 公式没有计算结果 (written by a program, never opened in Excel)
    _, _, _, _, _, lays0 = kept["区自然资源局"]
    ref = a1(*lays0[0].data_cells[("cumulative", "found_total")])
    g, m = (a1(*lays0[0].data_cells[("cumulative", k)]) for k in ("found_general", "found_major"))
    path, lays = rebuild("区自然资源局", filename="公式未计算_区自然资源局.xlsx",
                         formulas={"附件3": {ref: f"={g}+{m}"}})
    expect(path, ("formula-without-value", "附件3", ref))

    # 9. 附件4: a status nobody understands; that record no longer counts as 整改完成
    name4 = next(n for n, k in kept.items() if any(h["status"] == "整改完成" for h in k[2].hazards)
                 and n not in ("区文旅局", "区应急局", "常泰街道", "浮桥街道", "区委政法委"))
    u4 = kept[name4][2]
    idx = next(i for i, h in enumerate(u4.hazards) if h["status"] == "整改完成")

    def odd_status(layouts):
        lay = layouts[1]
        lay.cells[lay.data_cells[(str(idx), "status")]] = "待验收"
    path, lays = rebuild(name4, mutate=odd_status, filename=f"状态无法识别_{name4}.xlsx")
    expect(path, ("unknown-status", "附件4", a1(*lays[1].data_cells[(str(idx), "status")])),
           ("count-mismatch", "附件4", _region(lays[1])))

    # 10. 填报单位不在名单内
    def stranger(layouts):
        for lay in layouts:
            lay.cells[lay.submitter_cell] = str(lay.cells[lay.submitter_cell]).split("：")[0] + "：鲤城区旅游协会"
    path, lays = rebuild("区教育局", mutate=stranger, filename="旅游协会.xlsx")
    expect(path, ("unknown-submitter", "附件3", a1(*lays[0].submitter_cell)))

    # 11. WPS .et, an Excel lock file and a note: one finding, two skipped
    et = folder / "区城管局_2021-09-23.et"
    et.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    expect(et, ("unsupported-format", "", ""))
    lock = folder / "~$合计不符_开元街道.xlsx"
    lock.write_bytes(b"\x0czhangsan" + b"\0" * 150)
    note = folder / "说明.txt"
    note.write_text("这些文件故意有错，用来演示校验。\n", encoding="utf-8")
    skipped += [lock.relative_to(folder.parent).as_posix(), note.relative_to(folder.parent).as_posix()]


def _region(lay: SheetLayout) -> str:
    """Where the reader says the form is: from its top to its footer row."""
    rows = [r for r, _ in lay.cells if r <= lay.footer_row]
    cols = [c for r, c in lay.cells if r <= lay.footer_row]
    return f"{a1(min(rows), min(cols))}:{a1(max(rows), max(cols))}"


def make_fire(folder: Path, expect) -> None:
    values = {"plan_city": 0, "plan_county": 1, "plan_old": 3,
              "existing_res_count": 120, "existing_res_marked": 90, "existing_res_unmarked": 30, "existing_res_rate": "75%",
              "old_res_count": 46, "old_res_marked": 20,  # 未划线, 完成率 left blank: computed
              "new2020_count": 8, "new2020_marked": 8, "new2020_unmarked": 0,
              "new2021_count": 5, "new2021_marked": 4, "new2021_unmarked": 1,
              "new2022_count": 0, "new2022_marked": 0, "new2022_unmarked": 0,
              "public_count": 64, "public_marked": 50, "public_unmarked": 14, "public_rate": 78.1,
              "parking_planned": 3, "parking_planned_spaces": 420, "civil_defence_converted": 2,
              "road_spaces_added": 150, "parking_plan_started": "是"}
    person = ("赵敏", "孙浩", "0595-22581234")
    lay = fire_lanes_layout("常泰街道", values, person)
    path = folder / "常泰街道_消防生命通道.xlsx"
    write_openpyxl([lay], path)
    expect(path)
    bad = dict(values, public_unmarked=10, public_rate=90)  # 64 − 50 is 14, not 10; 50/64 is 78 %
    lay = fire_lanes_layout("常泰街道", bad, person)
    path = folder / "常泰街道_消防生命通道_有误.xlsx"
    write_xlsxwriter([lay], path)
    expect(path, ("derived-mismatch", "打通消防生命通道", "F16"), ("derived-mismatch", "打通消防生命通道", "G16"))


if __name__ == "__main__":
    main()
