"""Printing results for people (rich) and scripts (JSON). Computes nothing."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..findings import tally
from ..values import neutral

if TYPE_CHECKING:  # rich is imported only when something is printed for people, never under --json
    from rich.console import Console
    from rich.table import Table

    from ..checking.validation import ValidationReport
    from ..ledger.intake import IntakeReport
    from ..mail.send import MailOutcome
    from ..workflow import MergeOutcome, StatusOutcome

def e(value: object, keep_newlines: bool = False) -> str:
    """Text that came from a filing (or a path, or a message quoting one) on its way to the
    terminal: no control characters (ESC would drive the terminal), no rich markup ("[red]")."""
    from rich.markup import escape

    return escape(neutral(value if value is not None else "", keep_newlines))


SEVERITY_TEXT = {"error": "[bold red]错误[/]", "warning": "[yellow]提醒[/]"}


def make_console(stderr: bool = False) -> Console:
    """A console that never cuts: piped or redirected (cron logs, `> out.txt`), every line is
    printed whole, tables included; on a terminal, text is left to the terminal to wrap, so a
    path is never broken by us. A Windows console in a GBK code page cannot print every
    character: replace, never crash."""
    stream = sys.stderr if stderr else sys.stdout
    try:
        if stream.encoding and stream.encoding.lower().replace("-", "") not in ("utf8", "utf16"):
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        pass
    from rich.console import Console

    interactive = hasattr(stream, "isatty") and stream.isatty()
    return Console(file=stream, highlight=False, soft_wrap=True, width=None if interactive else 100_000)


def print_json(data: Any, text: str | None = None) -> None:
    """JSON for scripts (`text`: `indented_json(data)` made already). On a console whose code
    page cannot hold every character (GBK and an emoji in a file name), the text is written with
    \\u escapes: still the same JSON, never a crash."""
    text = (indented_json(data) if text is None else text) + "\n"
    try:
        text.encode(sys.stdout.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        text = json.dumps(json.loads(text), ensure_ascii=True, indent=2) + "\n"  # the same JSON, escaped
    sys.stdout.write(text)


def indented_json(data: Any) -> str:
    """`json.dumps(data, ensure_ascii=False, indent=2, default=str)`, the same text at twice the
    speed (a province's merge report is 7 MB: 0.18 → 0.09 s): the standard library writes indented
    JSON through nested generators; this appends the pieces to one list, each string, number and
    key still encoded by the json module's own C functions."""
    from json.encoder import encode_basestring

    pieces: list[str] = []
    add = pieces.append

    def number(o: float) -> str:
        return "NaN" if o != o else "Infinity" if o == _INF else "-Infinity" if o == -_INF else float.__repr__(o)

    def key(k: Any) -> str:
        if isinstance(k, str):
            return encode_basestring(k)
        if k is None or isinstance(k, (bool, int, float)):
            return '"' + json.dumps(k) + '"'  # None/True/1.5 as the json module names them: "null", "true", "1.5"
        raise TypeError(f"keys must be str, int, float, bool or None, not {type(k).__name__}")

    def walk(o: Any, pad: str) -> None:
        if isinstance(o, str):
            add(encode_basestring(o))
        elif o is None or o is True or o is False:
            add("null" if o is None else "true" if o else "false")
        elif isinstance(o, int):
            add(int.__repr__(o))
        elif isinstance(o, float):
            add(number(o))
        elif isinstance(o, (list, tuple)):
            if not o:
                add("[]")
                return
            inner = pad + "  "
            add("[\n" + inner)
            between = ",\n" + inner
            for i, item in enumerate(o):
                if i:
                    add(between)
                walk(item, inner)
            add("\n" + pad + "]")
        elif isinstance(o, dict):
            if not o:
                add("{}")
                return
            inner = pad + "  "
            before = "{\n" + inner
            for k, item in o.items():
                add(before + key(k) + ": ")
                before = ",\n" + inner
                walk(item, inner)
            add("\n" + pad + "}")
        else:
            walk(str(o), pad)

    walk(data, "")
    return "".join(pieces)


_INF = float("inf")


@contextmanager
def progress_bar(total: int, description: str, enabled: bool) -> Iterator:
    """A rich progress bar on a terminal; a no-op callback when piped or for --json."""
    if not enabled or total < 2 or not sys.stdout.isatty():
        yield lambda _item: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # no refresh thread (auto_refresh=False): reading forks worker processes, and a process
    # must not fork while another of its threads may hold a lock; the bar redraws as files finish
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=True, auto_refresh=False) as bar:
        task = bar.add_task(description, total=total)

        def tick(_item) -> None:
            bar.advance(task)
            bar.refresh()

        yield tick


