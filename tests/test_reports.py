"""Briefings rendered from the samples, read back (HTML parsed, DOCX with python-docx) and
checked against merge's --json; user text escaped; 第N期 numbering; Chinese chart glyphs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import cli, cli_json, consistent_filing, write
from safetyreport.workflow import init_job


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    assert cli("demo", str(folder))[0] == 0
    return folder


class Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts, and all visible text."""

    def __init__(self):
        super().__init__()
        self.tables, self.text, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell += data


def fmt(v) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def pct1(num, den) -> str:
    return f"{round(100 * num / den, 1):.1f}%"


def test_weekly_briefing_figures_equal_merge_json(demo):
    cfg = str(demo / "safetyreport.toml")
    _, merged = cli_json("merge", "--period", "2021-09-30", "--config", cfg)
    _, prev = cli_json("merge", "--period", "2021-09-23", "--config", cfg)
    code, out = cli_json("report", "weekly", "--period", "2021-09-30", "--config", cfg)
    assert code == 0 and out["issue"] == "第3期"
    files = {Path(f).name.removeprefix("工作简报第3期_2021-09-30"): Path(f) for f in out["files"]}
    assert set(files) == {".md", ".html", ".docx", "_附件.docx"}
    page = Tables()
    page.feed(files[".html"].read_text(encoding="utf-8"))
    # 表1: 项目 | 单位 | 累计 | 本周 | 较上周
    overview = {row[0]: row[2:] for row in page.tables[0][1:]}
    t, w = merged["totals"]["cumulative"], merged["totals"]["weekly"]
    pw = prev["totals"]["weekly"]
    # 隐患 of both sources: each unit's 排查 and the 联席会议成员部门监督检查
    both = lambda d, a, b: d[a] + d[b]  # noqa: E731
    found, found_w = both(t, "found_total", "insp_found_total"), both(w, "found_total", "insp_found_total")
    assert overview["发现隐患合计"] == [fmt(found), fmt(found_w),
                                   f"{found_w - both(pw, 'found_total', 'insp_found_total'):+g}"]
    assert overview["其中：排查发现"][:2] == [fmt(t["found_total"]), fmt(w["found_total"])]
    assert overview["其中：监督检查发现"][:2] == [fmt(t["insp_found_total"]), fmt(w["insp_found_total"])]
    assert overview["重大隐患合计"][0] == fmt(both(t, "found_major", "insp_found_major"))
    assert overview["景区和非景区景点（街道统计）"] == [fmt(t["sites"]), "—", "—"]
    assert "罚款金额" not in overview  # 执法 is told in section 四, with this week's and the total
    text = "".join(page.text)
    assert f"罚款金额 {fmt(w['fine_amount'])}（{fmt(t['fine_amount'])}）万元" in text
    fixed = both(t, "fixed_total", "insp_fixed_total")
    assert f"整改率 {pct1(fixed, found)}" in text and "第3期" in text
    units = {row[0]: row for row in page.tables[1][1:]}
    for s in merged["submitters"]:
        assert units[s["name"]][1] == fmt(both(s["cumulative"], "found_total", "insp_found_total"))
    assert units["合计"][1] == fmt(found) and units["合计"][5] == fmt(found_w)
    assert "<img" in files[".html"].read_text(encoding="utf-8")  # charts embedded, self-contained
    import docx

    d = docx.Document(str(files[".docx"]))
    paragraphs = [p.text for p in d.paragraphs]
    assert paragraphs[:3] == ["鲤城区景区和非景区景点安全管理专项整治", "工作简报", "第3期"]
    assert paragraphs[3] == "鲤城区专项整治联席办信息宣传组\t2021年9月30日"
    assert d.tables[0].rows[0].cells[0].text.startswith("本期要点")
    first = d.tables[1]
    found_row = next(r for r in first.rows if r.cells[0].text == "发现隐患合计")
    assert [c.text for c in found_row.cells[1:4]] == ["项", fmt(found), fmt(found_w)]
    assert len(d.inline_shapes) == 1
    section = d.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert "PAGE" in section.footer.paragraphs[0]._p.xml
    assert "附件：其余重大隐患、名单和各单位工作情况" in paragraphs
    annex = "\n".join(p.text for p in docx.Document(str(files["_附件.docx"])).paragraphs)
    assert annex.startswith("工作简报第3期　附件\n其余重大隐患、名单和各单位工作情况")


