"""The briefing in Word, in the official 简报 format (GB/T 9704 as offices apply it to a 简报).

A4, margins 37/35/28/26 mm; a red masthead; body in 仿宋 三号 (16 pt) on a fixed 27 pt line; 一、
headings in 黑体, （一） in 楷体; page numbers "— 1 —"; a 版记 at the end. Tables in 仿宋 五号 (10.5 pt),
widths from what each column has to say. python-docx is imported only when a document is written.
"""

from __future__ import annotations

import io
import re

from .briefing import Briefing
from .markdown import SIGNATURE, Block, Table, blocks, split_annex

PT_PER_CM = 28.3465
TEXT_WIDTH_PT = (21.0 - 2.8 - 2.6) * PT_PER_CM  # 156 mm
BODY_FONT, HEAD_FONT, KAI_FONT, MAST_FONT = "仿宋", "黑体", "楷体", "方正小标宋简体"
BODY_PT, LINE_PT, TABLE_PT = 16, 27, 10.5  # 三号 body, 五号 tables
BOLD = 1.1  # a bold 合计 row is wider than its plain figures: room for it, so it never wraps
THEME_FONTS = ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme")
# w:tblPr's children in the order the schema fixes (Word refuses a file with them out of order)
TBL_PR_ORDER = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize",
                "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook")


# The font table: each font GB/T 9704 names, Chinese (GB2312 charset) with its Windows panose, and the
# name an older office PC knows it by; so a PC without the first finds the second, and one with
# neither substitutes a Chinese font of the same kind rather than a Japanese one.
FONT_TABLE = (  # name, alternative name, panose, family, pitch
    (BODY_FONT, "仿宋_GB2312", "02010609060101010101", "modern", "fixed"),
    (KAI_FONT, "楷体_GB2312", "02010609060101010101", "modern", "fixed"),
    (HEAD_FONT, "SimHei", "02010609060101010101", "modern", "fixed"),
    (MAST_FONT, "方正小标宋_GBK", "02000000000000000000", "auto", "variable"),
    ("宋体", "SimSun", "02010600030101010101", "auto", "variable"),
)


def font_table_xml() -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    fonts = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:panose1 w:val="{panose}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>'
        for name, alt, panose, family, pitch in FONT_TABLE)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:fonts xmlns:w="{w}">{fonts}</w:fonts>'
            ).encode()


def set_tbl_pr(tbl_pr, element) -> None:
    """Put `element` into a table's properties at its place in the schema's order, replacing one
    of the same name."""
    from docx.oxml.ns import qn

    name = element.tag.rsplit("}", 1)[-1]
    old = tbl_pr.find(qn(f"w:{name}"))
    if old is not None:
        tbl_pr.remove(old)
    rank = TBL_PR_ORDER.index(name)
    later = [c for c in tbl_pr if c.tag.rsplit("}", 1)[-1] in TBL_PR_ORDER[rank + 1:]]
    if later:
        later[0].addprevious(element)
    else:
        tbl_pr.append(element)


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
            fixed.append(max([header_need] + [text_width(v, size) * BOLD for v in values]) + pad)
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