def new_table(*columns: str, right: tuple[str, ...] = ()) -> Table:
    """A table whose cells wrap (fold) on a narrow terminal instead of being cut with "…"."""
    from rich.table import Table

    t = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
    for col in columns:
        t.add_column(col, overflow="fold", justify="right" if col in right else "left")
    return t


def print_validation(report: ValidationReport, console: Console) -> None:
    for item in report.files:
        name = e(Path(item.path).name)
        errors, warnings = tally(item.findings)
        who = f"（{e(item.submitter)}）" if item.submitter else ""
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
            rows = new_table("级别", "位置", "问题", "说明")
            for f in item.findings:
                rows.add_row(SEVERITY_TEXT.get(f.severity, f.severity), e(f.location) or "—",
                             f"{f.title}\n[dim]{f.code}[/]", e(f.message))
            console.print(rows)
        console.print()
    for s in report.skipped:
        console.print(f"[dim]已跳过 {e(s.path)}：{s.reason}[/]")
    summary = report.to_dict()["summary"]
    bad = sum(1 for f in report.files if not f.ok)
    console.print(f"共检查 {summary['files']} 个文件：{summary['files'] - bad} 个通过，{bad} 个有错误；"
                  f"错误 {summary['errors']} 个，提醒 {summary['warnings']} 个。")


STATE_TEXT = {"counted": "[green]计入[/]", "superseded": "[dim]被替代[/]", "withdrawn": "[yellow]已撤回[/]",
              "unassigned": "[red]未计入：单位或周期不明[/]"}


def print_filings(report, console: Console) -> None:
    from ..ledger.store import receipt_source_label, receipt_source_trusted

    scope = "、".join(x for x in (report.period.label if report.period else "", report.submitter or "") if x)
    console.print(f"[bold]报送台账{('（' + e(scope) + '）') if scope else ''}：共 {len(report.rows)} 份[/]")
    table = new_table("编号", "文件", "单位", "周期", "收到时间", "状态", "报表", "错误", "提醒",
                      right=("编号", "错误", "提醒"))
    for r in report.rows:
        f = r.filing
        when = f"{f.received_at:%Y-%m-%d %H:%M}"
        if not receipt_source_trusted(f.received_source):
            when += f"（{receipt_source_label(f.received_source)}）"
        state = STATE_TEXT.get(r.state, r.state) + (f"：{e(f.withdrawn)}" if f.withdrawn else "")
        table.add_row(str(f.id), e(f.original_name), e(f.submitter) or "—", f.period or "—", when, state,
                      "、".join(report.form_labels.get(x, x) for x in r.forms) or "—", str(f.errors), str(f.warnings))
    console.print(table)


def print_withdraw(outcome, console: Console) -> None:
    f = outcome.filing
    if outcome.undo:
        console.print(f"已恢复：编号 {f.id}（{e(f.original_name)}，{e(f.submitter) or '单位不明'}，"
                      f"{f.period or '周期不明'}）重新计入。")
    else:
        console.print(f"已撤回：编号 {f.id}（{e(f.original_name)}，{e(f.submitter) or '单位不明'}，{f.period or '周期不明'}）"
                      f"不再计入。原因：{e(f.withdrawn)}")
        console.print("文件和记录仍在台账中；可用 safetyreport intake 把它登记到正确的周期，或用 --undo 恢复。")