def test_issue_numbers_count_from_the_first_week(demo):
    cfg = str(demo / "safetyreport.toml")
    for period, issue in (("2021-09-16", "第1期"), ("第2周", "第2期")):
        code, out = cli_json("report", "weekly", "--period", period, "--format", "md", "--config", cfg)
        assert out["issue"] == issue
        assert issue in Path(out["files"][0]).read_text(encoding="utf-8")


def test_narratives_open_hazards_and_filing_status_are_in_the_briefing(demo):
    cfg = str(demo / "safetyreport.toml")
    _, out = cli_json("report", "weekly", "--period", "2021-09-23", "--format", "md", "--config", cfg)
    md = Path(out["files"][0]).read_text(encoding="utf-8")
    assert "### （一）工作动态" in md
    b = out["briefing"]
    late = b["filing"]["late"]
    assert [x["name"] for x in late] == ["区城管局"]  # the demo's late filer that week, and how late
    assert f"迟报：区城管局（晚 {late[0]['by']}）" in md and "小时" in late[0]["by"]
    assert "本周迟报：区城管局" in md  # in 本期要点 too
    # a unit that sent no 工作情况 is named, not silently left out
    assert b["filing"]["no_narrative"] and "未报工作情况：" + "、".join(b["filing"]["no_narrative"]) in md
    assert b["totals"]["open_major"] == len(b["open_hazards"]) > 0
    days = [h["days"] for h in b["open_hazards"]]
    assert days == sorted(days, reverse=True) and days[0] == 7  # first reported 9月16日, counted to 9月23日
    # 工作情况 condensed: each group names its units; the statements the cap left out are in the annex
    groups = b["narratives"][0]["entries"]
    assert len(groups) == 1 and groups[0]["count"] >= 2
    assert f"{groups[0]['units']}：{groups[0]['text']}" in md
    shown = {n for g in b["narratives"] for e in g["entries"] for n in e["names"]}
    annexed = {n for g in b["annex"] for e in g["entries"] for n in e["names"]}
    _, status = cli_json("status", "--period", "2021-09-23", "--config", cfg)
    sent = {r["name"] for r in status["submitters"]} - set(b["filing"]["no_narrative"])
    assert shown | annexed == sent and annexed  # every unit that sent 工作情况 is in the body or the annex
    assert "## 附件　其余重大隐患、名单和各单位工作情况" in md
    assert ":::" not in md and "> **本期要点**" in md  # boxes as quotes a Markdown viewer shows


def test_user_text_is_escaped(tmp_path):
    camp = tmp_path / "c"
    init_job(camp)
    inbox = tmp_path / "2021-09-16"
    inbox.mkdir()
    from make_samples import SCHEMAS as S
    from safetyreport.outputs.layout import layout_form

    _, _, _, layouts = consistent_filing("开元街道", 1)
    nar = layout_form(S["narrative"], submitter="开元街道")
    nar.cells[nar.data_cells[("", "news")]] = "<script>alert('x')</script> A<&>B | 第二列"
    write([*layouts, nar], inbox / "开元街道")
    cfg = str(camp / "safetyreport.toml")
    cli_json("merge", str(inbox), "--period", "2021-09-16", "--config", cfg)
    _, out = cli_json("report", "weekly", "--config", cfg)
    files = {Path(f).suffix: Path(f) for f in out["files"]}
    page = files[".html"].read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page and "A&lt;&amp;&gt;B" in page
    md = files[".md"].read_text(encoding="utf-8")
    # Markdown's punctuation escaped: no raw HTML in any Markdown viewer; a pipe cannot split a table
    assert "开元街道：\\<script\\>alert('x')\\</script\\> A\\<&\\>B ｜ 第二列" in md
    import docx

    text = "\n".join(p.text for p in docx.Document(str(files[".docx"])).paragraphs)
    assert "A<&>B" in text


