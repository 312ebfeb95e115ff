"""Turn a briefing's .docx (LibreOffice) or .html (headless Chromium) into a PDF and PNG pages, to
look at them as a reader will. Fonts an office's Windows PC has (仿宋, 黑体, 楷体, 方正小标宋) are
mapped to Noto CJK by tests/data/fonts.conf.

    python scripts/render_pages.py 输出/工作简报第3期_2021-09-30.docx [--png DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "tests" / "data" / "fonts.conf"


def env() -> dict:
    return dict(os.environ, FONTCONFIG_FILE=str(FONTS))


def to_pdf(path: Path, out: Path) -> Path:
    """The PDF of a .docx or .html, written into folder `out`."""
    out.mkdir(parents=True, exist_ok=True)
    pdf = out / (path.stem + ".pdf")
    if path.suffix == ".docx":
        profile = Path(tempfile.mkdtemp(prefix="lo-"))
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out), str(path)], check=True, capture_output=True, env=env(), timeout=240)
        shutil.rmtree(profile, ignore_errors=True)
    else:
        chrome = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        profile = Path(tempfile.mkdtemp(prefix="chrome-"))
        subprocess.run([chrome, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--no-first-run", "--disable-sync",
                        f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                        path.resolve().as_uri()], check=True, capture_output=True, env=env(), timeout=240)
        shutil.rmtree(profile, ignore_errors=True)
    return pdf


def to_png(pdf: Path, out: Path, dpi: int = 80, first: int | None = None, last: int | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    args = ["pdftoppm", "-png", "-r", str(dpi)]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    subprocess.run([*args, str(pdf), str(out / pdf.stem)], check=True, capture_output=True, timeout=120)
    return sorted(out.glob(f"{pdf.stem}*.png"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", type=Path)
    ap.add_argument("--png", type=Path, default=None, help="also write PNG pages into this folder")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "safetyreport-pages")
    args = ap.parse_args()
    pdf = to_pdf(args.file, args.out)
    print(pdf)
    if args.png:
        for p in to_png(pdf, args.png):
            print(p)


if __name__ == "__main__":
    sys.exit(main())
