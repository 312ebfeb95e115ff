"""The briefing as PDF, which offices circulate: the Word 简报 converted by LibreOffice.

LibreOffice runs headless with a profile of its own in a temporary folder (so a clerk's open
LibreOffice window, or two runs at once, never get in the way). Without LibreOffice the user is
told how to get it; nothing is half-written.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import UserError
from .briefing import Briefing
from .word import to_docx_files

SOFFICE = ("soffice", "libreoffice")


class PdfError(UserError):
    """No PDF could be made; the message says why and what to do."""

    kind = "output"


def soffice() -> str | None:
    return next((found for name in SOFFICE if (found := shutil.which(name))), None)


def docx_to_pdf(files: dict[str, bytes], timeout: float = 180) -> dict[str, bytes]:
    """Each .docx as a .pdf of the same stem, by LibreOffice."""
    exe = soffice()
    if exe is None:
        raise PdfError("生成 PDF 需要 LibreOffice（免费）：Windows 从 libreoffice.org 安装，Debian/Ubuntu 运行 "
                       "apt-get install libreoffice-writer-nogui；或改用 --format md,html,docx。")
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="safetyreport-pdf-") as tmp:
        folder = Path(tmp)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        proc = subprocess.run([exe, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                               "--convert-to", "pdf", "--outdir", str(folder / "pdf"),
                               *[str(folder / n) for n in files]], capture_output=True, timeout=timeout)
        for name in files:
            pdf = folder / "pdf" / (Path(name).stem + ".pdf")
            if not pdf.is_file():
                raise PdfError(f"LibreOffice 未能把 {name} 转成 PDF（{proc.stderr.decode(errors='replace')[-200:]}）。")
            out[pdf.name] = pdf.read_bytes()
    return out


def to_pdf_files(briefing: Briefing, markdown: str, charts: dict[str, bytes], stem: str) -> dict[str, bytes]:
    """The briefing (and its annex, when it has one) as PDF, laid out exactly as the Word version."""
    return docx_to_pdf(to_docx_files(briefing, markdown, charts, stem))
