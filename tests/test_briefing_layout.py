"""The briefings as a reader gets them: the Word document's official format read back from its XML,
and the Word and HTML documents rendered to PDF (LibreOffice, headless Chromium) with the pages
counted and every table number and header word found whole on one line of the PDF."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import cli, cli_json

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("render_pages", ROOT / "scripts" / "render_pages.py")
render_pages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_pages)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NUMBER = re.compile(r"^[-+]?\d[\d.,]*%?$|^持平$")
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                                   reason="LibreOffice 或 poppler-utils 未安装（.ci/run 会装）：跳过 Word 转 PDF 的检查")
CHROME = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_chrome = pytest.mark.skipif(CHROME is None or shutil.which("pdftotext") is None,
                                  reason="Chromium 或 poppler-utils 未安装（.ci/run 会装）：跳过 HTML 转 PDF 的检查")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    assert cli("demo", str(folder))[0] == 0
    return folder


@pytest.fixture(scope="module")
def reports(demo):
    """Each report's files by kind: weekly 第3期, the September monthly, the summary."""
    cfg = str(demo / "safetyreport.toml")
    out = {}
    for kind, args in (("weekly", ["--period", "2021-09-30"]), ("monthly", ["--month", "2021-09"]), ("summary", [])):
        code, res = cli_json("report", kind, *args, "--config", cfg)
        assert code == 0
        out[kind] = [Path(f) for f in res["files"] + res["figures"]]  # figures: the PNGs beside the Markdown
    return out


def _file(files: list[Path], suffix: str) -> Path:
    return next(f for f in files if f.name.endswith(suffix) and "附件" not in f.name)


# --- Word, read back -------------------------------------------------------------------------------------------


def _fonts(style) -> tuple[str | None, float | None]:
    rfonts = style.element.rPr.find(f"{W}rFonts") if style.element.rPr is not None else None
    return (rfonts.get(f"{W}eastAsia") if rfonts is not None else None,
            style.font.size.pt if style.font.size else None)


def test_word_has_the_official_styles_masthead_page_numbers_and_imprint(reports):
    import docx
    from docx.enum.text import WD_LINE_SPACING

    d = docx.Document(str(_file(reports["weekly"], ".docx")))
    normal, h1, h2 = d.styles["Normal"], d.styles["Heading 1"], d.styles["Heading 2"]
    assert _fonts(normal) == ("仿宋", 16.0)  # 仿宋 三号
    assert normal.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert normal.paragraph_format.line_spacing.pt == 27
    assert _fonts(h1)[0] == "黑体" and _fonts(h2)[0] == "楷体"
    styled = {p.text: p.style.name for p in d.paragraphs}
    assert styled["一、总体情况"] == "Heading 1" and styled["六、各地各部门工作情况"] == "Heading 1"
    assert styled["（一）工作动态"] == "Heading 2"
    # the masthead: campaign and 工作简报 in red, large; 第N期; issuer and date over a red rule
    mast = d.paragraphs[1].runs[0]
    assert mast.text == "工作简报" and mast.font.color.rgb == docx.shared.RGBColor(0xC0, 0, 0) and mast.font.size.pt >= 36
    rule = d.paragraphs[3]._p.find(f"{W}pPr/{W}pBdr/{W}bottom")
    assert rule is not None and rule.get(f"{W}color") == "C00000"
    # the campaign's name on one line: its size is chosen so that it fits the text width
    from safetyreport.outputs.report import TEXT_WIDTH_PT
    head = d.paragraphs[0].runs[0]
    assert len(head.text) * head.font.size.pt <= TEXT_WIDTH_PT
    # page numbers — N —
    footer = d.sections[0].footer.paragraphs[0]
    assert footer.text == "—  —" and "PAGE" in footer._p.xml
    # 版记 from config, with its rules: a table floated to the foot of the last page
    imprint = _imprint(d)
    assert [c.text for c in imprint.columns[0].cells] == [
        "报：区委、区政府", "送：市专项整治联席办", "发：各街道，区专项整治联席会议成员单位", "鲤城区专项整治联席办\t2021年9月30日印发"]
    borders = imprint._tbl.find(f"{W}tblPr/{W}tblBorders")
    assert borders.find(f"{W}top").get(f"{W}sz") == "8" and borders.find(f"{W}insideH").get(f"{W}sz") == "4"
    place = imprint._tbl.find(f"{W}tblPr/{W}tblpPr")
    rows = len(imprint.rows)
    assert place.get(f"{W}vertAnchor") == "page" and int(place.get(f"{W}tblpY")) == round(26.2 * 567) - 460 * rows
    assert all(r.height.twips == 460 for r in imprint.rows)  # its height is known, so its foot is at the margin