class WordWriter:
    """The official 简报 in Word, built block by block: styles with their East Asian fonts, the red
    masthead, fixed-line body, tables sized by what they say, boxes, the 版记 and page numbers."""

    def __init__(self, briefing: Briefing) -> None:
        from docx import Document
        from docx.enum.section import WD_ORIENT
        from docx.shared import Cm

        self.briefing = briefing
        self.doc = Document()
        sec = self.sec = self.doc.sections[0]
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = Cm(21), Cm(29.7)
        sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
        sec.footer_distance = Cm(2.4)
        self._styles()

    # --- the pieces every part uses ------------------------------------------------------------------

    @staticmethod
    def fonts(target, east: str, size: float, bold: bool = False, color=None) -> None:
        """A style's or a run's font, the East Asian one included (Word ignores font.name there)."""
        from docx.oxml.ns import qn
        from docx.shared import Pt

        target.font.name = east
        target.font.size = Pt(size)
        target.font.bold = bold
        if color is not None:
            target.font.color.rgb = color
        rfonts = target.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in THEME_FONTS:  # a theme font wins over a named one: Word and LibreOffice would show 宋体
            rfonts.attrib.pop(qn(attr), None)
        for attr in ("w:eastAsia", "w:ascii", "w:hAnsi", "w:cs"):
            rfonts.set(qn(attr), east)

    @staticmethod
    def line(fmt, exact: float = LINE_PT) -> None:
        from docx.enum.text import WD_LINE_SPACING
        from docx.shared import Pt

        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(exact)
        fmt.space_before = fmt.space_after = Pt(0)

    @staticmethod
    def border(paragraph, side: str, size: int, color: str = "000000") -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        ppr = paragraph._p.get_or_add_pPr()
        bdr = ppr.find(qn("w:pBdr"))
        if bdr is None:
            bdr = OxmlElement("w:pBdr")
            ppr.append(bdr)
        el = OxmlElement(f"w:{side}")
        for k, v in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "1"), ("w:color", color)):
            el.set(qn(k), v)
        bdr.append(el)

    def _defaults(self) -> None:
        """The document's defaults, which every style inherits: 仿宋, no theme fonts, Chinese (zh-CN)
        so Word and LibreOffice pick Chinese glyph forms, not Japanese ones."""
        from docx.oxml.ns import qn

        rpr = self.doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
        rfonts = rpr.find(qn("w:rFonts"))
        for attr in THEME_FONTS:
            rfonts.attrib.pop(qn(attr), None)
        for attr in ("w:eastAsia", "w:ascii", "w:hAnsi", "w:cs"):
            rfonts.set(qn(attr), BODY_FONT)
        lang = rpr.find(qn("w:lang"))
        lang.set(qn("w:val"), "zh-CN")
        lang.set(qn("w:eastAsia"), "zh-CN")
        for rel in self.doc.part.rels.values():  # the template's table lists Japanese fonts (ＭＳ 明朝)
            if rel.reltype.endswith("/fontTable"):
                rel.target_part._blob = font_table_xml()

    def _styles(self) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml.ns import qn
        from docx.shared import Pt, RGBColor

        self._defaults()
        for rfonts in self.doc.styles.element.iter(qn("w:rFonts")):  # no style keeps a template's theme font
            for attr in THEME_FONTS:
                rfonts.attrib.pop(qn(attr), None)

        normal = self.doc.styles["Normal"]
        self.fonts(normal, BODY_FONT, BODY_PT)
        self.line(normal.paragraph_format)
        normal.paragraph_format.widow_control = True
        for name, east in (("Heading 1", HEAD_FONT), ("Heading 2", KAI_FONT)):
            st = self.doc.styles[name]
            self.fonts(st, east, BODY_PT, color=RGBColor(0, 0, 0))
            st.font.italic = False
            self.line(st.paragraph_format)
            st.paragraph_format.keep_with_next = True
            st.paragraph_format.keep_together = True
            st.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
        caption = self.doc.styles["Caption"]
        self.fonts(caption, HEAD_FONT, 12, color=RGBColor(0, 0, 0))
        caption.font.italic = False
        caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.line(caption.paragraph_format, 20)

    def spacer(self, points: float, keep: bool = False) -> None:
        """A little room after a table or box (an empty body line would take 27 pt); `keep`: it
        stays on the page of what follows."""
        p = self.doc.add_paragraph()
        self.line(p.paragraph_format, points)
        p.paragraph_format.keep_with_next = keep

    def page_numbers(self) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        p = self.sec.footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.fonts(p.add_run("— "), "宋体", 14)
        run = p.add_run()
        self.fonts(run, "宋体", 14)
        for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
            if tag:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), tag)
            else:
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = text
            run._r.append(el)
        self.fonts(p.add_run(" —"), "宋体", 14)

    # --- the masthead, tables, boxes, the 版记 ---------------------------------------------------------

    def masthead(self) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Pt, RGBColor

        red = RGBColor(0xC0, 0x00, 0x00)
        b, doc = self.briefing, self.doc
        n = max(1, len(b.campaign))
        size = min(22.0, (TEXT_WIDTH_PT - 4) / n)  # the campaign's name on one line, whatever its length
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.line(p.paragraph_format, size * 1.4)
        self.fonts(p.add_run(b.campaign), MAST_FONT, size, color=red)
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.line(p.paragraph_format, 60)
        run = p.add_run(b.masthead)
        self.fonts(run, MAST_FONT, 42, bold=True, color=red)
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), "200")  # letter spacing, in twentieths of a point
        run._element.get_or_add_rPr().append(spacing)
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.fonts(p.add_run(b.issue), BODY_FONT, BODY_PT)
        meta = doc.add_paragraph()
        self.fonts(meta.add_run(b.office), BODY_FONT, BODY_PT)
        self.fonts(meta.add_run("\t" + b.date), BODY_FONT, BODY_PT)
        meta.paragraph_format.tab_stops.add_tab_stop(Pt(TEXT_WIDTH_PT), WD_TAB_ALIGNMENT.RIGHT)
        self.border(meta, "bottom", 24, "C00000")
        self.spacer(12)

    def title_block(self) -> None:
        """A document's title (a 总结 the office submits): 方正小标宋 二号, centred, the campaign's
        name and the kind of document on lines of their own when together they would wrap."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        b = self.briefing
        size = 22.0
        lines = [b.title] if text_width(b.title, size) <= TEXT_WIDTH_PT else [b.campaign, b.masthead]
        for n, text in enumerate(lines):
            p = self.doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.first_line_indent = Pt(0)
            self.line(p.paragraph_format, 35)
            p.paragraph_format.keep_with_next = True
            if n == len(lines) - 1:
                p.paragraph_format.space_after = Pt(LINE_PT)  # an empty line under the title
            self.fonts(p.add_run(text), MAST_FONT, min(size, (TEXT_WIDTH_PT - 4) / max(1, len(text))))

    def signature(self, items: list[str]) -> None:
        """落款 (GB/T 9704 7.3.5.1): the date four characters in from the right, the office centred
        over it; kept together with the last lines of the text."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        if not items:
            return
        date_width = text_width(items[-1], BODY_PT)
        for n, text in enumerate(items):
            p = self.doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            p.paragraph_format.first_line_indent = Pt(0)
            inset = BODY_PT * 4 + max(0.0, (date_width - text_width(text, BODY_PT)) / 2)
            p.paragraph_format.right_indent = Pt(inset)
            if n == 0:
                p.paragraph_format.space_before = Pt(LINE_PT * 2)
            p.paragraph_format.keep_with_next = n < len(items) - 1
            p.add_run(text)

    def table(self, t: Table, noted: bool = False) -> None:
        """`noted`: a 注 follows: the table's last rows keep with it (no note alone on a page)."""
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Pt

        if t.caption:
            cap = self.doc.add_paragraph(t.caption, style="Caption")
            cap.paragraph_format.keep_with_next = True
        size: float = TABLE_PT
        widths = column_widths(t.rows, t.align, TEXT_WIDTH_PT, size)
        while widths is None and size > 8:
            size -= 0.5
            widths = column_widths(t.rows, t.align, TEXT_WIDTH_PT, size)
        widths = widths or [TEXT_WIDTH_PT / len(t.rows[0])] * len(t.rows[0])
        tab = self.doc.add_table(rows=len(t.rows), cols=len(t.rows[0]))
        tab.style = "Table Grid"
        tab.alignment = WD_TABLE_ALIGNMENT.CENTER
        tab.autofit = False
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        set_tbl_pr(tab._tbl.tblPr, layout)
        for c, w in enumerate(widths):
            tab.columns[c].width = Pt(w)
        for r, values in enumerate(t.rows):
            self._table_row(t, tab.rows[r], r, values, widths, size, noted)
        self.spacer(8, keep=noted)

    def _table_row(self, t: Table, row, r: int, values: list[str], widths: list[float], size: float,
                   noted: bool = False) -> None:
        from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.shared import Pt

        head = t.rows[0]
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))  # a row never splits across pages
        if r == 0:
            trpr.append(OxmlElement("w:tblHeader"))  # the header row repeats on each page
        bold = r == 0 or bool(values and values[0] == "合计")
        n = len(t.rows)
        for c, value in enumerate(values[: len(head)]):
            cell = row.cells[c]
            cell.width = Pt(widths[c])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            par = cell.paragraphs[0]
            par.paragraph_format.first_line_indent = Pt(0)
            self.line(par.paragraph_format, size * 1.25)
            align = "center" if r == 0 else (t.align[c] if c < len(t.align) else "left")
            par.alignment = {"right": WD_ALIGN_PARAGRAPH.RIGHT, "center": WD_ALIGN_PARAGRAPH.CENTER}.get(
                align, WD_ALIGN_PARAGRAPH.LEFT)
            # a short table stays whole; a long one splits leaving at least three rows either side
            par.paragraph_format.keep_with_next = (r < n - 1 and (n <= 12 or r < 3 or r >= n - 4)) or (
                noted and r == n - 1)
            self.fonts(par.add_run(value), HEAD_FONT if r == 0 else BODY_FONT, size, bold=bold and r > 0)

    def box(self, title: str, items: list[str]) -> None:
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.shared import Pt

        tab = self.doc.add_table(rows=1, cols=1)
        tab.style = "Table Grid"
        tab.alignment = WD_TABLE_ALIGNMENT.CENTER
        cell = tab.rows[0].cells[0]
        set_tbl_pr(tab._tbl.tblPr, OxmlElement("w:tblLayout"))
        cell.width = Pt(TEXT_WIDTH_PT)
        tab.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = Pt(0)
        self.fonts(p.add_run(title), HEAD_FONT, 14)
        for item in items:
            q = cell.add_paragraph()
            q.paragraph_format.first_line_indent = Pt(28)
            self.line(q.paragraph_format, 21)
            self.fonts(q.add_run(item), BODY_FONT, 14)
        self.spacer(8)

    def imprint(self, items: list[str]) -> None:
        """The 版记 at the foot of the last page (GB/T 9704 7.4.1): a floating table placed at the
        bottom of the text area, so Word puts it there whatever the length of the body (LibreOffice
        7.4 does not float a full-width table and shows it after the last line instead), with thick
        rules above and below and thin ones between; the 印发 line has the issuer left, the date right."""
        from docx.enum.table import WD_ROW_HEIGHT_RULE
        from docx.enum.text import WD_TAB_ALIGNMENT
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Pt, Twips

        tab = self.doc.add_table(rows=len(items), cols=1)
        tbl_pr = tab._tbl.tblPr
        float_at = OxmlElement("w:tblpPr")
        row_twips = 460  # each line 23 pt, exactly: the table's height is known, so its top is too
        text_foot = round((29.7 - 3.5) * 567)  # from the page's top edge (LibreOffice floats only page-anchored tables)
        for k, v in (("w:vertAnchor", "page"), ("w:horzAnchor", "margin"), ("w:tblpXSpec", "center"),
                     ("w:tblpY", str(text_foot - row_twips * len(items))), ("w:topFromText", "240")):
            float_at.set(qn(k), v)
        set_tbl_pr(tbl_pr, float_at)
        overlap = OxmlElement("w:tblOverlap")
        overlap.set(qn("w:val"), "never")
        set_tbl_pr(tbl_pr, overlap)
        self._imprint_borders(tab)
        tab.autofit = False
        tab.columns[0].width = Pt(TEXT_WIDTH_PT)
        for n, text in enumerate(items):
            cell = tab.rows[n].cells[0]
            cell.width = Pt(TEXT_WIDTH_PT)
            tab.rows[n].height = Twips(row_twips)
            tab.rows[n].height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
            p = cell.paragraphs[0]
            p.paragraph_format.first_line_indent = Pt(0)
            p.paragraph_format.left_indent = Pt(14)
            self.line(p.paragraph_format, 22)
            if n == len(items) - 1 and "　" in text:
                who, when = text.split("　", 1)
                self.fonts(p.add_run(who), BODY_FONT, 14)
                self.fonts(p.add_run("\t" + when), BODY_FONT, 14)
                p.paragraph_format.tab_stops.add_tab_stop(Pt(TEXT_WIDTH_PT - 30), WD_TAB_ALIGNMENT.RIGHT)
            else:
                self.fonts(p.add_run(text), BODY_FONT, 14)
        end = self.doc.add_paragraph()  # a document ends with a paragraph: a tiny one, never a page of its own
        self.line(end.paragraph_format, 1)

    @staticmethod
    def _imprint_borders(tab) -> None:
        """版记 rules: the first and last thick (0.35 mm), those between thin (0.25 mm); no sides."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        borders = OxmlElement("w:tblBorders")
        for side, size in (("top", 8), ("bottom", 8), ("insideH", 4), ("left", 0), ("right", 0), ("insideV", 0)):
            el = OxmlElement(f"w:{side}")
            el.set(qn("w:val"), "single" if size else "nil")
            if size:
                el.set(qn("w:sz"), str(size))
                el.set(qn("w:space"), "0")
                el.set(qn("w:color"), "000000")
            borders.append(el)
        set_tbl_pr(tab._tbl.tblPr, borders)

    def small(self, text: str, size: float = 12) -> None:
        """A table's note (仿宋 小四) or the annex (仿宋 五号): smaller type, so the briefing keeps to its pages."""
        from docx.shared import Pt

        p = self.doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(size * 2)
        self.line(p.paragraph_format, round(size * 1.6))
        self.fonts(p.add_run(text), BODY_FONT, size)

    def annex_header(self, title: str) -> None:
        """GB/T 9704 for an annex not bound with the body: 发文字号 and 附件 top left, then its title."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        p = self.doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(0)
        b = self.briefing
        self.fonts(p.add_run("附件" if b.head == "title" else f"{b.masthead}{b.issue}　附件"), HEAD_FONT, BODY_PT)
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = Pt(0)
        self.line(p.paragraph_format, 40)
        self.fonts(p.add_run(title), MAST_FONT, 22)

    # --- the document ----------------------------------------------------------------------------------

    def block(self, b: Block, charts: dict[str, bytes], noted: bool = False) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
        from docx.shared import Pt

        doc = self.doc
        if b.kind == "h1":
            self.title_block() if self.briefing.head == "title" else self.masthead()
        elif b.kind in ("h2", "h3"):
            h = doc.add_paragraph(b.text, style="Heading 1" if b.kind == "h2" else "Heading 2")
            h.paragraph_format.keep_with_next = True  # said on the paragraph too: LibreOffice wants it there
        elif b.kind == "p" and b.text.startswith("注："):
            self.small(b.text)
        elif b.kind == "p":
            p = doc.add_paragraph(b.text)
            p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
            p.paragraph_format.keep_with_next = b.text.endswith("：")  # it introduces what follows
        elif b.kind == "ul":
            for item in b.items:
                doc.add_paragraph(item).paragraph_format.first_line_indent = Pt(BODY_PT * 2)
        elif b.kind == "table" and b.table is not None:
            self.table(b.table, noted)
        elif b.kind == "chart" and b.name in charts:
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.keep_with_next = True  # the figure stays with its caption
            p.paragraph_format.first_line_indent = Pt(0)
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            p.add_run().add_picture(io.BytesIO(charts[b.name]), width=Pt(TEXT_WIDTH_PT))  # printed as drawn
            doc.add_paragraph(b.text, style="Caption")
        elif b.kind == "box" and b.name != SIGNATURE:  # the 落款 is written after the 附件说明
            self.box(b.name, b.items)

    def write(self, markdown: str, charts: dict[str, bytes], part: str = "body") -> bytes:
        from docx.shared import Pt

        self.page_numbers()
        body, annex, imprint_items = split_annex(blocks(markdown))
        if part == "annex":
            self.annex_header(annex[0].text.removeprefix("附件").strip("　 ") if annex else "附件")
            todo = annex[1:]
        else:
            todo = body
        for n, b in enumerate(todo):
            after = todo[n + 1] if n + 1 < len(todo) else None
            self.block(b, charts, noted=after is not None and after.kind == "p" and after.text.startswith("注："))
        if part == "body":
            signature = next((b.items for b in body if b.kind == "box" and b.name == SIGNATURE), [])
            if signature and self.doc.paragraphs:  # the text's last lines go with the 落款 (no 落款 alone on a page)
                self.doc.paragraphs[-1].paragraph_format.keep_with_next = True
            if annex:  # 附件说明 after the body: the annex is its own file, as the reader's copy has it
                p = self.doc.add_paragraph()
                p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
                p.paragraph_format.space_before = Pt(12)
                p.add_run("附件：" + annex[0].text.removeprefix("附件").strip("　 "))
                p.paragraph_format.keep_with_next = True  # the 落款 never on a page of its own
            self.signature(signature)
            if imprint_items is not None:
                self.imprint(imprint_items)
        props = self.doc.core_properties
        props.title = f"{self.briefing.title} {self.briefing.issue}" + (" 附件" if part == "annex" else "")
        props.author = self.briefing.office
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


def to_docx(briefing: Briefing, markdown: str, charts: dict[str, bytes], stem: str = "",
            part: str = "body") -> bytes:
    """The briefing in the official 简报 format (`part="body"`: masthead to 版记), or its annex as a
    document of its own (`part="annex"`), as GB/T 9704 allows for an annex not bound with the body."""
    return WordWriter(briefing).write(markdown, charts, part)


def to_docx_files(briefing: Briefing, markdown: str, charts: dict[str, bytes], stem: str) -> dict[str, bytes]:
    """The briefing, and its annex in a file of its own when it has one: the briefing a leader reads
    keeps to its pages, the annex (every hazard and statement the body left out) goes with it."""
    out = {f"{stem}.docx": to_docx(briefing, markdown, charts, stem)}
    if split_annex(blocks(markdown))[1]:
        out[f"{stem}_附件.docx"] = to_docx(briefing, markdown, charts, stem, part="annex")
    return out
