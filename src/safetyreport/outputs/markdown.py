"""The Markdown subset every briefing is written in, and the Markdown file itself.

A jinja2 template (`templates/*.md.j2`, the office's wording) writes a small Markdown subset, so
that the Markdown, HTML and Word versions say exactly the same thing: `#` the masthead, `##` 一、
headings, `###` （一） headings, paragraphs, `- ` items, `|` tables (with `|--:|` alignment) under a
"表N 标题" caption line, `![图N 说明](chart:name)` figures, and `::: 名称 … :::` boxes (本期要点, 版记).
Here: the template's rendering (every value through `md_text`), the parser into `Block`s that the
HTML and Word writers share, and the Markdown file with its charts beside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..values import neutral
from .briefing import Briefing

CHART = re.compile(r"^!\[(?P<alt>[^\]]*)\]\(chart:(?P<name>[a-z_]+)\)$")
CAPTION = re.compile(r"^表\d+[\s　]")


def template_dir() -> Path:
    """The generic templates (any campaign's 简报 and 总结, the board)."""
    from ..shipped import data_dir

    return data_dir("templates")


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
    """The briefing's Markdown from its template: `folder` (a campaign's own templates/) first,
    then the built-in ones."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from ..shipped import template_dirs

    search = [str(p) for p in ([folder] if folder else []) + list(template_dirs())]
    env = Environment(loader=FileSystemLoader(search), undefined=StrictUndefined,
                      autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      finalize=md_text)
    env.filters["cell"] = md_cell
    return env.get_template(briefing.template or f"{briefing.kind}.md.j2").render(b=briefing)


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
    if briefing.head == "title":  # a document's title; its 落款 at the end says who and when
        head = f"# {md_text(briefing.title)}\n"
    else:
        head = (f"{md_text(briefing.campaign)}\n\n# {md_text(briefing.masthead)}\n\n{md_text(briefing.issue)}\n\n"
                f"{md_text(briefing.office)}　{md_text(briefing.date)}\n")
    body = rest
    for name, file in files.items():
        if name in charts:
            # the template's own figure lines only: "(chart:…)" inside a unit's text stays text
            body = re.sub(rf"^(!\[[^\]]*\])\(chart:{name}\)$", _link_to(file), body, flags=re.M)
        else:  # no chart drawn (no data): no link to nothing
            body = re.sub(rf"^!\[[^\]]*\]\(chart:{name}\)\n?", "", body, flags=re.M)
    out = {f"{stem}.md": f"{head}{_quoted_boxes(body)}".encode()}
    out.update({files[name]: data for name, data in charts.items() if name in files})
    return out


def _quoted_boxes(body: str) -> str:
    """`::: 名称 … :::` boxes (our own syntax, which a Markdown viewer shows as raw colons) as
    quotes headed by the box's name in bold."""
    out: list[str] = []
    inside = signed = False
    for line in body.split("\n"):
        if line.startswith(":::"):
            name = line[3:].strip()
            inside = bool(name) and name != SIGNATURE  # the 落款 stays plain lines: a signature, not a box
            signed = name == SIGNATURE
            if inside:
                out.append(f"> **{name}**")
                out.append(">")
            continue
        if signed and line.strip():  # the 落款's lines each on a line of its own (a hard break)
            out.append(f"{line}  ")
            continue
        out.append(f"> {line}".rstrip() if inside and line.strip() else (">" if inside else line))
    return "\n".join(out)


SIGNATURE = "落款"  # the box holding a document's 署名 and 成文日期


def split_annex(items: list[Block]) -> tuple[list[Block], list[Block], list[str] | None]:
    """The body, the annex (from its "附件" heading; empty when there is none) and the 版记's lines."""
    imprint = next((b.items for b in items if b.kind == "box" and b.name == "版记"), None)
    items = [b for b in items if not (b.kind == "box" and b.name == "版记")]
    start = next((i for i, b in enumerate(items) if b.kind == "h2" and b.text.startswith("附件")), len(items))
    return items[:start], items[start:], imprint