def print_decide(outcome, console: Console) -> None:
    d = outcome.duplicate
    meaning = "是同一个，只计一次" if outcome.verdict == "same" else "不是同一个，分别计"
    console.print(f"已记录：{d.id} {e(d.what)}“{e(d.name)}”（{e(d.first)}、{e(d.second)}）{meaning}。")


def print_export(outcome, console: Console) -> None:
    console.print(f"已导出 {outcome.rows} 个数（明细表）和 {len(outcome.wide)} 张宽表：")
    for path in outcome.files:
        console.print(f"  {e(path)}")


def print_check(outcome, console: Console) -> None:
    if outcome.settled:
        console.print(f"已处理 {outcome.settled} 封中断时未能确认的邮件。")
    for m in outcome.unconfirmed:
        console.print(f"[yellow]未能确认是否发出的邮件[/]（{e(m['started_at'][:16].replace('T', ' '))} 开始发送时程序中断）："
                      f"{e(m['recipient'])}：{e(m['subject'])}")
    if outcome.unconfirmed:
        console.print("核实后：已发出用 safetyreport check --mail-sent，没发出用 safetyreport check --mail-resend。")
    if not outcome.findings:
        console.print(f"台账完好，存档完好：{outcome.checked} 份报表的原件都在，内容与登记时一致。")
        return
    console.print(f"[red]存档有问题：{len(outcome.findings)} 份[/]（共核对 {outcome.checked} 份）")
    for f in outcome.findings:
        console.print(f"  {e(Path(f.path).name)}：{e(f.message)}")


def print_restore(outcome, console: Console) -> None:
    if outcome.restored:
        if outcome.saved_current:
            console.print(f"恢复前的台账已另存为备份：{e(outcome.saved_current)}")
        console.print(f"已从备份恢复报送台账：{e(outcome.restored)}")
        return
    if not outcome.backups:
        console.print("还没有备份。每次改动台账前都会自动在 备份/ 中留一份。")
        return
    table = new_table("序号", "备份", "报表份数", "检查", right=("序号", "报表份数"))
    for i, b in enumerate(outcome.backups, 1):
        table.add_row(str(i), e(b["name"]), "—" if b["filings"] is None else str(b["filings"]),
                      "完好" if b["good"] else f"[red]已损坏[/]（{e(b['problem'])}）")
    console.print(table)
    good = next((i for i, b in enumerate(outcome.backups, 1) if b["good"]), None)
    console.print(f"恢复：safetyreport restore 序号（1 为最新{f'，最新的完好备份为 {good}' if good else ''}）")


def print_rebuild(outcome, console: Console) -> None:
    console.print(f"已重建报送台账 {e(outcome.ledger)}：重新登记 {outcome.filings} 份报表（其中撤回 {outcome.withdrawn} 份），"
                  f"恢复核实决定 {outcome.decisions} 条、已发邮件记录 {outcome.mail} 条。")
    for name in outcome.missing:
        console.print(f"[red]原件缺失，未能重建[/]：{e(name)}")
    for text in outcome.refused:
        console.print(f"[red]记录不可信，未重建[/]：{e(text)}")


def print_correct(outcome, console: Console) -> None:
    what = "将更正（演练，台账未改动）" if outcome.dry_run else "已撤销更正，恢复原样" if outcome.undone else "已更正"
    console.print(f"{what}：{len(outcome.changed)} 份报表")
    table = new_table("编号", "文件", "单位", "收到时间", "周期")
    for c in outcome.changed:
        b, a = c["before"], c["after"]
        when = b["received_at"][:16].replace("T", " ") + (" → " + a["received_at"][:16].replace("T", " ")
                                                         if a["received_at"] != b["received_at"] else "")
        period = (b["period"] or "") + (f" → {a['period']}" if a["period"] != b["period"] else "")
        table.add_row(str(c["filing_id"]), e(c["file"]), e(c["submitter"] or ""), when, period)
    console.print(table)
    if not outcome.dry_run and not outcome.undone:
        console.print("如更正有误：safetyreport correct --undo")


