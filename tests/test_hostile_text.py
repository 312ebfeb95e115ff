"""A unit's text is data: whatever a filing holds (control characters, ESC sequences, NUL, bidi
overrides, line breaks, Markdown, HTML, formulas) comes out of every output as plain text — the
terminal, the e-mail, the Markdown, HTML and Word briefing, and the workbooks."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import PERSON, SCHEMAS, a3_layout, write
from safetyreport.outputs.layout import footer_text, layout_form

PIECES = ["\x1b[31m红字", "\x1b]0;标题\x07", "\n# 假标题", "\n## 二、伪造小节", "\r\n", "\x00", "\x07", "\x85",
          "\u2028", "\u202e倒序", "\u2066隔离", "<script>alert(1)</script>", "[链接](http://evil.example)",
          "![图](chart:trend)", "| 列 |", "*强调*", "_下划线_", "`代码`", "\\", "正常文字", "=HYPERLINK(\"http://x\")",
          "<h1>大标题</h1>", "&amp;", "\t", "＝1+1", "=1+1", "+1", "-2", "@SUM(A1)", "=cmd|' /C calc'!A0"]
hostile = st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map("".join)
BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _filing(folder: Path, text: str) -> Path:
    """开元街道's filing where every free-text cell says `text`."""
    a4 = layout_form(SCHEMAS["a4"], submitter="开元街道", records=2)
    for key in ("place", "hazard", "measures", "remark"):
        a4.cells[a4.data_cells[("0", key)]] = f"开元寺{text}" if key == "place" else text
    a4.cells[a4.data_cells[("0", "status")]] = "正在整改"
    a4.cells[(a4.footer_row, 0)] = footer_text(*PERSON, date="2021年9月16日")
    a5 = layout_form(SCHEMAS["a5"], submitter="开元街道", records=2)
    a5.cells[a5.data_cells[("0", "interviewed")]] = f"某公司{text}"
    a5.cells[(a5.footer_row, 0)] = footer_text(*PERSON, date="2021年9月16日")
    a6 = layout_form(SCHEMAS["a6"], submitter="开元街道", extra_rows=[f"其他设施{text}"])
    for rc in a6.data_cells.values():
        a6.cells[rc] = 1
    a6.cells[(a6.footer_row, 0)] = footer_text(*PERSON, date="2021年9月16日")
    nar = layout_form(SCHEMAS["narrative"], submitter="开元街道")
    for key in ("news", "practices", "problems", "coordination", "next_steps"):
        nar.cells[nar.data_cells[("", key)]] = text
    a3 = a3_layout({(row, k): 1 for row in ("cumulative", "weekly") for k in ("found_major", "found_total")},
                   footer=footer_text(PERSON[0], f"李华{text}", PERSON[2], "2021年9月16日"))
    safe_name = text.replace("/", "").replace("\x00", "")[:40]
    return write([a3, a4, a5, a6, nar], folder / f"开元街道{safe_name}")


@settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.generate],  # each example is a whole
          suppress_health_check=[HealthCheck.function_scoped_fixture])          # campaign: no slow shrinking
