"""Rendering a briefing: the Markdown from its template, then each format's writer.

`outputs.markdown` renders the template and parses the Markdown subset; `outputs.html_page` and
`outputs.word` write the HTML page and the Word 简报 from the same blocks. The templates in
`templates/` are where an office changes wording or adds a section; no figure is computed here or
in a template.
"""

from __future__ import annotations

from collections.abc import Callable

from .briefing import Briefing
from .html_page import to_html
from .markdown import blocks, md_text, render_markdown, template_dir, to_markdown
from .word import TEXT_WIDTH_PT, text_width, to_docx, to_docx_files

__all__ = ["RENDERERS", "TEXT_WIDTH_PT", "blocks", "md_text", "render_markdown", "template_dir", "text_width",
           "to_docx", "to_html", "to_markdown"]

RENDERERS: dict[str, Callable[[Briefing, str, dict[str, bytes], str], dict[str, bytes]]] = {
    "md": to_markdown,
    "html": lambda b, md, charts, stem: {f"{stem}.html": to_html(b, md, charts, stem).encode("utf-8")},
    "docx": lambda b, md, charts, stem: to_docx_files(b, md, charts, stem),
    "pdf": lambda b, md, charts, stem: _pdf(b, md, charts, stem),
}


def _pdf(b: Briefing, md: str, charts: dict[str, bytes], stem: str) -> dict[str, bytes]:
    from .pdf import to_pdf_files  # LibreOffice is looked for only when a PDF is asked for

    return to_pdf_files(b, md, charts, stem)