def print_dismissed(outcome, console: Console) -> None:
    for n in outcome.dismissed:
        console.print(f"编号 {n} 的邮件已确认处理，不再提示。")
    for n in outcome.unknown:
        console.print(f"[red]没有编号为 {n} 的无法处理的邮件。[/]")
    for text in outcome.still_failed:
        console.print(f"[red]仍未处理的邮件[/]：{e(text)}")


def print_fetch(report, console: Console) -> None:
    from ..ledger.store import receipt_source_label

    if report.waiting or report.dry_run:
        console.print(f"收件邮箱 {e(report.mailbox)}（演练，未取信）：有 {len(report.waiting)} 封新邮件待取，此前已取 {report.already} 封。")
        for text in report.waiting:
            console.print(f"    {e(text)}")
    else:
        console.print(f"收件邮箱 {e(report.mailbox)}：新取 {len(report.messages)} 封，此前已取 {report.already} 封。")
    for m in report.messages:
        when = f"{m.received_at:%m-%d %H:%M}" if m.received_at else "时间不明"
        source = "" if m.received_source == "mail" else f"（{receipt_source_label(m.received_source)}）"
        who = e(m.submitter or f"{m.sender}（不在名单中）")
        console.print(f"[bold]{when}{source}[/] {who}：{e(m.subject) or '（无主题）'}")
        for t in m.files:
            errors, warnings = tally(t.findings)
            verdict = ("[red]未登记[/]" if t.filing is None else f"[red]{errors} 个错误[/]" if errors
                       else "[green]通过[/]" + (f"，{warnings} 个提醒" if warnings else ""))
            console.print(f"    {e(Path(t.path).name)}：{verdict}" + (f"（{t.filing.period}）" if t.filing and t.filing.period else ""))
        print_replaced(m.files, console)
        for name in m.narratives:
            console.print(f"    {e(name)}：工作情况（Word 文件，已保存）")
        for name, reason in m.skipped:
            console.print(f"    [dim]{e(name)}：未处理（{e(reason)}）[/]")
        for note in m.notes:
            console.print(f"    [yellow]注意：{e(note)}[/]")
    for text in report.failed:
        console.print(f"[red]无法处理的邮件（留在邮箱中；处理后用 safetyreport fetch --dismiss 编号 不再提示）[/]：{e(text)}")
    if report.mail is not None:
        print_mail(report.mail, console)
    if report.board:
        console.print(f"报送看板已更新：{e(report.board)}")
    if report.board_error:
        make_console(stderr=True).print(f"[yellow]注意：[/]报送看板未能更新：{e(report.board_error)}")
    if report.error:
        make_console(stderr=True).print(f"[bold red]错误：[/]{e(report.error)}")


def print_init(outcome, console: Console) -> None:
    console.print(f"已生成配置文件：{e(outcome.config)}")
    console.print(f"已新建报送台账：{e(outcome.ledger)}")
    console.print("请把配置文件中各单位的电子邮箱改为真实地址，然后在这个文件夹中运行其他命令。")


def print_intake(report: IntakeReport, console: Console) -> None:
    table = new_table("文件", "单位", "周期", "收到时间", "结果")
    for t in report.taken:
        f = t.filing
        errors, _ = tally(t.findings)
        if f is None:
            result = "[red]未登记：" + (e(t.findings[0].message) if t.findings else "无法读取") + "[/]"
        elif not t.new and t.repaired:
            result = f"[green]已登记过（编号 {f.id}），存档原件已补回[/]"
        elif not t.new:
            result = f"[dim]已登记过（内容相同，编号 {f.id}），未重复计入[/]"
        elif t.still_withdrawn:
            result = f"[yellow]此文件已于此前撤回（编号 {f.id}），仍不计入[/]；如要计入：safetyreport withdraw {f.id} --undo"
        elif t.retaken:
            result = f"[green]已重新登记[/]（编号 {f.id} 撤回后改登到此周期）"
        elif f.withdrawn:
            result = f"[yellow]已登记（编号 {f.id}），暂不计入：{e(f.withdrawn)}[/]"
        else:
            result = "[green]已登记[/]" + (f"，[red]{errors} 个错误[/]" if errors else "")
        table.add_row(e(Path(t.path).name), (e(f.submitter) if f else "") or "[red]无法识别[/]",
                      (f.period if f else "") or "[yellow]未定[/]",
                      f.received_at.strftime("%Y-%m-%d %H:%M") if f else "", result)
    console.print(table)
    _print_period_notes(report.taken, console)
    print_replaced(report.taken, console)
    for text in report.warnings:
        console.print(f"[bold yellow]注意：{e(text)}[/]")
    for s in report.skipped:
        console.print(f"[dim]已跳过 {e(s.path)}：{e(s.reason)}[/]")
    for s in report.failed:
        console.print(f"[red]无法处理的邮件 {e(s.path)}：{e(s.reason)}[/]")
    new = sum(t.new for t in report.taken)
    console.print(f"共 {len(report.taken)} 个文件，新登记 {new} 个。")