@pytest.mark.parametrize("font", ["system", "bundled"])
def test_charts_have_no_missing_glyphs(font):
    """Drawn with the system's Chinese font when it has one, else the shipped subset: with
    warnings as errors (matplotlib warns "Glyph … missing from font(s)" for every empty box)."""
    code = """
import warnings, sys
warnings.simplefilter("error")
from safetyreport.outputs import charts
png = charts.trend([{"label": "9/16", "found": 10, "fixed": 5, "weekly_found": 10, "weekly_fixed": 5},
                    {"label": "9/23", "found": 20, "fixed": 15, "weekly_found": 10, "weekly_fixed": 10}])
png2 = charts.unit_rates([{"name": "区委统战部（区民族宗教局）", "rate_value": 90.0},
                          {"name": "鲤城公安分局，淼鑫犇骉", "rate_value": 75.5}])
import matplotlib
print(matplotlib.rcParams["font.sans-serif"][0])
assert png[:8] == b"\\x89PNG\\r\\n\\x1a\\n" and png2[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
"""
    env = dict(os.environ, SAFETYREPORT_CHART_FONT="bundled" if font == "bundled" else "")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    if font == "bundled":
        assert proc.stdout.strip() == "SafetyReport CJK SC"


def test_the_shipped_font_covers_gb2312_and_every_name_we_print():
    from fontTools.ttLib import TTFont

    from safetyreport.config import load_config
    from safetyreport.outputs.charts import BUNDLED

    cmap = TTFont(str(BUNDLED))["cmap"].getBestCmap()
    gb = {ord(bytes([hi, lo]).decode("gb2312")) for hi in range(0xB0, 0xF8) for lo in range(0xA1, 0xFF)
          if _decodes(bytes([hi, lo]))}
    names = {ord(c) for s in load_config(None).submitters for c in s.name + "".join(s.aliases) if ord(c) > 0x2E80}
    assert not (gb | names) - set(cmap)
    assert len([c for c in cmap if 0x3400 <= c <= 0x9FFF or c >= 0x20000]) >= 8105
    assert BUNDLED.stat().st_size < 5 * 1024 * 1024
    assert "SIL OPEN FONT LICENSE" in (BUNDLED.parent / "OFL.txt").read_text(encoding="utf-8")


def _decodes(b: bytes) -> bool:
    try:
        b.decode("gb2312")
        return True
    except UnicodeDecodeError:
        return False


def test_monthly_is_the_difference_of_month_ends_and_says_why_when_weeks_disagree(demo, tmp_path):
    cfg = str(demo / "safetyreport.toml")
    code, out = cli_json("report", "monthly", "--month", "2021-09", "--format", "md", "--config", cfg)
    assert code == 0 and out["briefing"]["monthly"]["all_agree"]
    _, merged = cli_json("merge", "--period", "2021-09-30", "--config", cfg)
    rows = {r["label"]: r for r in out["briefing"]["monthly"]["rows"]}
    t = merged["totals"]["cumulative"]
    assert rows["发现隐患合计"]["month"] == fmt(t["found_total"] + t["insp_found_total"])  # first month
    assert rows["其中：监督检查发现"]["month"] == fmt(t["insp_found_total"])
    # a unit that skips week 2: its week-2 flows are in its week-3 cumulative, not in any 当周 sum
    camp = tmp_path / "c"
    init_job(camp)
    c = str(camp / "safetyreport.toml")
    for w, period in ((1, "2021-09-16"), (3, "2021-09-30")):
        folder = tmp_path / period
        folder.mkdir()
        write(consistent_filing("开元街道", w, seed="m")[3], folder / "开元街道")
        cli_json("merge", str(folder), "--period", period, "--config", c)
    _, out = cli_json("report", "monthly", "--month", "2021-09", "--format", "md", "--config", c)
    assert not out["briefing"]["monthly"]["all_agree"]
    md = Path(out["files"][0]).read_text(encoding="utf-8")
    assert "不一致" in md and "以月末累计差额为准" in md
    assert "开元街道：本月发现隐患" in md and "第2周（9月23日）未报送，当周数没有计入各周之和" in md


