"""The briefing as one self-contained HTML page (print CSS for A4, page numbers, figures inline)."""

from __future__ import annotations

import base64
import html

from .briefing import Briefing
from .markdown import SIGNATURE, Table, blocks

CSS = """
body { font-family: "仿宋_GB2312", "仿宋", "FangSong", "STFangsong", "Noto Serif CJK SC", serif; font-size: 16pt;
       max-width: 46em; margin: 2em auto; line-height: 1.75; color: #111; }
.masthead { text-align: center; color: #c00; }
.masthead .campaign { font-family: "方正小标宋简体", "方正小标宋_GBK", "华文中宋", "STZhongsong", "SimSun", "Noto Serif CJK SC", serif; font-size: 18pt; margin: 0; }
.masthead .name { font-family: "方正小标宋简体", "方正小标宋_GBK", "华文中宋", "STZhongsong", "SimSun", "Noto Serif CJK SC", serif; font-size: 40pt;
                  letter-spacing: .3em; margin: .1em 0; font-weight: bold; }
.issue { text-align: center; margin: 0; }
.meta { display: flex; justify-content: space-between; border-bottom: 3px solid #c00; padding-bottom: .2em;
        margin-bottom: 1em; }
h2 { font-family: "黑体", "SimHei", "STHeiti", "Noto Sans CJK SC", sans-serif; font-size: 16pt; font-weight: normal;
     margin: 1em 0 .2em; break-after: avoid; }
h3 { font-family: "楷体_GB2312", "楷体", "KaiTi", "STKaiti", "Noto Serif CJK SC", serif; font-size: 16pt; font-weight: normal;
     margin: .6em 0 .2em; break-after: avoid; }
p, li { text-indent: 2em; margin: 0; }
p.note { font-size: 12pt; line-height: 1.5; }
ul { list-style: none; padding: 0; margin: 0; }
aside.box { border: 1px solid #333; padding: .4em .8em; margin: .6em 0; font-size: 14pt; }
aside.box h4 { font-family: "黑体", "SimHei", "STHeiti", "Noto Sans CJK SC", sans-serif; margin: 0; text-align: center;
               font-weight: normal; }
table { border-collapse: collapse; width: 100%; margin: .4em 0 .8em; font-size: 10.5pt; line-height: 1.4; }
caption { font-family: "黑体", "SimHei", "STHeiti", "Noto Sans CJK SC", sans-serif; font-size: 12pt; padding: .2em; }
th, td { border: 1px solid #333; padding: .15em .35em; white-space: nowrap; }
td.text { white-space: normal; }
th { font-family: "黑体", "SimHei", "STHeiti", "Noto Sans CJK SC", sans-serif; font-weight: normal; background: #f2f2f2; }
td.right { text-align: right; } td.center, th { text-align: center; } td.left { text-align: left; }
tr.total td { font-weight: bold; }
figure { margin: .6em 0; text-align: center; break-inside: avoid; }
figure img { max-width: 100%; }
figcaption { font-family: "黑体", "SimHei", "STHeiti", "Noto Sans CJK SC", sans-serif; font-size: 12pt; }
h1.title { font-family: "方正小标宋简体", "方正小标宋_GBK", "华文中宋", "STZhongsong", "SimSun", "Noto Serif CJK SC", serif;
           font-size: 22pt; font-weight: normal; text-align: center; margin: 1em 2em; line-height: 1.5; }
div.signature { margin: 2em 4em 0 auto; width: max-content; text-align: center; }
div.signature p { text-indent: 0; margin: 0; }
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
        if b.kind == "h1" and briefing.head == "title":
            parts.append(f"<h1 class=\"title\">{e(briefing.title)}</h1>")
        elif b.kind == "h1":
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
        elif b.kind == "box" and b.name == SIGNATURE:
            parts.append("<div class=\"signature\">" + "".join(f"<p>{e(x)}</p>" for x in b.items) + "</div>")
        elif b.kind == "box" and b.name == "版记":
            parts.append("<footer class=\"imprint\">" + "".join(f"<p>{e(x)}</p>" for x in b.items) + "</footer>")
        elif b.kind == "box":
            parts.append(f"<aside class=\"box\"><h4>{e(b.name)}</h4>" + "".join(f"<p>{e(x)}</p>" for x in b.items)
                         + "</aside>")
    parts.append("</body></html>")
    return "\n".join(parts)