def _imprint(d):
    return next(t for t in d.tables if t._tbl.find(f"{W}tblPr/{W}tblpPr") is not None)


def test_word_tables_repeat_headers_never_split_rows_and_size_columns_by_content(reports):
    import docx

    from safetyreport.outputs.report import text_width

    for kind in ("weekly", "monthly", "summary"):
        d = docx.Document(str(_file(reports[kind], ".docx")))
        tables = [t for t in d.tables if len(t.columns) > 1]
        assert tables
        for t in tables:
            rows = t._tbl.findall(f"{W}tr")
            assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None  # the header repeats on each page
            assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows)  # a row never splits
            assert t._tbl.find(f"{W}tblPr/{W}tblLayout").get(f"{W}type") == "fixed"
            widths = [c.width.pt for c in t.rows[0].cells]
            assert sum(widths) <= 443  # 156 mm
            for c, w in enumerate(widths):  # every number and every header fits its column on one line
                for r, row in enumerate(t.rows):
                    value = row.cells[c].text
                    size = row.cells[c].paragraphs[0].runs[0].font.size.pt if row.cells[c].paragraphs[0].runs else 9
                    if r == 0 or NUMBER.match(value):
                        assert text_width(value, size) <= w, (kind, value, w)
            total = [r for r in t.rows if r.cells[0].text == "合计"]
            for r in total:
                assert all(run.font.bold for cell in r.cells for run in cell.paragraphs[0].runs)


def test_the_imprint_comes_from_config(demo, tmp_path):
    copy = tmp_path / "campaign"
    shutil.copytree(demo, copy)
    cfg = copy / "safetyreport.toml"
    text = cfg.read_text(encoding="utf-8")
    assert 'report_to = "区委、区政府"' in text
    cfg.write_text(text.replace('report_to = "区委、区政府"', 'report_to = "区委办、区政府办"'), encoding="utf-8")
    code, out = cli_json("report", "weekly", "--period", "2021-09-30", "--format", "docx", "--config", str(cfg))
    import docx

    texts = [c.text for c in _imprint(docx.Document(out["files"][0])).columns[0].cells]
    assert code == 0 and "报：区委办、区政府办" in texts and "报：区委、区政府" not in texts


# --- Markdown: an e-mail body with its charts beside it --------------------------------------------------------


def test_markdown_links_charts_written_beside_it(reports):
    for kind, files in reports.items():
        md = _file(files, ".md")
        text = md.read_text(encoding="utf-8")
        links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
        assert links and "chart:" not in text, kind
        for link in links:
            png = md.parent / link
            assert png in files and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_html_has_figures_table_heads_and_print_page_numbers(reports):
    page = _file(reports["weekly"], ".html").read_text(encoding="utf-8")
    assert page.count("<figure>") == 1 and "<figcaption>图1 " in page
    assert page.count("<thead>") == page.count("<table") >= 3
    assert "@page" in page and 'counter(page)' in page and "table-header-group" in page


# --- PDF: pages and lines as a reader sees them -----------------------------------------------------------------