def test_summary_ranks_units_and_shows_the_filing_record(demo):
    code, out = cli_json("report", "summary", "--config", str(demo / "safetyreport.toml"))
    assert code == 0
    b = out["briefing"]
    rates = [u["rate_value"] for u in b["units"] if u["rate_value"] is not None]
    assert rates == sorted(rates, reverse=True) and b["units"][0]["rank"] in ("1", "1（并列）")
    # exactly the campaign's weeks so far, dated by the last of them (never after the summary's deadline)
    assert b["period_label"] == "第1周（9月16日）至第3周（9月30日），共 3 周" and b["date"] == "2021年9月30日"
    record = {r["name"]: r for r in b["filing"]["record"]}
    assert record["区城管局"]["迟报"] == 1 and record["海滨街道"]["迟报"] == 1
    md = Path(next(f for f in out["files"] if f.endswith(".md"))).read_text(encoding="utf-8")
    # the sections of a 总结: what was done (by phase, with the clerk's own paragraphs), results, cases,
    # problems the data show, next steps
    for section in ("## 一、工作开展情况", "## 二、主要成效", "## 三、典型案例", "## 四、存在问题",
                    "## 五、下一步打算和长效机制", "## 六、经验做法"):
        assert section in md, section
    assert "此后 7 周的报表尚未登记" in md  # it says where its data stop
    assert "（待补充：请在总结素材.md的“组织领导”一节填写。）" in md and (demo / "总结素材.md").is_file()
    assert "海滨街道（迟报 1 次）" in md and "已挂账 14 天" in md  # problems derived from the ledger
    assert "现已整改销号" in md  # a case chosen from the data
    suspended = next(x for x in b["enforcement"] if x["label"] == "停产停业整改")
    assert len(suspended["names"]) == b["totals"]["enforcement"]["suspended"]
    assert f"停产停业整改名单（{len(suspended['names'])} 家）" in md


def test_equal_rates_share_a_rank_shown_as_tied():
    from safetyreport.outputs.briefing import rank_units

    units = [{"name": n, "rate_value": r, "missing": False}
             for n, r in (("甲", 90.0), ("乙", 95.5), ("丙", 90.0), ("丁", 90.0), ("戊", None), ("己", 90.0), ("庚", 80.0))]
    ranks = {u["name"]: u["rank"] for u in rank_units(units)}
    assert ranks == {"乙": "1", "甲": "2（并列）", "丙": "2（并列）", "丁": "2（并列）", "己": "2（并列）",
                     "庚": "6", "戊": "—"}


def test_templates_are_the_customisation_point(demo, tmp_path):
    """An office edits wording in a template: copy the templates, change one, render with it."""
    from safetyreport.shipped import builtin_campaign

    custom = tmp_path / "templates"
    shutil.copytree(builtin_campaign() / "templates", custom)
    path = custom / "weekly.md.j2"
    path.write_text(path.read_text(encoding="utf-8").replace("## 一、总体情况", "## 一、本周总体情况（自定义）"),
                    encoding="utf-8")
    from safetyreport.outputs.briefing import Briefing
    from safetyreport.outputs.report import render_markdown

    _, out = cli_json("report", "weekly", "--period", "2021-09-30", "--format", "md", "--out", str(tmp_path / "o"),
                      "--config", str(demo / "safetyreport.toml"))
    b = Briefing(**out["briefing"])  # the briefing as --json gives it: the whole template's input
    default = render_markdown(b)
    assert "## 一、总体情况" in default and "## 一、本周总体情况（自定义）" not in default
    # the default template renders from the JSON exactly what the command wrote (chart links aside)
    written = Path(out["files"][0]).read_text(encoding="utf-8")
    from safetyreport.outputs.markdown import _quoted_boxes

    body = default.partition("\n")[2].replace("(chart:trend)", "(工作简报第3期_2021-09-30_图1.png)")
    assert _quoted_boxes(body) in written  # boxes written as quotes for Markdown viewers
    assert "## 一、本周总体情况（自定义）" in render_markdown(b, custom)


def test_a_report_never_states_what_its_data_cannot_support(demo):
    cfg = str(demo / "safetyreport.toml")
    code, out = cli("report", "monthly", "--month", "2021-10", "--config", cfg)
    assert code == 2 and "10月的各周都还没有收到报表" in out
    code, out = cli("report", "weekly", "--period", "2021-10-07", "--config", cfg)
    assert code == 2 and "第4周（10月8日）还没有收到任何报表" in out  # named by its holiday-shifted deadline