def _print_period_notes(taken, console: Console) -> None:
    """Which period a file went into is the clerk's to check: say when its own date disagrees."""
    for t in taken:
        for f in t.findings:
            if f.code in ("period-mismatch", "no-period"):
                console.print(f"[yellow]提醒[/] {e(Path(t.path).name)}：{e(f.message)}")


# the figures a clerk looks at first (column keys of 附件3)
def print_replaced(taken: list, console: Console) -> None:
    """A filing that replaced an earlier one is always said (a stray file never replaces silently)."""
    for t in taken:
        if t.replaced and t.filing is not None:
            console.print(f"[yellow]{e(Path(t.path).name)} 替代了 {e('；'.join(t.replaced))} 的报表[/]"
                          f"（{e(t.filing.submitter or '')}，{e(t.filing.period or '')}）")


def print_merge(outcome: MergeOutcome, console: Console) -> None:
    r = outcome.result
    if outcome.intake:
        new = sum(t.new for t in outcome.intake.taken)
        console.print(f"登记：{len(outcome.intake.taken)} 个文件，新登记 {new} 个。")
        for t in outcome.intake.taken:
            if t.filing is None:
                why = t.findings[0].message if t.findings else "无法读取"
                console.print(f"[red]未登记 {e(t.path)}：{e(why)}[/]")
        _print_period_notes(outcome.intake.taken, console)
        print_replaced(outcome.intake.taken, console)
        for text in outcome.intake.warnings:
            console.print(f"[bold yellow]注意：{e(text)}[/]")
    console.print(f"[bold]{e(r.district)} {r.period.label} 汇总[/]")
    filed = [x for x in r.rows if x.status == "filed"]
    carried = [x for x in r.rows if x.status == "carried"]
    missing = [x for x in r.rows if x.status == "missing"]
    console.print(f"已报送 {len(filed)} 个单位；沿用上期 {len(carried)} 个"
                  + (f"（{e('、'.join(x.submitter.name for x in carried))}）" if carried else "")
                  + f"；未报送 {len(missing)} 个"
                  + (f"（{e('、'.join(x.submitter.name for x in missing))}）" if missing else "") + "。")
    weekly = f"当周（{r.totals.weekly_submitters} 个单位）"
    table = new_table("项目", "累计", weekly, right=("累计", weekly))
    from ..outputs.board import headline_rows

    rows, note = headline_rows(r)  # the same figures, under the same words, as the board and the briefing
    for label, cumulative, week in rows:
        table.add_row(e(label), cumulative, week)
    console.print(table)
    if note:
        console.print(f"[dim]注：{e(note)}[/]")
    errors, warnings = tally(r.findings)
    console.print(f"问题：错误 {errors} 个，提醒 {warnings} 个（详见工作簿“问题清单”）。")
    pending = [d for d in r.duplicates if d.verdict is None]
    if pending:
        console.print(f"[yellow]疑似重复 {len(pending)} 处待核实[/]：" + "；".join(
            f"{d.id} {e(d.what)}“{e(d.name)}”（{e(d.first)}、{e(d.second)}）" for d in pending[:5]))
    if r.unidentified:
        console.print(f"[red]无法识别单位的文件 {len(r.unidentified)} 个[/]：" + e("、".join(f.original_name for f in r.unidentified)))
    console.print(f"汇总工作簿：{e(outcome.workbook)}")
    console.print(f"报上级的汇总表：{e(outcome.district_filing)}")


