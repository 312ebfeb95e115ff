"""Rendering briefings: a jinja2 template writes Markdown; the same Markdown becomes a
self-contained HTML page and a Word document. The templates in `templates/` are where an office
changes wording or adds a section; no figure is computed here or in a template.

The Markdown is a small subset — `#` headings, paragraphs, `- ` lists, `|` tables and
`![说明](chart:name)` images — so that all three outputs say exactly the same thing.
"""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from typing import Callable

from .briefing import Briefing
from .values import neutral

CHART = re.compile(r"^!\[(?P<alt>[^\]]*)\]\(chart:(?P<name>[a-z_]+)\)$")


def template_dir() -> Path:
    here = Path(__file__).resolve().parent
    packaged = here / "_data" / "templates"
    return packaged if packaged.is_dir() else here.parent.parent / "templates"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>!|])")
_MD_ESCAPED = re.compile(r"\\([\\`*_\[\]<>!|])")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def md_text(value: object) -> str:
    """Every value a template prints (jinja2's `finalize`): what a unit typed stays text. One line
    (a line break could start a heading or a masthead), no control characters, and Markdown's
    punctuation escaped, so no value can make a link, an image, emphasis or raw HTML — in our own
    renderer or in any Markdown viewer the .md is opened with."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return _MD_SPECIAL.sub(r"\\\1", neutral(value))


def md_unescape(text: str) -> str:
    return _MD_ESCAPED.sub(r"\1", text)


def md_cell(value: object) -> str:
    """A value inside a Markdown table cell: no pipes or line breaks from what a clerk typed."""
    return " ".join(neutral(value).replace("|", "｜").split())


def render_markdown(briefing: Briefing, folder: Path | None = None) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(folder or template_dir())), undefined=StrictUndefined,
                      autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      finalize=md_text)
    env.filters["cell"] = md_cell
    return env.get_template(f"{briefing.kind}.md.j2").render(b=briefing)


# --- Markdown subset → blocks ----------------------------------------------------------------------


def blocks(markdown: str) -> list[tuple[str, object]]:
    """[('h1'|'h2'|'h3'|'p'|'ul'|'table'|'chart', content)]"""
    out: list[tuple[str, object]] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
            continue
        m = CHART.match(line.strip())
        if m:
            out.append(("chart", (m["name"], md_unescape(m["alt"]))))
            i += 1
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append((f"h{min(level, 3)}", md_unescape(line[level:].strip())))
            i += 1
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                row = lines[i].strip()
                row = row[1:-1] if row.endswith("|") and not row.endswith("\\|") else row[1:]
                cells = [md_unescape(c.strip()) for c in _CELL_SPLIT.split(row)]
                if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            out.append(("table", rows))
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(md_unescape(lines[i][2:].strip()))
                i += 1
            out.append(("ul", items))
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not lines[i].startswith(("#", "|", "- ")) \
                    and not CHART.match(lines[i].strip()):
                para.append(lines[i].strip())
                i += 1
            out.append(("p", md_unescape("".join(para))))
    return out


# --- HTML ------------------------------------------------------------------------------------------

CSS = """
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; max-width: 60em; margin: 2em auto;
       line-height: 1.7; color: #111; }
