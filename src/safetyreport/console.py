"""Printing results for people (rich) and scripts (JSON). Computes nothing."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from rich.console import Console
from rich.table import Table

from .validation import ValidationReport

SEVERITY_TEXT = {"error": "[bold red]错误[/]", "warning": "[yellow]提醒[/]"}


def make_console(stderr: bool = False) -> Console:
    # A Windows console in a GBK code page cannot print every character: replace, never crash.
    stream = sys.stderr if stderr else sys.stdout
    try:
        if stream.encoding and stream.encoding.lower().replace("-", "") not in ("utf8", "utf16"):
            stream.reconfigure(errors="replace")
    except (AttributeError, ValueError):
        pass
    return Console(file=stream, highlight=False, soft_wrap=False)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def progress_bar(total: int, description: str, enabled: bool) -> Iterator:
    """A rich progress bar on a terminal; a no-op callback when piped or for --json."""
    if not enabled or total < 2 or not sys.stdout.isatty():
        yield lambda _item: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda _item: bar.advance(task)


def print_validation(report: ValidationReport, console: Console) -> None:
    for item in report.files:
        name = Path(item.path).name
        errors = sum(1 for f in item.findings if f.severity == "error")
        warnings = len(item.findings) - errors
        who = f"（{item.submitter}）" if item.submitter else ""
        forms = "、".join(report.form_labels.get(f, f) for f in item.forms) if item.forms else "无"
        if item.unreadable:
            verdict = "[bold red]✘ 无法读取[/]"
        elif errors:
            verdict = f"[bold red]✘ {errors} 个错误[/]" + (f"，{warnings} 个提醒" if warnings else "")
        elif warnings:
            verdict = f"[green]✔ 通过[/]，[yellow]{warnings} 个提醒[/]"
        else:
            verdict = "[green]✔ 通过[/]"
        console.print(f"[bold]{name}[/]{who}  报表：{forms}  {verdict}")
        if item.findings:
            table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1), expand=False)
            table.add_column("级别", no_wrap=True)
            table.add_column("位置", no_wrap=True)
            table.add_column("问题", no_wrap=True)
            table.add_column("说明")
            for f in item.findings:
                table.add_row(SEVERITY_TEXT.get(f.severity, f.severity), f.location or "—",
                              f"{f.title}\n[dim]{f.code}[/]", f.message)
            console.print(table)
        console.print()
    for s in report.skipped:
        console.print(f"[dim]已跳过 {s.path}：{s.reason}[/]")
    summary = report.to_dict()["summary"]
    bad = sum(1 for f in report.files if not f.ok)
    console.print(f"共检查 {summary['files']} 个文件：{summary['files'] - bad} 个通过，{bad} 个有错误；"
                  f"错误 {summary['errors']} 个，提醒 {summary['warnings']} 个。")