@given(text=hostile)
def test_hostile_text_is_plain_text_in_every_output(tmp_path_factory, text):
    import docx
    import openpyxl
    from rich.console import Console

    from safetyreport.cli import console as printing
    from safetyreport.config import load_config
    from safetyreport.mail.send import build, status_messages
    from safetyreport.outputs.export import export_job
    from safetyreport.workflow import board_job, init_job, intake_job, merge_job, report_job, status_job

    folder = tmp_path_factory.mktemp("c")
    init_job(folder)
    cfg = load_config(folder / "safetyreport.toml")
    path = _filing(folder / "in", text)
    taken = intake_job(cfg, [path], "2021-09-16", "2021-09-16 09:00")
    merged = merge_job(cfg, [], "2021-09-16")
    status = status_job(cfg, "2021-09-16", at=dt.datetime(2021, 9, 16, 12, 5, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    report = report_job(cfg, "weekly", "2021-09-16", None)
    board = board_job(cfg, "2021-09-16", None, status.report.deadline)
    exports = [p for fmt in ("xlsx", "csv", "parquet") for p in export_job(cfg, folder / "导出", fmt).files]

    # the terminal: no escape sequence, control character or bidi override from the filing
    out = io.StringIO()
    con = Console(file=out, width=200, highlight=False, soft_wrap=True)
    printing.print_intake(taken, con)
    printing.print_merge(merged, con)
    printing.print_status(status, con)
    assert not BAD.search(out.getvalue().replace("\n", "")), repr(out.getvalue())

    # the e-mail: headers on one line, bodies with no control characters
    for message in status_messages(cfg, status.report, notify_submitters=True):
        raw = build(cfg, message)
        for name, value in raw.items():
            assert "\n" not in str(value) and not BAD.search(str(value)), (name, value)
        for part in raw.walk():
            if part.get_content_maintype() == "text":
                assert not BAD.search(part.get_content().replace("\n", "")), part.get_content()

    files = {p.suffix: p for p in report.files if not p.stem.endswith("_附件")}
    for annex in (p for p in report.files if p.stem.endswith("_附件")):  # the annex: plain text too
        d = docx.Document(str(annex))
        assert not any(BAD.search(t) for t in [p.text for p in d.paragraphs]
                       + [c.text for t in d.tables for r in t.rows for c in r.cells])
    # Markdown: one title, the template's own sections only, no raw HTML or link or image
    md = files[".md"].read_text(encoding="utf-8")
    assert len([ln for ln in md.splitlines() if ln.startswith("# ")]) == 1
    sections = [ln for ln in md.splitlines() if ln.startswith("## ")]
    assert sections[:6] == ["## 一、总体情况", "## 二、各街道和成员单位情况", "## 三、重大隐患整改情况",
                            "## 四、执法检查情况", "## 五、报送情况", "## 六、各地各部门工作情况"]
    rest = [x for x in sections[6:] if x != "## 七、工作建议"]  # 建议 when the figures call for them
    assert rest in ([], ["## 附件　其余重大隐患、名单和各单位工作情况"])
    charts = re.compile(r"^!\[图1 [^\]]*\]\([^)/\\]*_图1\.png\)$", re.M)  # the template's own figure, beside it
    assert len(charts.findall(md)) <= 1  # the trend, from the second week on
    body = charts.sub("", md)
    assert not re.search(r"(?<!\\)<[a-zA-Z/]", body) and not re.search(r"(?<!\\)\]\(", body)
    assert not BAD.search(md.replace("\n", ""))
    # HTML: one masthead, no element from the filing
    page = files[".html"].read_text(encoding="utf-8")
    assert page.count("<h1") == 1 and "<script" not in page and "<h1>大标题" not in page
    assert not BAD.search(page.replace("\n", ""))
    # Word: opens, one red title, no control character in any paragraph or cell
    d = docx.Document(str(files[".docx"]))
    texts = [p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells]
    assert sum(1 for p in d.paragraphs if p.text == report.briefing.masthead) == 1
    assert not any(BAD.search(t) for t in texts)
    # the board: no element from the filing
    page = board.path.read_text(encoding="utf-8")
    assert "<script" not in page and "<h1>大标题" not in page and page.count("<h1") == 1
    assert not BAD.search(page.replace("\n", ""))
    # the workbooks and the export: text stays text (never a formula), nothing that drives a
    # terminal or reverses a line
    for book in (merged.workbook, merged.district_filing, *[p for p in exports if p.suffix == ".xlsx"]):
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", (book.name, ws.title, c.coordinate, c.value)
                    if isinstance(c.value, str):
                        assert not BAD.search(c.value.replace("\n", "")), (book.name, ws.title, c.value)
    import csv
    import unicodedata

    for sheet in (p for p in exports if p.suffix == ".csv"):
        with sheet.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.reader(f):
                for v in row:
                    assert not unicodedata.normalize("NFKC", v[:1]).startswith(("=", "+", "@", "\t", "\r")), v
                    assert not v.startswith("-") or re.fullmatch(r"-\d+(\.\d+)?", v), v  # a number, or '-…
                    assert not BAD.search(v.replace("\n", "")), v
    import pandas as pd

    for table in (p for p in exports if p.suffix == ".parquet"):  # no formulas there, but no control characters
        frame = pd.read_parquet(table)
        texts = [v for col in frame.columns for v in frame[col].tolist() if isinstance(v, str)]
        texts += [v for v in frame.index.tolist() if isinstance(v, str)]
        assert texts and not [v for v in texts if BAD.search(v.replace("\n", ""))]


@settings(max_examples=400, deadline=None)
@given(st.one_of(hostile, st.text()), st.booleans())
def test_neutral_gives_clean_text_back_as_it_is_and_changes_the_rest_in_full(text, keep_newlines):
    """The shortcut (a text with nothing to change is given back) says what the full neutraliser
    says, for hostile pieces and for any text at all."""
    from safetyreport.values import neutral, neutral_in_full

    assert neutral(text, keep_newlines) == neutral_in_full(text, keep_newlines)
    every = "".join(chr(c) for c in range(0x00, 0xA0)) + "\u061c\u200e\u200f\u202a\u202e\u2066\u2069\u2028\u2029"
    assert neutral(every, keep_newlines) == neutral_in_full(every, keep_newlines)