h1 { text-align: center; color: #c00; font-size: 1.9em; letter-spacing: .1em; margin-bottom: .2em; }
.issue { text-align: center; } .meta { display: flex; justify-content: space-between;
        border-bottom: 3px solid #c00; padding-bottom: .3em; margin-bottom: 1em; }
h2 { font-size: 1.25em; margin-top: 1.4em; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; width: 100%; margin: .6em 0; font-size: .92em; }
th, td { border: 1px solid #555; padding: .25em .45em; text-align: center; }
th { background: #eee; } td:first-child { text-align: left; }
img { max-width: 100%; display: block; margin: .8em auto; }
@media print { body { margin: 0; max-width: none; } @page { size: A4; margin: 2cm; } }
"""


def to_html(briefing: Briefing, markdown: str, charts: dict[str, bytes]) -> str:
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{e(briefing.title)} "
             f"{e(briefing.issue)}</title><style>{CSS}</style></head><body>"]
    for kind, content in blocks(markdown):
        if kind == "h1":
            parts.append(f"<h1>{e(content)}</h1><p class=\"issue\">{e(briefing.issue)}</p>"
                         f"<div class=\"meta\"><span>{e(briefing.office)}</span><span>{e(briefing.date)}</span></div>")
        elif kind in ("h2", "h3"):
            parts.append(f"<{kind}>{e(content)}</{kind}>")
        elif kind == "p":
            parts.append(f"<p>{e(content)}</p>")
        elif kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in content) + "</ul>")
        elif kind == "table":
            head, *rows = content
            parts.append("<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in head) + "</tr>"
                         + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
                         + "</table>")
        elif kind == "chart":
            name, alt = content
            if name in charts:
                data = base64.b64encode(charts[name]).decode()
                parts.append(f"<img alt=\"{e(alt)}\" src=\"data:image/png;base64,{data}\">")
    parts.append("</body></html>")
    return "\n".join(parts)


# --- DOCX ------------------------------------------------------------------------------------------


def to_docx(briefing: Briefing, markdown: str, charts: dict[str, bytes]) -> bytes:
    """A Word document in the style of an official 简报: red title, 期号, office and date over a
    red rule, numbered sections, bordered tables, page numbers, A4."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(2.6)
    sec.top_margin, sec.bottom_margin = Cm(3.0), Cm(2.5)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(12)
    normal.font.name = "SimSun"
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")

    def east_asia(run, font: str) -> None:
        run.font.name = font
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)

    def page_number_footer() -> None:
        p = sec.footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run()
        for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
            if tag:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), tag)
            else:
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = text
            run._r.append(el)

    def red_rule(paragraph) -> None:
        pPr = paragraph._p.get_or_add_pPr()
        border = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for k, v in (("w:val", "single"), ("w:sz", "18"), ("w:space", "4"), ("w:color", "C00000")):
            bottom.set(qn(k), v)
        border.append(bottom)
        pPr.append(border)

    page_number_footer()
    for kind, content in blocks(markdown):
        if kind == "h1":
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(content)
            run.bold, run.font.size, run.font.color.rgb = True, Pt(22), RGBColor(0xC0, 0x00, 0x00)
            east_asia(run, "黑体")
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run(briefing.issue).font.size = Pt(14)
            meta = doc.add_paragraph()
            meta.add_run(briefing.office)
            meta.add_run("\t" + briefing.date)
            meta.paragraph_format.tab_stops.add_tab_stop(Cm(15.8), alignment=2)  # right
            red_rule(meta)
        elif kind in ("h2", "h3"):
            p = doc.add_paragraph()
            run = p.add_run(content)
            run.bold = True
            run.font.size = Pt(14 if kind == "h2" else 12)
            east_asia(run, "黑体")
            p.paragraph_format.space_before = Pt(10)
        elif kind == "p":
            p = doc.add_paragraph(content)
            p.paragraph_format.first_line_indent = Pt(24)
        elif kind == "ul":
            for item in content:
                p = doc.add_paragraph(item)
                p.paragraph_format.left_indent = Pt(24)
        elif kind == "table":
            head, *rows = content
            table = doc.add_table(rows=1 + len(rows), cols=len(head))
            table.style = "Table Grid"
            table.autofit = False
            for c, width in enumerate(column_widths([head, *rows], 15.8)):
                table.columns[c].width = Cm(width)  # the grid (LibreOffice reads this)
                for cell in table.columns[c].cells:
                    cell.width = Cm(width)  # and each cell (Word reads this)
            for r, values in enumerate([head, *rows]):
                for c, value in enumerate(values[: len(head)]):
                    cell = table.cell(r, c)
                    cell.text = value
                    for par in cell.paragraphs:
                        par.alignment = WD_ALIGN_PARAGRAPH.CENTER if c else WD_ALIGN_PARAGRAPH.LEFT
                        for run in par.runs:
                            run.font.size = Pt(9.5)
                            run.bold = r == 0
        elif kind == "chart":
            name, alt = content
            if name in charts:
                doc.add_picture(io.BytesIO(charts[name]), width=Cm(15))
                cap = doc.add_paragraph(alt)
                cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def to_markdown(briefing: Briefing, markdown: str, charts: dict[str, bytes]) -> bytes:
    """The Markdown itself (an e-mail body), with the 期号, office and date under the title as
    the HTML and Word versions print them."""
    title, _, rest = markdown.partition("\n")
    meta = f"{briefing.issue}　{briefing.office}　{briefing.date}"
    return f"{title}\n\n{meta}\n{rest}".encode("utf-8")


def column_widths(rows: list[list[str]], total_cm: float) -> list[float]:
    """Share the page width by how much each column has to say (a CJK character counts twice),
    so 检查组参加人员（人次） gets room and a column of small numbers does not."""
    def size(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    ncol = len(rows[0])
    need = [max(4, min(28, max(size(r[c]) if c < len(r) else 0 for r in rows))) for c in range(ncol)]
    scale = total_cm / sum(need)
    return [round(n * scale, 2) for n in need]


RENDERERS: dict[str, Callable[[Briefing, str, dict[str, bytes]], bytes]] = {
    "md": to_markdown,
    "html": lambda b, md, charts: to_html(b, md, charts).encode("utf-8"),
    "docx": to_docx,
}