def _pdf_lines(pdf: Path) -> tuple[int, list[str]]:
    """The PDF's page count and the text of each line it prints (words joined without spaces)."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    pages = xml.count("<page ")
    lines = ["".join(re.findall(r"<word[^>]*>([^<]*)</word>", line))
             for line in re.findall(r"<line[^>]*>(.*?)</line>", xml, flags=re.S)]
    return pages, [_unescape(x) for x in lines]


def _unescape(text: str) -> str:
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')


def _whole_cells(docx_path: Path) -> set[str]:
    """Each table's header words and numbers: what must never wrap."""
    import docx

    out = set()
    for t in docx.Document(str(docx_path)).tables:
        if len(t.columns) < 2:
            continue
        for r, row in enumerate(t.rows):
            for cell in row.cells:
                v = cell.text.strip()
                if v and (r == 0 or NUMBER.match(v)):
                    out.add(v)
    return out


@needs_soffice
# tables at 五号 and the weekly's 整改措施, hazards closed and firms named take a page more than at 小五
@pytest.mark.parametrize("kind,max_pages", [("weekly", 5), ("monthly", 5), ("summary", 9)])  # a 总结 tells the work too
def test_word_renders_within_its_pages_with_no_number_or_header_split(reports, tmp_path, kind, max_pages):
    docx_path = _file(reports[kind], ".docx")
    pdf = render_pages.to_pdf(docx_path, tmp_path)
    pages, lines = _pdf_lines(pdf)
    assert 1 <= pages <= max_pages, f"{kind}: {pages} 页"
    broken = [v for v in _whole_cells(docx_path) if not any(v in line for line in lines)]
    assert not broken, f"{kind}: 跨行断开的数字或表头：{broken}"
    text = "".join(lines)
    assert "工作" in lines[1] or "工作" in lines[0]  # the masthead on its own line(s), not broken
    masthead = {"weekly": "工作简报", "monthly": "工作月报", "summary": "工作总结"}[kind]
    assert any(line.replace(" ", "") == masthead for line in lines[:4])
    assert "—1—" in text.replace(" ", "")


@needs_soffice
def test_the_weekly_annex_is_a_document_of_its_own(reports, tmp_path):
    annex = next(f for f in reports["weekly"] if f.name.endswith("_附件.docx"))
    pages, lines = _pdf_lines(render_pages.to_pdf(annex, tmp_path))
    assert pages >= 1 and lines[0].startswith("工作简报第3期")
    assert not [v for v in _whole_cells(annex) if not any(v in line for line in lines)]


@needs_chrome
def test_html_prints_within_its_pages_with_no_number_or_header_split(reports, tmp_path):
    html_path = _file(reports["weekly"], ".html")
    pdf = render_pages.to_pdf(html_path, tmp_path)
    pages, lines = _pdf_lines(pdf)
    assert 2 <= pages <= 9, pages  # the page a browser prints holds the annex too
    broken = [v for v in _whole_cells(_file(reports["weekly"], ".docx")) if not any(v in line for line in lines)]
    assert not broken, broken
    assert any(re.fullmatch(r"—\s*1\s*—", line) or line == "—1—" for line in lines)  # print CSS page numbers


def test_no_theme_font_on_any_style_and_the_language_is_chinese(reports):
    """GB/T 9704's fonts by name on every style (a theme font would win over them: Word and
    LibreOffice showed 宋体 for the headings), and zh-CN so Chinese glyph forms are chosen."""
    import zipfile

    for kind, files in reports.items():
        for docx_path in (p for p in files if p.suffix == ".docx"):
            styles = zipfile.ZipFile(docx_path).read("word/styles.xml").decode("utf-8")
            assert not re.search(r"w:(ascii|eastAsia|hAnsi|cs)Theme=", styles), (kind, docx_path.name)
            defaults = re.search(r"<w:docDefaults>.*?</w:docDefaults>", styles, re.S).group(0)
            assert 'w:eastAsia="zh-CN"' in defaults and 'w:val="zh-CN"' in defaults
            for style_id, font in (("Normal", "仿宋"), ("Heading1", "黑体"), ("Heading2", "楷体"), ("Caption", "黑体")):
                block = re.search(rf'<w:style [^>]*w:styleId="{style_id}".*?</w:style>', styles, re.S).group(0)
                assert f'w:eastAsia="{font}"' in block, (kind, style_id)