STATUS_STYLE = {"按时": "green", "迟报": "yellow", "迟报（待核实）": "yellow", "错报": "red", "漏报": "bold red"}


def print_status(outcome: StatusOutcome, console: Console) -> None:
    if outcome.record is not None:
        rec = outcome.record
        console.print(f"[bold]专项整治至今 {len(rec.periods)} 个周期的报送情况[/]")
        table = new_table("单位", "按时", "迟报", "错报", "漏报", right=("按时", "迟报", "错报", "漏报"))
        for name, c in rec.counts.items():
            table.add_row(e(name), str(c["按时"]), str(c["迟报"]), str(c["错报"]), str(c["漏报"]))
        console.print(table)
        return
    r = outcome.report
    assert r is not None  # a campaign record returned above
    if r.chosen:
        console.print(f"[dim]（{e(r.chosen)}）[/]")
    console.print(f"[bold]{r.period.label}[/]，截止 {r.period.deadline:%Y-%m-%d %H:%M}（北京时间）"
                  + ("，节假日顺延" if r.period.shifted else ""))
    for form, due in r.form_deadlines.items():
        if due != r.period.deadline:  # a form on a rhythm of its own (每季度末月24日前)
            console.print(f"{e(r.form_labels.get(form, form))}本期截止 {due:%Y-%m-%d %H:%M}")
    from ..ledger.store import receipt_source_label, receipt_source_trusted

    table = new_table("单位", "情况", "收到时间", "说明")
    for row in r.rows:
        style = STATUS_STYLE.get(row.flags[0] if row.flags else "按时", "")
        when = "—"
        if row.first_received:
            first = min(row.received, key=lambda form: row.received[form])
            source = row.sources.get(first, "unknown")
            when = f"{row.first_received:%m-%d %H:%M}" + ("" if receipt_source_trusted(source)
                                                            else f"（{receipt_source_label(source)}）")
        table.add_row(e(row.submitter.name), f"[{style}]{row.text}[/]", when, e(row.reasons(r.form_labels)))
    console.print(table)
    console.print(e(r.summary))
    console.print(f"错报认定：{r.wrong_rule}")
    if outcome.mail is not None:
        print_mail(outcome.mail, console)


def print_mail(mail: MailOutcome, console: Console) -> None:
    for m in mail.planned:
        console.print(f"[cyan]（演练，未发送）[/] 收件人：{e(', '.join(m.to))}\n主题：{e(m.subject)}\n"
                      f"{e(m.text, keep_newlines=True)}\n")
    for m in mail.sent:
        console.print(f"[green]已发送[/] {e(', '.join(m.to))}：{e(m.subject)}")
    for m in mail.skipped:
        console.print(f"[dim]已发送过，不再重复：{e(', '.join(m.to))}：{e(m.subject)}[/]")
    for m in mail.unsent:
        console.print(f"[red]未发送[/] {e(', '.join(m.to))}：{e(m.subject)}")
    for m in mail.unconfirmed:
        console.print(f"[yellow]上次发送时程序中断，不能确定是否已发出，暂不重发[/] {e(', '.join(m.to))}：{e(m.subject)}"
                      "（核实后用 safetyreport check --mail-sent 或 --mail-resend 处理）")
    if mail.error:
        make_console(stderr=True).print(f"[bold red]错误：[/]{e(mail.error)}")
    elif not (mail.planned or mail.sent or mail.skipped or mail.unconfirmed):
        console.print("没有需要发送的邮件。")


def print_reminders(outcome: StatusOutcome, console: Console) -> None:
    if outcome.report is not None:
        console.print(e(outcome.report.summary))
    if outcome.mail is not None:
        print_mail(outcome.mail, console)


