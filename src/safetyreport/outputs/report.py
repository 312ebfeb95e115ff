"""Rendering briefings: a jinja2 template writes Markdown; the same Markdown becomes a
self-contained HTML page and a Word document in the official 简报 format. The templates in
`templates/` are where an office changes wording or adds a section; no figure is computed here or
in a template.

The Markdown is a small subset, so that all three outputs say exactly the same thing:
`#` the masthead, `##` 一、 headings, `###` （一） headings, paragraphs, `- ` items, `|` tables
(with `|--:|` alignment) under a "表N 标题" caption line, `![图N 说明](chart:name)` figures, and
`::: 名称 … :::` boxes (本期要点, 版记).
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..values import neutral
from .briefing import Briefing

CHART = re.compile(r"^!\[(?P<alt>[^\]]*)\]\(chart:(?P<name>[a-z_]+)\)$")
CAPTION = re.compile(r"^表\d+[\s　]")


def template_dir() -> Path:
    package = Path(__file__).resolve().parents[1]
    packaged = package / "_data" / "templates"
    return packaged if packaged.is_dir() else package.parent.parent / "templates"


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


@dataclass
class Table:
    rows: list[list[str]]  # the first row is the header
    align: list[str]  # per column: left | center | right
    caption: str = ""


@dataclass
class Block:
    kind: str  # h1 h2 h3 p ul table chart box
    text: str = ""
    items: list[str] = field(default_factory=list)
    table: Table | None = None
    name: str = ""  # chart name, box name


def _align(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith(":") and cell.endswith(":"):
        return "center"
    return "right" if cell.endswith(":") else "left"


def blocks(markdown: str) -> list[Block]:
    out: list[Block] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
            continue
        m = CHART.match(line.strip())
        if m:
            out.append(Block("chart", md_unescape(m["alt"]), name=m["name"]))
            i += 1
        elif line.startswith(":::"):
            name, body = line[3:].strip(), []
            i += 1
            while i < len(lines) and not lines[i].startswith(":::"):
                if lines[i].strip():
                    body.append(md_unescape(lines[i].strip()))
                i += 1
            out.append(Block("box", name, items=body, name=name))
            i += 1
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(Block(f"h{min(level, 3)}", md_unescape(line[level:].strip())))
            i += 1
        elif line.startswith("|") or (CAPTION.match(line) and i + 1 < len(lines) and lines[i + 1].startswith("|")):
            caption = ""
            if not line.startswith("|"):
                caption = md_unescape(line.strip())
                i += 1
            rows, align = [], []
            while i < len(lines) and lines[i].startswith("|"):
                row = lines[i].strip()
                row = row[1:-1] if row.endswith("|") and not row.endswith("\\|") else row[1:]
                cells = [c.strip() for c in _CELL_SPLIT.split(row)]
                if all(re.fullmatch(r":?-{3,}:?|:-:|-+:|:-+", c) for c in cells):
                    align = [_align(c) for c in cells]
                else:
                    rows.append([md_unescape(c) for c in cells])
                i += 1
            width = len(rows[0]) if rows else 0
            out.append(Block("table", table=Table(rows, (align + ["left"] * width)[:width], caption)))
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(md_unescape(lines[i][2:].strip()))
                i += 1
            out.append(Block("ul", items=items))
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not lines[i].startswith(("#", "|", "- ", ":::")) \
                    and not CHART.match(lines[i].strip()) \
                    and not (CAPTION.match(lines[i]) and i + 1 < len(lines) and lines[i + 1].startswith("|")):
                para.append(lines[i].strip())
                i += 1
            out.append(Block("p", md_unescape("".join(para))))
    return out


def chart_files(stem: str, markdown: str) -> dict[str, str]:
    """Chart name → the PNG file written beside the Markdown ("工作简报第3期_2021-09-30_图1.png")."""
    out = {}
    for b in blocks(markdown):
        if b.kind == "chart":
            number = re.match(r"(图\d+)", b.text)
            out[b.name] = f"{stem}_{number.group(1) if number else b.name}.png"
    return out


# --- Markdown (an e-mail body, the charts beside it) -------------------------------------------------


def _link_to(file: str) -> Callable[[re.Match[str]], str]:
    return lambda m: f"{m.group(1)}({file})"


def to_markdown(briefing: Briefing, markdown: str, charts: dict[str, bytes], stem: str) -> dict[str, bytes]:
    """The Markdown with the masthead lines the other formats print, and each chart as a PNG
    file beside it, linked by its file name (never a dangling link)."""
    files = chart_files(stem, markdown)
    _title, _, rest = markdown.partition("\n")  # the masthead lines below replace the template's title
    head = (f"{md_text(briefing.campaign)}\n\n# {md_text(briefing.masthead)}\n\n{md_text(briefing.issue)}\n\n"
            f"{md_text(briefing.office)}　{md_text(briefing.date)}\n")
    body = rest
    for name, file in files.items():
        if name in charts:
            # the template's own figure lines only: "(chart:…)" inside a unit's text stays text
            body = re.sub(rf"^(!\[[^\]]*\])\(chart:{name}\)$", _link_to(file), body, flags=re.M)
        else:  # no chart drawn (no data): no link to nothing
            body = re.sub(rf"^!\[[^\]]*\]\(chart:{name}\)\n?", "", body, flags=re.M)
    out = {f"{stem}.md": f"{head}{body}".encode()}
    out.update({files[name]: data for name, data in charts.items() if name in files})
    return out


# --- HTML ------------------------------------------------------------------------------------------

CSS = """
body { font-family: "FangSong", "仿宋", "STFangsong", "Noto Serif CJK SC", serif; font-size: 16pt;
       max-width: 46em; margin: 2em auto; line-height: 1.75; color: #111; }
.masthead { text-align: center; color: #c00; }
.masthead .campaign { font-family: "方正小标宋简体", "SimSun", "Noto Serif CJK SC", serif; font-size: 18pt; margin: 0; }
.masthead .name { font-family: "方正小标宋简体", "SimSun", "Noto Serif CJK SC", serif; font-size: 40pt;
                  letter-spacing: .3em; margin: .1em 0; font-weight: bold; }
.issue { text-align: center; margin: 0; }
.meta { display: flex; justify-content: space-between; border-bottom: 3px solid #c00; padding-bottom: .2em;
        margin-bottom: 1em; }
h2 { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 16pt; font-weight: normal;
     margin: 1em 0 .2em; break-after: avoid; }
h3 { font-family: "KaiTi", "楷体", "STKaiti", "Noto Serif CJK SC", serif; font-size: 16pt; font-weight: normal;
     margin: .6em 0 .2em; break-after: avoid; }
p, li { text-indent: 2em; margin: 0; }
p.note { font-size: 12pt; line-height: 1.5; }
ul { list-style: none; padding: 0; margin: 0; }
aside.box { border: 1px solid #333; padding: .4em .8em; margin: .6em 0; font-size: 14pt; }
aside.box h4 { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; margin: 0; text-align: center;
               font-weight: normal; }
table { border-collapse: collapse; width: 100%; margin: .4em 0 .8em; font-size: 10.5pt; line-height: 1.4; }
caption { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 12pt; padding: .2em; }
th, td { border: 1px solid #333; padding: .15em .35em; white-space: nowrap; }
td.text { white-space: normal; }
th { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-weight: normal; background: #f2f2f2; }
td.right { text-align: right; } td.center, th { text-align: center; } td.left { text-align: left; }
tr.total td { font-weight: bold; }
figure { margin: .6em 0; text-align: center; break-inside: avoid; }
figure img { max-width: 100%; }
figcaption { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 12pt; }
footer.imprint { margin-top: 2em; border-top: 2px solid #000; border-bottom: 2px solid #000; font-size: 14pt; }
footer.imprint p { text-indent: 0; margin: 0 1em; border-bottom: 1px solid #000; }
footer.imprint p:last-child { border-bottom: none; }
@media print {
  body { margin: 0; max-width: none; }
  @page { size: A4; margin: 37mm 26mm 35mm 28mm;
          @bottom-center { content: "— " counter(page) " —"; font-family: "SimSun", serif; font-size: 14pt; } }
  thead { display: table-header-group; } tr, figure, aside.box { break-inside: avoid; }
  h2, h3, caption { break-after: avoid; }
}
"""


def _html_table(t: Table) -> str:
    e = html.escape
    head, *rows = t.rows
    cap = f"<caption>{e(t.caption)}</caption>" if t.caption else ""
    out = [f"<table>{cap}<thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in head) + "</tr></thead><tbody>"]
    for r in rows:
        total = ' class="total"' if r and r[0] == "合计" else ""
        cells = "".join(f'<td class="{_cell_class(t, c)}">{e(v)}</td>' for c, v in enumerate(r[: len(head)]))
        out.append(f"<tr{total}>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _cell_class(t: Table, c: int) -> str:
    align = t.align[c] if c < len(t.align) else "left"
    return f"{align} text" if align == "left" else align


def to_html(briefing: Briefing, markdown: str, charts: dict[str, bytes], stem: str = "") -> str:
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{e(briefing.title)} "
             f"{e(briefing.issue)}</title><style>{CSS}</style></head><body>"]
    for b in blocks(markdown):
        if b.kind == "h1":
            parts.append(f"<header class=\"masthead\"><p class=\"campaign\">{e(briefing.campaign)}</p>"
                         f"<h1 class=\"name\">{e(briefing.masthead)}</h1></header>"
                         f"<p class=\"issue\">{e(briefing.issue)}</p>"
                         f"<div class=\"meta\"><span>{e(briefing.office)}</span><span>{e(briefing.date)}</span></div>")
        elif b.kind in ("h2", "h3"):
            parts.append(f"<{b.kind}>{e(b.text)}</{b.kind}>")
        elif b.kind == "p":
            note = ' class="note"' if b.text.startswith("注：") else ""
            parts.append(f"<p{note}>{e(b.text)}</p>")
        elif b.kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in b.items) + "</ul>")
        elif b.kind == "table" and b.table is not None:
            parts.append(_html_table(b.table))
        elif b.kind == "chart" and b.name in charts:
            data = base64.b64encode(charts[b.name]).decode()
            parts.append(f"<figure><img alt=\"{e(b.text)}\" src=\"data:image/png;base64,{data}\">"
                         f"<figcaption>{e(b.text)}</figcaption></figure>")
        elif b.kind == "box" and b.name == "版记":
            parts.append("<footer class=\"imprint\">" + "".join(f"<p>{e(x)}</p>" for x in b.items) + "</footer>")
        elif b.kind == "box":
            parts.append(f"<aside class=\"box\"><h4>{e(b.name)}</h4>" + "".join(f"<p>{e(x)}</p>" for x in b.items)
                         + "</aside>")
    parts.append("</body></html>")
    return "\n".join(parts)


# --- Word: the official 简报 format -----------------------------------------------------------------
# GB/T 9704 as offices apply it to a 简报: A4, margins 37/35/28/26 mm; a red masthead; body in
# 仿宋 三号 (16 pt) on a fixed 27 pt line; 一、 headings in 黑体, （一） in 楷体; page numbers
# "— 1 —"; a 版记 at the end. Tables in 仿宋 小五 (9 pt), widths from what each column has to say.

PT_PER_CM = 28.3465
TEXT_WIDTH_PT = (21.0 - 2.8 - 2.6) * PT_PER_CM  # 156 mm
BODY_FONT, HEAD_FONT, KAI_FONT, MAST_FONT = "仿宋", "黑体", "楷体", "方正小标宋简体"
BODY_PT, LINE_PT, TABLE_PT = 16, 27, 9


def text_width(text: str, size: float) -> float:
    """Points a line of text takes, generously: a CJK character is one em, Latin and digits 0.6 em,
    and Word/LibreOffice add a quarter em where Chinese meets Latin (9 月 16 日)."""
    width, last_cjk = 0.0, None
    for ch in text:
        cjk = ord(ch) > 0x2E80
        width += size if cjk else size * 0.6
        if last_cjk is not None and cjk != last_cjk:
            width += size * 0.25
        last_cjk = cjk
    return width


def column_widths(rows: list[list[str]], align: list[str], total_pt: float, size: float) -> list[float] | None:
    """Widths from what each column has to say: a number or a header word never wraps (its width
    is its own); text columns (names, places, hazards) share what is left, by their length.
    None when even the unwrapped parts do not fit at this size."""
    pad = 14  # cell margins, and a little room
    ncol = len(rows[0])
    fixed: list[float | None] = []
    for c in range(ncol):
        header = rows[0][c]
        header_need = max(text_width(w, size) for w in re.split(r"(?=（)", header))  # may break before （
        values = [r[c] for r in rows[1:] if c < len(r)]
        if align[c] != "left" or all(len(v) <= 6 for v in values):
            fixed.append(max([header_need] + [text_width(v, size) for v in values]) + pad)
        else:
            fixed.append(None)
    used = sum(w for w in fixed if w is not None)
    loose = [c for c, w in enumerate(fixed) if w is None]
    room = total_pt - used
    if room < 4 * size * len(loose) or (not loose and room < 0):
        return None
    if not loose:
        return [(w or 0.0) + room / ncol for w in fixed]
    need = {c: max([text_width(rows[0][c], size)] + [text_width(r[c], size) for r in rows[1:] if c < len(r)]) + pad
            for c in loose}
    if sum(need.values()) <= room:  # everything fits on one line: spread the spare room
        spare = (room - sum(need.values())) / len(loose)
        return [f if (f := fixed[c]) is not None else need[c] + spare for c in range(ncol)]
    share = {c: max(4 * size + pad, room * need[c] / sum(need.values())) for c in loose}
    scale = room / sum(share.values())
    return [f if (f := fixed[c]) is not None else share[c] * scale for c in range(ncol)]


def split_annex(items: list[Block]) -> tuple[list[Block], list[Block], list[str] | None]:
    """The body, the annex (from its "附件" heading; empty when there is none) and the 版记's lines."""
    imprint = next((b.items for b in items if b.kind == "box" and b.name == "版记"), None)
    items = [b for b in items if not (b.kind == "box" and b.name == "版记")]
    start = next((i for i, b in enumerate(items) if b.kind == "h2" and b.text.startswith("附件")), len(items))
    return items[:start], items[start:], imprint


def to_docx(briefing: Briefing, markdown: str, charts: dict[str, bytes], stem: str = "",
            part: str = "body") -> bytes:
    """The briefing in the official 简报 format (`part="body"`: masthead to 版记), or its annex as a
    document of its own (`part="annex"`), as GB/T 9704 allows for an annex not bound with the body."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    red = RGBColor(0xC0, 0x00, 0x00)
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
    sec.footer_distance = Cm(2.4)

    def fonts(target, east: str, size: float, bold: bool = False, color=None) -> None:
        """A style's or a run's font, the East Asian one included (Word ignores font.name there)."""
        target.font.name = east
        target.font.size = Pt(size)
        target.font.bold = bold
        if color is not None:
            target.font.color.rgb = color
        rfonts = target.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
            rfonts.set(qn(attr), east)

    def line(fmt, exact: float = LINE_PT) -> None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(exact)
        fmt.space_before = fmt.space_after = Pt(0)

    normal = doc.styles["Normal"]
    fonts(normal, BODY_FONT, BODY_PT)
    line(normal.paragraph_format)
    normal.paragraph_format.widow_control = True
    for name, east in (("Heading 1", HEAD_FONT), ("Heading 2", KAI_FONT)):
        st = doc.styles[name]
        fonts(st, east, BODY_PT, color=RGBColor(0, 0, 0))
        st.font.italic = False
        line(st.paragraph_format)
        st.paragraph_format.keep_with_next = True
        st.paragraph_format.keep_together = True
        st.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
    caption = doc.styles["Caption"]
    fonts(caption, HEAD_FONT, 12, color=RGBColor(0, 0, 0))
    caption.font.italic = False
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    line(caption.paragraph_format, 20)

    def border(paragraph, side: str, size: int, color: str = "000000") -> None:
        ppr = paragraph._p.get_or_add_pPr()
        bdr = ppr.find(qn("w:pBdr"))
        if bdr is None:
            bdr = OxmlElement("w:pBdr")
            ppr.append(bdr)
        el = OxmlElement(f"w:{side}")
        for k, v in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "1"), ("w:color", color)):
            el.set(qn(k), v)
        bdr.append(el)

    def page_numbers() -> None:
        p = sec.footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fonts(p.add_run("— "), "宋体", 14)
        run = p.add_run()
        fonts(run, "宋体", 14)
        for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
            if tag:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), tag)
            else:
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = text
            run._r.append(el)
        fonts(p.add_run(" —"), "宋体", 14)

    def masthead() -> None:
        n = max(1, len(briefing.campaign))
        size = min(22.0, (TEXT_WIDTH_PT - 4) / n)  # the campaign's name on one line, whatever its length
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        line(p.paragraph_format, size * 1.4)
        fonts(p.add_run(briefing.campaign), MAST_FONT, size, color=red)
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        line(p.paragraph_format, 60)
        run = p.add_run(briefing.masthead)
        fonts(run, MAST_FONT, 42, bold=True, color=red)
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), "200")  # letter spacing, in twentieths of a point
        run._element.get_or_add_rPr().append(spacing)
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fonts(p.add_run(briefing.issue), BODY_FONT, BODY_PT)
        meta = doc.add_paragraph()
        fonts(meta.add_run(briefing.office), BODY_FONT, BODY_PT)
        fonts(meta.add_run("\t" + briefing.date), BODY_FONT, BODY_PT)
        meta.paragraph_format.tab_stops.add_tab_stop(Pt(TEXT_WIDTH_PT), WD_TAB_ALIGNMENT.RIGHT)
        border(meta, "bottom", 24, "C00000")
        spacer(12)

    def table(t: Table) -> None:
        if t.caption:
            cap = doc.add_paragraph(t.caption, style="Caption")
            cap.paragraph_format.keep_with_next = True
        size: float = TABLE_PT
        widths = column_widths(t.rows, t.align, TEXT_WIDTH_PT, size)
        while widths is None and size > 8:
            size -= 0.5
            widths = column_widths(t.rows, t.align, TEXT_WIDTH_PT, size)
        widths = widths or [TEXT_WIDTH_PT / len(t.rows[0])] * len(t.rows[0])
        head = t.rows[0]
        tab = doc.add_table(rows=len(t.rows), cols=len(head))
        tab.style = "Table Grid"
        tab.alignment = WD_TABLE_ALIGNMENT.CENTER
        tab.autofit = False
        tblpr = tab._tbl.tblPr
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        tblpr.append(layout)
        for c, w in enumerate(widths):
            tab.columns[c].width = Pt(w)
        for r, values in enumerate(t.rows):
            row = tab.rows[r]
            trpr = row._tr.get_or_add_trPr()
            trpr.append(OxmlElement("w:cantSplit"))  # a row never splits across pages
            if r == 0:
                trpr.append(OxmlElement("w:tblHeader"))  # the header row repeats on each page
            bold = r == 0 or bool(values and values[0] == "合计")
            for c, value in enumerate(values[: len(head)]):
                cell = row.cells[c]
                cell.width = Pt(widths[c])
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                par = cell.paragraphs[0]
                par.paragraph_format.first_line_indent = Pt(0)
                line(par.paragraph_format, size * 1.25)
                align = "center" if r == 0 else (t.align[c] if c < len(t.align) else "left")
                par.alignment = {"right": WD_ALIGN_PARAGRAPH.RIGHT, "center": WD_ALIGN_PARAGRAPH.CENTER}.get(
                    align, WD_ALIGN_PARAGRAPH.LEFT)
                # a short table stays whole; a long one splits leaving at least three rows either side
                n = len(t.rows)
                par.paragraph_format.keep_with_next = r < n - 1 and (n <= 12 or r < 3 or r >= n - 4)
                fonts(par.add_run(value), HEAD_FONT if r == 0 else BODY_FONT, size, bold=bold and r > 0)
        spacer(8)

    def spacer(points: float) -> None:
        """A little room after a table or box (an empty body line would take 27 pt)."""
        p = doc.add_paragraph()
        line(p.paragraph_format, points)

    def box(title: str, items: list[str]) -> None:
        tab = doc.add_table(rows=1, cols=1)
        tab.style = "Table Grid"
        tab.alignment = WD_TABLE_ALIGNMENT.CENTER
        cell = tab.rows[0].cells[0]
        tab._tbl.tblPr.append(OxmlElement("w:tblLayout"))
        cell.width = Pt(TEXT_WIDTH_PT)
        tab.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = Pt(0)
        fonts(p.add_run(title), HEAD_FONT, 14)
        for item in items:
            q = cell.add_paragraph()
            q.paragraph_format.first_line_indent = Pt(28)
            line(q.paragraph_format, 21)
            fonts(q.add_run(item), BODY_FONT, 14)
        spacer(8)

    def imprint(items: list[str]) -> None:
        spacer(18)
        for n, text in enumerate(items):
            p = doc.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(0)
            p.paragraph_format.left_indent = Pt(14)
            p.paragraph_format.keep_with_next = n < len(items) - 1
            line(p.paragraph_format, 22)
            last = n == len(items) - 1
            if last and "　" in text:
                who, when = text.split("　", 1)
                fonts(p.add_run(who), BODY_FONT, 14)
                fonts(p.add_run("\t" + when), BODY_FONT, 14)
                p.paragraph_format.tab_stops.add_tab_stop(Pt(TEXT_WIDTH_PT - 20), WD_TAB_ALIGNMENT.RIGHT)
            else:
                fonts(p.add_run(text), BODY_FONT, 14)
            if n == 0:
                border(p, "top", 12)
            border(p, "bottom", 12 if last else 4)

    def small(text: str, size: float = 12) -> None:
        """A table's note (仿宋 小四) or the annex (仿宋 五号): smaller type, so the briefing keeps to its pages."""
        p = doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(size * 2)
        line(p.paragraph_format, round(size * 1.6))
        fonts(p.add_run(text), BODY_FONT, size)

    def annex_header(title: str) -> None:
        """GB/T 9704 for an annex not bound with the body: 发文字号 and 附件 top left, then its title."""
        p = doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(0)
        fonts(p.add_run(f"{briefing.masthead}{briefing.issue}　附件"), HEAD_FONT, BODY_PT)
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = Pt(0)
        line(p.paragraph_format, 40)
        fonts(p.add_run(title), MAST_FONT, 22)

    page_numbers()
    body, annex, imprint_items = split_annex(blocks(markdown))
    if part == "annex":
        annex_header(annex[0].text.removeprefix("附件").strip("　 ") if annex else "附件")
        todo = annex[1:]
    else:
        todo = body
    for b in todo:
        if b.kind == "h1":
            masthead()
        elif b.kind in ("h2", "h3"):
            h = doc.add_paragraph(b.text, style="Heading 1" if b.kind == "h2" else "Heading 2")
            h.paragraph_format.keep_with_next = True  # said on the paragraph too: LibreOffice wants it there
        elif b.kind == "p" and b.text.startswith("注："):
            small(b.text)
        elif b.kind == "p":
            p = doc.add_paragraph(b.text)
            p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
            p.paragraph_format.keep_with_next = b.text.endswith("：")  # it introduces what follows
        elif b.kind == "ul":
            for item in b.items:
                doc.add_paragraph(item).paragraph_format.first_line_indent = Pt(BODY_PT * 2)
        elif b.kind == "table" and b.table is not None:
            table(b.table)
        elif b.kind == "chart" and b.name in charts:
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.keep_with_next = True  # the figure stays with its caption
            p.paragraph_format.first_line_indent = Pt(0)
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            p.add_run().add_picture(io.BytesIO(charts[b.name]), width=Cm(9))
            doc.add_paragraph(b.text, style="Caption")
        elif b.kind == "box":
            box(b.name, b.items)
    if part == "body":
        if annex:  # 附件说明 after the body: the annex is its own file, as the reader's copy has it
            p = doc.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
            p.paragraph_format.space_before = Pt(12)
            p.add_run("附件：" + annex[0].text.removeprefix("附件").strip("　 "))
        if imprint_items is not None:
            imprint(imprint_items)
    props = doc.core_properties
    props.title = f"{briefing.title} {briefing.issue}" + (" 附件" if part == "annex" else "")
    props.author = briefing.office
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def to_docx_files(briefing: Briefing, markdown: str, charts: dict[str, bytes], stem: str) -> dict[str, bytes]:
    """The briefing, and its annex in a file of its own when it has one: the briefing a leader reads
    keeps to its pages, the annex (every hazard and statement the body left out) goes with it."""
    out = {f"{stem}.docx": to_docx(briefing, markdown, charts, stem)}
    if split_annex(blocks(markdown))[1]:
        out[f"{stem}_附件.docx"] = to_docx(briefing, markdown, charts, stem, part="annex")
    return out


RENDERERS: dict[str, Callable[[Briefing, str, dict[str, bytes], str], dict[str, bytes]]] = {
    "md": to_markdown,
    "html": lambda b, md, charts, stem: {f"{stem}.html": to_html(b, md, charts, stem).encode("utf-8")},
    "docx": lambda b, md, charts, stem: to_docx_files(b, md, charts, stem),
}