def test_a_tables_note_stays_on_the_tables_page(reports):
    """A 注 under a table is kept with the table's last row (it fell on the next page alone)."""
    import docx

    for kind, files in reports.items():
        doc = docx.Document(str(_file(files, ".docx")))
        body = list(doc.element.body.iterchildren())
        checked = 0
        for i, el in enumerate(body):
            if not el.tag.endswith("}tbl"):
                continue
            following = [x for x in body[i + 1:i + 3] if x.tag.endswith("}p")]
            texts = ["".join(t.text or "" for t in x.iter(W + "t")) for x in following]
            if len(texts) == 2 and texts[1].startswith("注："):
                last_row = el.findall(W + "tr")[-1]
                assert all(p.find(f"{W}pPr/{W}keepNext") is not None for p in last_row.iter(W + "p")), kind
                assert following[0].find(f"{W}pPr/{W}keepNext") is not None  # the little room after it too
                checked += 1
        assert checked or kind != "weekly"


def test_the_summary_is_titled_and_signed_not_a_briefing_issue(reports):
    """Issue 23: a 总结 the office submits has its own title (方正小标宋 二号, no red 简报 masthead)
    and a 落款 (office, and the date four characters in from the right) after the text."""
    import docx

    d = docx.Document(str(_file(reports["summary"], ".docx")))
    texts = [p.text for p in d.paragraphs]
    assert texts[:2] == ["鲤城区景区和非景区景点安全管理专项整治", "工作总结"]
    for p in d.paragraphs[:2]:
        run = p.runs[0]
        assert run.font.size.pt <= 22 and run.font.color.rgb is None  # black, not the 简报's red
        assert run._r.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "方正小标宋简体"
    assert "工作简报" not in texts and "专项整治总结" not in texts[:4]
    at = texts.index("鲤城区专项整治联席办")
    assert texts[at + 1] == "2021年9月30日"
    date = d.paragraphs[at + 1].paragraph_format
    assert date.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT and date.right_indent.pt == 64  # 右空四字
    assert texts.index("附件：各单位工作情况汇编") < at  # 附件说明 before the 落款 (GB/T 9704 7.3.4)
    md = _file(reports["summary"], ".md").read_text(encoding="utf-8")
    assert md.startswith("# 鲤城区景区和非景区景点安全管理专项整治工作总结\n") and "鲤城区专项整治联席办  \n2021年9月30日  " in md
    html = _file(reports["summary"], ".html").read_text(encoding="utf-8")
    assert '<h1 class="title">' in html and 'class="masthead"' not in html and '<div class="signature">' in html


def test_the_font_table_names_the_gb2312_fonts_an_office_pc_has(reports):
    """Each font by the name Windows ships (仿宋, 楷体) and the one older office PCs have
    (仿宋_GB2312, 楷体_GB2312), Chinese charset; none of the template's Japanese fonts."""
    import zipfile

    table = zipfile.ZipFile(_file(reports["weekly"], ".docx")).read("word/fontTable.xml").decode("utf-8")
    for name, alt in (("仿宋", "仿宋_GB2312"), ("楷体", "楷体_GB2312"), ("黑体", "SimHei"), ("方正小标宋简体", "方正小标宋_GBK")):
        entry = re.search(rf'<w:font w:name="{name}">(.*?)</w:font>', table).group(1)
        assert f'<w:altName w:val="{alt}"/>' in entry and '<w:charset w:val="86"/>' in entry
    assert "ＭＳ" not in table and "明朝" not in table