def print_forms(outcome, console: Console) -> None:
    folder = Path(outcome.written[0]).parent if outcome.written else ""
    console.print(f"已为 {len(outcome.written)} 个单位生成{outcome.period.label}的空白报表，保存在 {e(folder)}")


def print_report(outcome, console: Console) -> None:
    b = outcome.briefing
    console.print(f"[bold]{e(b.title)}[/] {b.issue}（{b.period_label}）")
    for path in outcome.files:
        console.print(f"  {e(path)}")


def print_run(outcome, console: Console) -> None:
    """The period's routine in a few lines a clerk reads in ten seconds."""
    from ..ledger.status import human_delta

    p = outcome.period
    console.print(f"[bold]{e(p.label)}[/]，截止 {p.deadline.month}月{p.deadline.day}日 {p.deadline:%H:%M}" + ("（演练，未登记、未发送、未生成文件）" if outcome.dry_run else ""))
    f = outcome.fetched
    if f is not None:
        files = sum(len(m.files) for m in f.messages)
        console.print(f"  收件：{'待取' if outcome.dry_run else '新取'} {len(f.waiting) if outcome.dry_run else len(f.messages)} 封"
                      + (f"（{files} 个报表文件）" if files else "") + (f"，[red]无法处理 {len(f.failed)} 封[/]" if f.failed else ""))
    if outcome.status is not None and outcome.status.report is not None:
        r = outcome.status.report
        console.print(f"  报送：{e(r.headline(label=False))}")
        for code, word in (("missing", "漏报"), ("late", "迟报"), ("late_unverified", "迟报待核实"), ("wrong", "错报")):
            names = [x.submitter.name + (f"（{human_delta(x.late_by)}）" if x.late_by and code.startswith("late") else "")
                     for x in r.rows if code in x.codes]
            if names:
                console.print(f"    {word}：{e('、'.join(names))}")
        if outcome.status.mail is not None:
            m = outcome.status.mail
            console.print(f"  邮件：{'将发' if outcome.dry_run else '已发'} {len(m.planned if outcome.dry_run else m.sent)} 封"
                          + (f"，[red]{e(m.error)}[/]" if m.error else ""))
    if outcome.report is not None and "headline" in outcome.report.briefing.totals:
        t = outcome.report.briefing.totals
        console.print(f"  全区：累计发现隐患 {e(t['headline']['found'])} 项，整改率 {e(t['fix_rate_text'])}，"
                      f"未销号重大隐患 {t['open_major']} 项")
    elif outcome.report is not None:  # another campaign's lists
        for x in outcome.report.briefing.lists:
            console.print(f"  {e(x['label'])}：{x['total']} 条，本期新增 {x['new']} 条，正在整改 {x['open']} 条，"
                          f"逾期未整改 {len(x['overdue'])} 条")
    written = ([outcome.merged.workbook, outcome.merged.district_filing] if outcome.merged else []) + \
        ([p for p in outcome.report.files if p.suffix == ".docx"][:1] if outcome.report else []) + \
        ([outcome.board.path] if outcome.board else [])
    if written:
        console.print("  文件：" + "；".join(e(str(w)) for w in written))
    for text in outcome.notes:
        console.print(f"  [yellow]注意：{e(text)}[/]")
    for text in outcome.problems:
        make_console(stderr=True).print(f"[bold red]未完成：[/]{e(text)}")


def print_board(outcome, console: Console) -> None:
    b = outcome.board
    when = f"{b.made_at:%Y-%m-%d %H:%M}"
    what = f"数据截至{b.speaks_for.label}" if b.speaks_for else "还没有已截止的一周"
    console.print(f"[bold]{e(b.title)}[/]（{when} 生成，{what}" + (f"，正在报送{b.open_period.label}" if b.open_period else "")
                  + f"）：{e(outcome.path)}")


def print_demo(outcome, console: Console) -> None:
    print_merge(outcome.merge, console)
    console.print(e(outcome.status.report.summary))
    print_report(outcome.report, console)
    print_board(outcome.board, console)