def test_no_internal_id_no_zero_days_and_every_unit_named(demo, tmp_path):
    import re

    cfg = str(demo / "safetyreport.toml")
    code, merged = cli_json("merge", "--period", "2021-09-30", "--out", str(tmp_path / "m"), "--config", cfg)
    ids = [d["id"] for d in merged["duplicates"]]
    assert ids
    for period in ("2021-09-16", "2021-09-30"):
        code, out = cli_json("report", "weekly", "--period", period, "--format", "md", "--out", str(tmp_path / period),
                             "--config", cfg)
        md = Path(out["files"][0]).read_text(encoding="utf-8")
        assert not [i for i in ids if i in md]  # a document a director signs shows no internal id
        assert not re.search(r"（0 天）", md)
    code, out = cli_json("report", "summary", "--format", "md", "--out", str(tmp_path / "s"), "--config", cfg)
    md = Path(out["files"][0]).read_text(encoding="utf-8")
    assert "名单已去除确认的重复" not in md and "家次" in md


def test_the_clerks_own_paragraphs_and_phases_go_into_the_summary(demo, tmp_path):
    folder = tmp_path / "c"
    shutil.copytree(demo, folder)
    toml = folder / "safetyreport.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'summary_notes = "总结素材.md"',
        'summary_notes = "总结素材.md"\nphases = [{ name = "动员部署", start = 2021-09-13, end = 2021-09-19 }, '
        '{ name = "排查整治", start = 2021-09-20, end = 2021-10-31 }]'), encoding="utf-8")
    (folder / "总结素材.md").write_text("## 组织领导\n区政府成立专项整治领导小组，召开联席会议 3 次。\n", encoding="utf-8")
    code, out = cli_json("report", "summary", "--format", "md", "--out", str(tmp_path / "o"), "--config", str(toml))
    md = Path(out["files"][0]).read_text(encoding="utf-8")
    assert "区政府成立专项整治领导小组，召开联席会议 3 次。" in md
    assert "动员部署（2021年9月13日至2021年9月19日，1 周）" in md and "排查整治（2021年9月20日至2021年10月31日，2 周）" in md
    assert (folder / "总结素材.md").read_text(encoding="utf-8").startswith("## 组织领导")  # never overwritten
    # the weekly names the phase its week falls in
    _, out = cli_json("report", "weekly", "--period", "2021-09-16", "--format", "md", "--out", str(tmp_path / "o"),
                      "--config", str(toml))
    md = Path(out["files"][0]).read_text(encoding="utf-8")
    assert "本周处于专项整治动员部署阶段（9月13日至9月19日）。" in md


def _closed(merged: dict) -> set[tuple[str, str, str]]:
    return {(i["submitter"], i["values"]["place"], i["values"]["hazard"]) for i in merged["lists"]["a4"]
            if i["values"]["status"] == "closed" and not i["duplicate_of"]}


