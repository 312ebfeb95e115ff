"""The README's pictures, made from the demo as a clerk would see it: the status table in a
terminal, a 回执 as a unit receives it, the consolidated workbook printed, page 1 of the weekly,
the monthly and the summary.

    python scripts/readme_images.py [--out docs/img]

Needs Chromium, LibreOffice and poppler-utils (as .ci/run installs them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from render_pages import to_pdf, to_png
from safetyreport.config import load_config


def shot(html: Path, png: Path, width: int, height: int) -> None:
    chrome = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    profile = Path(tempfile.mkdtemp(prefix="chrome-"))
    subprocess.run([chrome, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--disable-background-networking", "--no-first-run", f"--user-data-dir={profile}",
                    f"--window-size={width},{height}", f"--screenshot={png}", html.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)
    shutil.rmtree(profile, ignore_errors=True)


def status_table(folder: Path, out: Path) -> None:
    """`safetyreport status` as a terminal shows it (rich's own SVG export, then a screenshot)."""
    from rich.console import Console

    from safetyreport.cli.console import print_status
    from safetyreport.workflow import status_job

    cfg = load_config(folder / "safetyreport.toml")
    outcome = status_job(cfg, "2021-09-30", at=dt.datetime(2021, 9, 30, 12, 5, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    import io

    console = Console(record=True, width=120, force_terminal=True, highlight=False, file=io.StringIO())
    print_status(outcome, console)
    page = folder / "status.html"
    body = console.export_html(inline_styles=True, code_format="<pre>{code}</pre>")
    style = ("body{margin:0;background:#1e1e1e;color:#ddd} pre{margin:0;padding:14px 18px;"
             "font:15px/1.45 'Noto Sans Mono CJK SC','Sarasa Mono SC',monospace}")
    page.write_text(f"<html><head><meta charset='utf-8'><style>{style}</style></head><body>"
                    f"<div style='background:#333;color:#aaa;font:13px sans-serif;padding:6px 18px'>"
                    f"$ safetyreport status --period 2021-09-30</div>{body}</body></html>", encoding="utf-8")
    shot(page, out / "status.png", 1040, 560)


def reply(folder: Path, out: Path) -> None:
    """A 回执 as the unit receives it: a mail saved as .eml taken in; its stored 回执 rendered."""
    from load_mailbox import unit_mail
    from safetyreport.ledger.store import Ledger

    inbox = folder / "mail"
    inbox.mkdir(exist_ok=True)
    flawed = ROOT / "samples" / "flawed" / "合计不符_开元街道.xlsx"
    raw = unit_mail("开元街道 <kaiyuan@example.invalid>", "开元街道第2周报表", [flawed],
                    dt.datetime(2021, 9, 23, 9, 58, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    (inbox / "开元街道.eml").write_bytes(b"Received: from mx by office; Thu, 23 Sep 2021 10:00:00 +0800\r\n" + raw)
    subprocess.run([sys.executable, "-m", "safetyreport", "intake", str(inbox), "--period", "2021-09-23",
                    "--config", str(folder / "safetyreport.toml")], capture_output=True, check=False)
    with Ledger(folder) as ledger:
        stored = next(d["reply"] for d in ledger.mail_details() if d.get("reply"))
    page = folder / "reply.html"
    head = (f"<div style='font:14px sans-serif;padding:8px 12px;background:#f3f3f3;border-bottom:1px solid #ccc'>"
            f"<b>主题：</b>{stored['subject']}<br><b>收件人：</b>{', '.join(stored['to'])}</div>")
    page.write_text(stored["html"].replace("<body>", "<body style='margin:0;font-family:sans-serif'>" + head, 1),
                    encoding="utf-8")
    shot(page, out / "reply.png", 900, 620)


def workbook(folder: Path, out: Path) -> None:
    """The consolidated workbook's first sheet as it prints (LibreOffice)."""
    book = folder / "输出" / "鲤城区专项整治汇总_2021-09-30.xlsx"
    pdf = to_pdf_xlsx(book, folder / "pdf")
    pages = to_png(pdf, folder / "png", dpi=150, first=1, last=1)
    from PIL import Image, ImageOps

    page = Image.open(pages[0]).convert("RGB")
    box = ImageOps.invert(page.convert("L")).getbbox()  # the printed area, without the paper's margins
    if box:
        page = page.crop((box[0] - 10, box[1] - 10, box[2] + 10, min(box[3], box[1] + (box[2] - box[0]) // 2)))
    page.save(out / "workbook.png", optimize=True)


def to_pdf_xlsx(book: Path, outdir: Path) -> Path:
    profile = Path(tempfile.mkdtemp(prefix="lo-"))
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(outdir), str(book)], check=True, capture_output=True, timeout=240)
    shutil.rmtree(profile, ignore_errors=True)
    return outdir / (book.stem + ".pdf")


def first_pages(folder: Path, out: Path) -> None:
    """Page 1 of the weekly 第3期, the September monthly and the summary, as LibreOffice prints the .docx."""
    cfg = str(folder / "safetyreport.toml")
    for name, args, stem in (("weekly", ["weekly", "--period", "2021-09-30"], "工作简报第3期_2021-09-30"),
                             ("monthly", ["monthly", "--month", "2021-09"], "月报_2021-09"),
                             ("summary", ["summary"], "专项整治总结")):
        subprocess.run([sys.executable, "-m", "safetyreport", "report", *args, "--format", "docx", "--config", cfg],
                       check=True, capture_output=True)
        with tempfile.TemporaryDirectory() as tmp:
            pdf = to_pdf(folder / "输出" / f"{stem}.docx", Path(tmp))
            png = to_png(pdf, Path(tmp), dpi=80, first=1, last=1)[0]
            shutil.copyfile(png, out / f"{name}-page1.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        subprocess.run([sys.executable, "-m", "safetyreport", "demo", str(folder)], check=True, capture_output=True)
        status_table(folder, args.out)
        workbook(folder, args.out)
        reply(folder, args.out)
        first_pages(folder, args.out)



if __name__ == "__main__":
    main()