def test_the_weekly_names_what_was_closed_suspended_and_shut_this_week(demo):
    """Issue 23: hazards closed this week with what was done, 整改措施 beside each open hazard,
    其他行政处罚, and the firms newly suspended or closed named (checked against merge --json)."""
    cfg = str(demo / "safetyreport.toml")
    _, now = cli_json("merge", "--period", "2021-09-30", "--config", cfg)
    _, before = cli_json("merge", "--period", "2021-09-23", "--config", cfg)
    _, out = cli_json("report", "weekly", "--period", "2021-09-30", "--format", "md", "--config", cfg)
    b, md = out["briefing"], Path(out["files"][0]).read_text(encoding="utf-8")
    # closed now and not closed the week before, the place as the unit retyped it (开元寺 → 开元寺景区)
    closed = {(u, p, h) for u, p, h in _closed(now)
              if not any(u == u0 and h == h0 and (p0 in p or p in p0) for u0, p0, h0 in _closed(before))}
    assert ("开元街道", "开元寺景区", "电气线路私拉乱接") in _closed(now) - closed  # closed on 9月23日 as 开元寺
    assert closed and {(c["unit"], c["place"], c["hazard"]) for c in b["closed"]} == closed
    assert f"本周整改销号重大隐患 {len(closed)} 项" in md
    measures = {(i["submitter"], i["values"]["place"]): i["values"]["measures"] for i in now["lists"]["a4"]}
    assert all(h["measures"] == measures[(h["unit"], h["place"])] for h in b["open_hazards"])
    assert "| 场所 | 填报单位 | 重大隐患 | 整改措施 | 首次报送 | 挂账天数 |" in md
    t, w = now["totals"]["cumulative"], now["totals"]["weekly"]
    assert f"其他行政处罚 {fmt(w['other_penalties'])}（{fmt(t['other_penalties'])}）家" in md
    for key, label in (("suspended", "停产停业整改"), ("closed", "取缔关闭")):
        def names(merged, key=key):
            return {(i["submitter"], n) for i in merged["lists"]["a5"] for n in i["values"].get(key) or []}
        new = names(now) - names(before)
        got = next(lst for lst in b["enforcement"] if lst["key"] == key)["new"]
        assert {(g["units"], g["name"]) for g in got} == new and new
        # more than four new names: the body counts them, the annex's lists name them with their units
        body = md.split("## 附件")[0]
        assert f"{label} {len(new)} 家" in body[body.index("本周新增停产停业整改"):].split("。")[0]
        assert all(f"| {name} | {unit} |" in md.split("## 附件")[1] for unit, name in new), label
    # the office's 建议: whom the figures single out (late filers; 重大隐患 open 14 days or more)
    _, status = cli_json("status", "--period", "2021-09-30", "--config", cfg)
    late = [r["name"] for r in status["submitters"] if "late" in r["codes"]]
    assert late and f"请{'、'.join(late)}严格按照每周报送时间要求报送报表。" in md
    old = [h for h in b["open_hazards"] if h["days"] >= 14]
    assert old and all(f"{h['unit']}督促{h['place']}（已挂账 {h['days']} 天）" in md for h in old[:3])
    groups = fmt(w["groups_total"])
    assert f"派出监督检查组 {groups} 个、{fmt(w['inspectors'])} 人次" in md  # the 督导 the members did this week
    assert "阶段（" not in md  # no phases configured, none claimed


def test_the_monthly_has_no_repeated_columns_and_names_late_units(demo):
    cfg = str(demo / "safetyreport.toml")
    _, out = cli_json("report", "monthly", "--month", "2021-09", "--format", "md", "--config", cfg)
    md = Path(out["files"][0]).read_text(encoding="utf-8")
    m = out["briefing"]["monthly"]
    # the first month: 本月 is the month-end cumulative, so one column, and the check said in the note
    assert "| 项目 | 单位 | 本月 |" in md and "核对 |" not in md and "各周之和 |" not in md
    assert "本月为专项整治首月" in md and "已与各周当周数之和逐项核对一致" in md
    assert "| 单位 | 本月发现 | 本月整改 | 整改率 |" in md
    _, merged = cli_json("merge", "--period", "2021-09-30", "--config", cfg)
    t = merged["totals"]["cumulative"]
    assert f"整改率 {pct1(t['fixed_total'] + t['insp_fixed_total'], t['found_total'] + t['insp_found_total'])}" in md
    assert f"罚款金额 {fmt(t['fine_amount'])}（{fmt(t['fine_amount'])}）万元" in md
    assert f"责令限期整改 {fmt(t['ordered'])}（{fmt(t['ordered'])}）家" in md
    late: dict[str, list[str]] = {}
    for week in ("2021-09-16", "2021-09-23", "2021-09-30"):
        _, status = cli_json("status", "--period", week, "--config", cfg)
        for r in status["submitters"]:
            if "late" in r["codes"]:
                late.setdefault(r["name"], []).append(f"第{status['period']['number']}周")
    assert late and m["filing_names"][0]["word"] == "迟报"
    assert {u["name"]: u["weeks"] for u in m["filing_names"][0]["units"]} == {k: "、".join(v) for k, v in late.items()}
    assert "2021年9月" in md and "9月月报" not in md
