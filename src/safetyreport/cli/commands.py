"""The command line: parse options, call one library function, print its result. No logic here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from .clitext import ChineseCommand, ChineseGroup

app = typer.Typer(
    name="safetyreport",
    cls=ChineseGroup,
    help="专项整治报表工具：校验报表、汇总各单位数据、统计报送情况、生成简报和看板。\n\n"
         "示例：safetyreport demo（用随附样例演示一个完整的周四）；safetyreport validate 开元街道.xlsx",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

def _show_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"safetyreport {__version__}")
        raise typer.Exit(0)


@app.callback()
def _app(version: bool = typer.Option(False, "--version", help="显示版本号并退出。", is_eager=True,
                                      callback=_show_version)) -> None:
    """景区和非景区景点安全管理专项整治报表工具：校验报表、汇总全区数据、统计报送情况。

    示例：safetyreport demo（用随附样例演示一个完整的周四）；safetyreport validate 开元街道.xlsx
    """


ConfigOption = typer.Option(None, "--config", "-c", metavar="配置文件", help="配置文件 safetyreport.toml 或它所在的文件夹（默认：当前文件夹中的，没有则用内置的默认配置）。",
                            exists=False, dir_okay=True)
OutOption = typer.Option(None, "--out", "-o", metavar="文件夹", help="保存到哪个文件夹（没有就新建；默认：配置文件旁的 输出/）。")
_JSON = {"on": False}  # --json was given: errors, too, are JSON on standard output


def _json_mode(value: bool) -> bool:
    _JSON["on"] = bool(value)
    return value


JsonOption = typer.Option(False, "--json", callback=_json_mode,
                          help="以 JSON 输出结果，供脚本使用（不显示进度条；出错时也输出 JSON）。")
JobsOption = typer.Option(0, "--jobs", "-j", metavar="进程数", min=0,
                          help="同时读取报表的进程数（默认 0：本机全部 CPU 核；1：不并行）。结果与进程数无关。")


def _fail(message: str, code: int = 2, kind: str = "usage") -> None:
    """One Chinese line on standard error and `code`; under --json the same as JSON on standard
    output, with a stable `kind` (usage, config, ledger, mail, fetch, no-files, output, period,
    schema, os, internal)."""
    if _JSON["on"]:
        from .console import print_json

        print_json({"error": {"kind": kind, "message": message}, "exit_code": code})
        raise typer.Exit(code)
    from .console import e, make_console

    make_console(stderr=True).print(f"[bold red]错误：[/]{e(message, keep_newlines=True)}")
    raise typer.Exit(code)


def _config(path: Path | None, ledger: bool = True):
    """The configuration, or a Chinese error and exit 2. `ledger`: the command may wait for the
    ledger's lock, so it says so while it waits (validate never opens the ledger)."""
    from ..config import ConfigError, load_config

    if ledger:
        from ..ledger.store import Ledger

        Ledger.on_wait = staticmethod(_say_waiting)
    try:
        return load_config(path)
    except ConfigError as e:
        _fail(str(e), kind="config")


def _say_waiting() -> None:
    sys.stderr.write("另一个 safetyreport 正在运行，等待它结束…\n")
    sys.stderr.flush()


EmailOption = typer.Option(False, "--email", help="把迟报、错报、漏报名单发给综合协调组（每条只发一次）。")
NotifyOption = typer.Option(False, "--notify-submitters", help="同时给每个迟报、错报、漏报的单位发通知（与 --email 一起用）。")
NewLedgerOption = typer.Option(False, "--new-ledger", help="这个文件夹还没有报送台账时新建一个（通常应先运行 safetyreport init）。")


@app.command(cls=ChineseCommand)
def init(
    folder: Path = typer.Argument(Path("."), metavar="文件夹", help="在哪个文件夹生成配置文件（默认：当前文件夹）。"),
    force: bool = typer.Option(False, "--force", help="已有配置文件时覆盖它（台账保留不动）。"),
    campaign: Path | None = typer.Option(None, "--campaign", metavar="活动文件夹|名称",
                                         help="从另一项专项整治的文件夹（或随附活动的名称，如 文旅安全专班整改）开始：复制它的配置、表样和模板（不复制台账和报表）。默认用内置的活动。"),
    as_json: bool = JsonOption,
) -> None:
    """新建专项整治文件夹：配置文件 safetyreport.toml（活动名称、起止日期、报送名单、报送时限）和空的报送台账。

    生成后请把各单位的电子邮箱改为真实地址。其他命令只在这个文件夹（或用 --config 指定）工作，不会自行新建台账。

    \b
    示例：
      safetyreport init
      safetyreport init D:\\专项整治
      safetyreport init D:\\消防隐患月报 --campaign D:\\去年的消防隐患月报
      safetyreport init D:\\文旅专班 --campaign 文旅安全专班整改
    """
    from ..workflow import init_job
    from .console import print_init

    outcome = _guarded(init_job, folder, force, campaign)
    _emit(outcome, as_json, print_init, 0)


@app.command(cls=ChineseCommand)
def validate(
    paths: list[Path] = typer.Argument(..., metavar="文件或文件夹", help="要校验的报表文件或文件夹（可多个；文件夹会包括其中所有表格）。"),
    jobs: int = JobsOption,
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """校验报表：找出填错、漏填、前后矛盾的地方，指出工作表和单元格。

    填报单位在报送前自查，信息宣传组在收到后复核。退出码：0 没有错误（可有提醒），
    1 有错误，2 文件无法读取或用法有误。

    \b
    示例：
      safetyreport validate 开元街道.xlsx
      safetyreport validate samples/2021-09-16 --json
    """
    from ..checking.validation import collect_files, validate_paths
    from .console import print_validation, progress_bar

    cfg = _config(config, ledger=False)
    _bulk()
    with progress_bar(len(collect_files(paths)[0]), "正在校验", enabled=not as_json) as tick:
        report = _guarded(validate_paths, paths, cfg, progress=tick, jobs=jobs or None)
    _emit(report, as_json, print_validation, report.exit_code)


def _as_of(cfg, text: str | None):
    """--as-of: a time in campaign time (Asia/Shanghai) unless it carries an offset."""
    from ..ledger.intake import campaign_time
    from ..workflow import parse_received

    when = parse_received(text)
    return campaign_time(cfg, when) if when else None


def _ledger_errors():
    from ..ledger.store import DATABASE_ERRORS  # only when an error is being handled: `--help` loads no SQLite

    return DATABASE_ERRORS


_WHOLE_PROCESS = {"on": False}  # set by main(): the process ends when the command does


def _bulk() -> None:
    """A command about to read or merge many files, print and exit (validate, intake, merge): the
    collector stays off to the end — only in a process of its own (main), never in a caller's."""
    if _WHOLE_PROCESS["on"]:
        from ..reading.parallel import collector_off_to_the_end

        collector_off_to_the_end()


def _guarded(work, *args, **kwargs):
    """Run one library call; a user-fixable error becomes one Chinese line and exit code 2."""
    from ..errors import UserError

    try:
        return work(*args, **kwargs)
    except UserError as e:  # every error that is the user's to fix: one Chinese line, its stable kind
        _fail(str(e), kind=e.kind)
    except OSError as e:  # a full disk, a folder we may not write
        from ..atomic import os_error_text

        _fail(f"无法读写文件 {os_error_text(e)}", kind="os")
    except _ledger_errors() as e:  # the ledger's transaction was rolled back: nothing half-written
        from ..ledger.store import is_corruption

        if is_corruption(e):
            _fail(f"报送台账已损坏（SQLite：{e}）。本次操作未生效。请运行 safetyreport restore 查看备份（会标出哪些完好）"
                  "并恢复最新的完好备份，或用 safetyreport rebuild 从 archive/ 中的原件重建。", kind="ledger")
        _fail(f"报送台账读写失败（{e}）。本次操作未生效；请检查磁盘空间和文件权限后重试。", kind="ledger")


def _emit(result, as_json: bool, printer, code: int, text: str | None = None) -> None:
    """Print a result for a person (rich) or a script (--json; `text`: its JSON made already),
    then exit with `code`."""
    from .console import make_console, print_json

    if as_json:
        print_json(result.to_dict() if text is None else None, text)
    else:
        printer(result, make_console())
    raise typer.Exit(code)


@app.command(cls=ChineseCommand)
def intake(
    paths: list[Path] = typer.Argument(..., metavar="文件或文件夹", help="收到的报表文件或文件夹。"),
    period: str | None = typer.Option(None, "--period", "-p", metavar="周期", help="报送周期，按本活动的报送节奏写：周报如 2021-09-23 或 第2周，月报如 2021-09，季度如 2021-Q3。不填则按文件夹名或收到时间确定。"),
    received_at: str | None = typer.Option(None, "--received-at", metavar="时间", help="收到时间（北京时间），如 \"2021-09-23 10:15\"。不填则用文件的修改时间（只是推测：文件复制后就是复制的时间，据此判定的迟报标为待核实）。"),
    new_ledger: bool = NewLedgerOption,
    jobs: int = JobsOption,
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """登记收到的报表：记入报送台账（safetyreport.db），原件按内容存档，不会重复登记。

    同一文件再次登记不会重复计入；同一单位同一周期后收到的报表替代先收到的。

    \b
    示例：
      safetyreport intake 开元街道.xlsx --period 2021-09-23 --received-at "2021-09-23 10:15"
      safetyreport intake 收件箱/ --period 第2周
    """
    from ..checking.validation import collect_files
    from ..workflow import intake_job
    from .console import print_intake, progress_bar

    cfg = _config(config)
    _bulk()
    with progress_bar(len(collect_files(paths)[0]), "正在登记", enabled=not as_json) as tick:
        report = _guarded(intake_job, cfg, paths, period, received_at, progress=tick, new_ledger=new_ledger,
                          jobs=jobs or None)
    _emit(report, as_json, print_intake, report.exit_code)


@app.command(cls=ChineseCommand)
def fetch(
    dry_run: bool = typer.Option(False, "--dry-run", help="只连接邮箱、数一数新邮件，不取信、不登记、不回执。"),
    dismiss: list[int] | None = typer.Option(None, "--dismiss", metavar="编号", help="无法处理的邮件已另行处理（如另存为 .eml 后用 intake 登记）：不再提示这封（编号见取信结果，可多次使用）。不连接邮箱。"),
    new_ledger: bool = NewLedgerOption,
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """从收件邮箱取报表：新邮件的附件（.xlsx、.xls、zip 压缩包）直接登记，收到时间以邮件到达邮箱的时间为准，
    并给发件人回执（列出每个文件的校验结果和错误所在的单元格）。

    每封邮件只取一次（重复运行、两个定时任务同时运行、转发的重复邮件都不会重复登记）；邮件只读取，
    不删除、不标已读，除非配置了 [imap] move_to。邮箱设置在配置文件的 [imap]，密码放在环境变量
    SAFETYREPORT_IMAP_PASSWORD。退出码：0 正常，1 收到的报表有错误，2 配置、连接或回执发送失败。

    \b
    示例：
      safetyreport fetch
      safetyreport fetch --json          （定时任务：周四上午每 10 分钟一次）
      safetyreport fetch --dismiss 7     （编号 7 的邮件已另行处理，不再提示）

    无法处理的邮件（损坏、结构异常、过大）会记下原因，每次取信都会列出，直到用 --dismiss 确认已处理。
    """
    from ..workflow import dismiss_job, fetch_job
    from .console import print_dismissed, print_fetch

    cfg = _config(config)
    if dismiss:
        outcome = _guarded(dismiss_job, cfg, dismiss)
        _emit(outcome, as_json, print_dismissed, outcome.exit_code)
    report = _guarded(fetch_job, cfg, dry_run, new_ledger)
    _emit(report, as_json, print_fetch, report.exit_code)


@app.command(cls=ChineseCommand)
def merge(
    paths: list[Path] = typer.Argument(None, metavar="文件或文件夹", help="先登记这些文件或文件夹中的新报表（可不填，只用台账中已有的）。"),
    period: str | None = typer.Option(None, "--period", "-p", metavar="周期", help="汇总哪个周期，如 2021-09-23 或 第2周；按月、季度报送的写 2021-09、2021-Q3（默认：台账中最近有报表的周期）。"),
    out: Path | None = typer.Option(None, "--out", "-o", metavar="文件夹", help="汇总工作簿和报市汇总表保存到哪个文件夹（没有就新建；默认：配置文件旁的 输出/）。"),
    received_at: str | None = typer.Option(None, "--received-at", metavar="时间", help="新登记文件的收到时间（北京时间），如 \"2021-09-23 10:15\"。不填则用文件的修改时间（迟报将标为待核实）。"),
    new_ledger: bool = NewLedgerOption,
    jobs: int = JobsOption,
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """汇总全区数据：每个单位只计最新一份，未报的沿用上期累计数，不重复计算。

    生成汇总工作簿（附件3–6汇总、报送情况、问题清单，问题格标色并附批注）和本区向市里报送的
    汇总表。退出码：0 没有错误，1 有错误（工作簿照常生成），2 用法或配置有误。

    \b
    示例：
      safetyreport merge 收件箱/2021-09-23 --period 2021-09-23
      safetyreport merge --period 第2周 --json
    """
    from ..checking.validation import collect_files
    from ..workflow import merge_job
    from .console import indented_json, print_merge, progress_bar

    cfg = _config(config)
    _bulk()
    with progress_bar(len(collect_files(paths or [])[0]), "正在登记", enabled=not as_json) as tick:
        outcome = _guarded(merge_job, cfg, list(paths or []), period, out, progress=tick,
                           received_text=received_at, new_ledger=new_ledger, jobs=jobs or None,
                           # a province's 7 MB of JSON is made while the workbooks are written
                           alongside=(lambda o: indented_json(o.to_dict())) if as_json else None)
    _emit(outcome, as_json, print_merge, outcome.exit_code, outcome.alongside)


@app.command(cls=ChineseCommand)
def filings(
    period: str | None = typer.Option(None, "--period", "-p", metavar="周期", help="只看这个周期，如 2021-09-23、第2周、2021-09 或 2021-Q3（按本活动的节奏）。"),
    submitter: str | None = typer.Option(None, "--submitter", "-s", metavar="单位", help="只看这个单位（名称或简称）。"),
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """查看报送台账：收到了哪些文件、何时收到（时间从哪里来）、是否计入、被替代还是已撤回、有几个错误和提醒。

    每份报表有一个编号，撤回（safetyreport withdraw）时用它。

    \b
    示例：
      safetyreport filings --period 2021-09-23
      safetyreport filings --submitter 开元街道 --json
    """
    from ..workflow import filings_job
    from .console import print_filings

    cfg = _config(config)
    report = _guarded(filings_job, cfg, period, submitter)
    _emit(report, as_json, print_filings, 0)


@app.command(cls=ChineseCommand)
def withdraw(
    filing_id: int = typer.Argument(..., metavar="编号", help="报表编号（见 safetyreport filings）。"),
    reason: str = typer.Option("", "--reason", "-r", metavar="原因", help="为什么撤回，如“登记错了周期”。记入台账。"),
    undo: bool = typer.Option(False, "--undo", help="恢复一份撤回的报表，让它重新计入。"),
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """撤回登记错了的报表：它不再计入汇总和报送情况，但文件、数字和记录都保留，可用 --undo 恢复。

    撤回后可以把同一个文件重新登记到正确的周期（safetyreport intake 文件 --period 周期）。

    \b
    示例：
      safetyreport withdraw 12 --reason "登记错了周期，应为第3周"
      safetyreport withdraw 12 --undo
    """
    from ..workflow import withdraw_job
    from .console import print_withdraw

    cfg = _config(config)
    outcome = _guarded(withdraw_job, cfg, filing_id, reason, undo)
    _emit(outcome, as_json, print_withdraw, 0)


@app.command(cls=ChineseCommand)
def correct(
    period: str | None = typer.Option(None, "--period", "-p", metavar="周期", help="更正这个周期登记的报表。"),
    submitter: str | None = typer.Option(None, "--submitter", "-s", metavar="单位", help="只更正这个单位的报表。"),
    file: str | None = typer.Option(None, "--file", metavar="文件名", help="只更正文件名或登记时的路径符合的报表，可用通配符，如 \"*_2021-09-23.xlsx\" 或 \"/srv/拷来的/*\"（某个文件夹）。"),
    received_at: str | None = typer.Option(None, "--received-at", metavar="时间", help="实际收到时间（北京时间），如 \"2021-09-23 10:15\"（依据：邮件实际到达的时间）。"),
    mail: Path | None = typer.Option(None, "--mail", metavar="邮件", help="以这封另存的邮件（.eml）中收件服务器记下的到达时间为收到时间。"),
    to_period: str | None = typer.Option(None, "--to-period", metavar="周期", help="改登到这个周期，如 2021-09-30。"),
    reason: str = typer.Option("", "--reason", "-r", metavar="依据", help="更正的依据（必填，记入台账）。"),
    undo: bool = typer.Option(False, "--undo", help="撤销最近一次更正（整批恢复原样）。"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只列出将要更正的报表，不改动台账。"),
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """一次更正多份报表的收到时间或周期：按周期、单位、文件名选出报表，写明依据；每一处改动连同原值记入台账，
    可以用 --undo 整批撤销。撤回的报表仍保持撤回。

    常见情形：报表是从别处复制来的，收到时间成了复制的时间（全部“迟报待核实”），按邮件实际到达时间一次改正；
    或一批报表登记错了周期。退出码：0 已更正，2 用法有误或没有符合条件的报表。

    \b
    示例：
      safetyreport correct --period 2021-09-23 --received-at "2021-09-23 09:30" --reason "按邮件实际到达时间" --dry-run
      safetyreport correct --file "*_2021-09-30.xlsx" --to-period 2021-09-30 --reason "登记错了周期"
      safetyreport correct --undo
    """
    from ..workflow import correct_job, undo_correction_job
    from .console import print_correct

    cfg = _config(config)
    if undo:
        outcome = _guarded(undo_correction_job, cfg)
    else:
        outcome = _guarded(lambda: correct_job(cfg, period, submitter, file, received_at, to_period, reason, dry_run,
                                               mail))
    _emit(outcome, as_json, print_correct, 0)


@app.command(cls=ChineseCommand)
def export(
    fmt: str = typer.Option("xlsx", "--format", "-f", metavar="格式", help="xlsx（默认）、csv（UTF-8 带 BOM，Excel 可直接打开）或 parquet（需安装 pyarrow）。"),
    period: list[str] | None = typer.Option(None, "--period", "-p", metavar="周期", help="只导出这些周期（可多次使用）；默认全部。"),
    columns: str | None = typer.Option(None, "--columns", metavar="栏目", help="宽表用哪些合计表（内置活动为附件3）栏目，逗号分隔：栏目名（如 排查发现隐患总数）或栏目键（如 found_total）。"),
    keys: bool = typer.Option(False, "--keys", help="表头用稳定的英文键（period、submitter、value 等），供程序读取；默认为中文表头、是/否和日期。"),
    out: Path | None = OutOption,
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """导出台账数据供分析：明细表（每个数一行：周期、单位、报表、栏目、累计/当周、数值、来源文件、是否计入）和宽表（单位 × 周期）。

    也可以在 Python 中直接取得 DataFrame：from safetyreport import api; api.long_table("D:/专项整治")。

    \b
    示例：
      safetyreport export
      safetyreport export --format csv --columns 排查发现隐患总数,found_total --out 分析
      safetyreport export --format csv --keys             （英文键表头，供程序读取）
    """
    from ..outputs.export import export_job
    from .console import print_export

    cfg = _config(config)
    chosen = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    outcome = _guarded(export_job, cfg, out, fmt.strip().lower().lstrip("."), period, chosen, keys)
    _emit(outcome, as_json, print_export, 0)


@app.command(cls=ChineseCommand)
def check(
    mail_sent: bool = typer.Option(False, "--mail-sent", help="中断时未能确认的邮件已核实发出：记为已发送，不再重发。"),
    mail_resend: bool = typer.Option(False, "--mail-resend", help="中断时未能确认的邮件核实没有发出：下次运行时重发。"),
    rewrite_records: bool = typer.Option(False, "--rewrite-records", help="存档记录（archive/filings.jsonl）与台账不符时，按台账重写记录。"),
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """核对台账和存档：台账文件完好（SQLite 完整性检查），每份登记过的报表原件都在 archive/ 中且与登记时一致
    （SHA-256），存档记录与台账一致，没有因程序中断而不能确定是否发出的邮件。

    原件缺失或被改动、有未确认的邮件时列出来，退出码 1；台账损坏时退出码 2 并说明如何恢复。
    把原文件重新登记一次（safetyreport intake 原文件）即可补回原件；未确认的邮件请在发信服务器或收件人处核实后，
    用 --mail-sent（已发出）或 --mail-resend（没发出，下次重发）处理。

    \b
    示例：
      safetyreport check
      safetyreport check --mail-resend
    """
    from ..workflow import check_job
    from .console import print_check

    if mail_sent and mail_resend:
        _fail("--mail-sent 和 --mail-resend 只能选一个。")
    cfg = _config(config)
    outcome = _guarded(check_job, cfg, "sent" if mail_sent else "resend" if mail_resend else None, rewrite_records)
    _emit(outcome, as_json, print_check, outcome.exit_code)


@app.command(cls=ChineseCommand)
def restore(
    backup: str | None = typer.Argument(None, metavar="备份", help="要恢复的备份：列表中的序号（1 为最新）或文件名。不填则只列出备份。"),
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """从备份恢复报送台账。每次改动台账前都会在 备份/ 中自动留一份（保留份数见配置 [ledger] keep_backups）。

    恢复前，当前的台账也先存一份备份，所以恢复错了还能再换回来。

    \b
    示例：
      safetyreport restore          列出备份
      safetyreport restore 1        恢复最新的备份
    """
    from ..workflow import restore_job
    from .console import print_restore

    cfg = _config(config)
    outcome = _guarded(restore_job, cfg, backup)
    _emit(outcome, as_json, print_restore, 0)


@app.command(cls=ChineseCommand)
def rebuild(
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """台账丢失又没有备份时，只用 archive/ 中的原件重建台账：每份报表按当时登记的单位、周期、收到时间重新登记，
    并恢复撤回记录、疑似重复的核实决定和已发邮件记录。

    台账还在时不会重建（请用 safetyreport restore）。

    \b
    示例：
      safetyreport rebuild
    """
    from ..workflow import rebuild_job
    from .console import print_rebuild

    cfg = _config(config)
    outcome = _guarded(rebuild_job, cfg)
    _emit(outcome, as_json, print_rebuild, outcome.exit_code)


@app.command(cls=ChineseCommand)
def decide(
    duplicate_id: str = typer.Argument(..., metavar="编号", help="疑似重复的编号（见 merge 的问题清单；写前几位即可）。"),
    verdict: str = typer.Argument(..., metavar="same|different", help="same：是同一个，只计一次；different：不是同一个，分别计。"),
    note: str = typer.Option("", "--note", metavar="说明", help="核实说明。"),
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """核实疑似重复：两个单位报了同一个重大隐患或同一家企业时，由信息宣传组确认。

    决定记入台账，以后每次汇总都按此处理；可以再次运行改变决定。编号不对时列出可选的编号。

    \b
    示例：
      safetyreport decide 3fa2c1d0 same --note "同一处护栏，由文旅局牵头整改"
      safetyreport decide 3fa2 different
    """
    from ..workflow import decide_job
    from .console import print_decide

    cfg = _config(config)
    outcome = _guarded(decide_job, cfg, duplicate_id, verdict, note)
    _emit(outcome, as_json, print_decide, 0)


@app.command(cls=ChineseCommand)
def status(
    period: str | None = typer.Option(None, "--period", "-p", metavar="周期", help="哪个周期，如 2021-09-23、第2周，按月报送的活动写 2021-09、按季度的写 2021-Q3；周报活动的 2021-09 是月报，final 是总结。默认：截止时间最近已过的一期。"),
    campaign: bool = typer.Option(False, "--campaign", help="改为统计整个专项整治至今每个单位迟报、错报、漏报的次数。"),
    email: bool = EmailOption,
    notify_submitters: bool = NotifyOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="只显示将要发出的邮件，不真正发送。"),
    as_of: str | None = typer.Option(None, "--as-of", metavar="时间", help="按这个时间（北京时间）计算，如 \"2021-09-23 12:05\"；默认为现在。"),
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """报送情况：每个单位按时、迟报、错报还是漏报，以及报送率和按时报送率。

    迟报：截止时间后才收到；错报：收到的报表有错误（后来更正也记一次错报）；漏报：没收到或缺表。
    退出码：0 全部按时，1 有单位迟报、错报或漏报（供定时任务判断），2 用法、配置或发信失败。

    \b
    示例：
      safetyreport status --period 2021-09-23
      safetyreport status --email --notify-submitters      （每周四 12:05 由定时任务运行）
      safetyreport status --campaign --json
    """
    from ..workflow import status_job
    from .console import print_status

    cfg = _config(config)
    outcome = _guarded(lambda: status_job(cfg, period, campaign, email, notify_submitters, dry_run,
                                          _as_of(cfg, as_of)))
    _emit(outcome, as_json, print_status, outcome.exit_code)


@app.command(cls=ChineseCommand)
def run(
    period: str | None = typer.Option(None, "--period", "-p", metavar="周期", help="处理哪一期，如 2021-09-30 或 2021-09（默认：截止时间最近已过的一期）。"),
    email: bool = EmailOption,
    notify_submitters: bool = NotifyOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="演练：只显示将取的邮件和将发的通知，不登记、不发送、不生成文件。"),
    as_of: str | None = typer.Option(None, "--as-of", metavar="时间", help="按这个时间（北京时间）计算；默认为现在。"),
    out: Path | None = OutOption,
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """一条命令完成本期的例行工作：取信（配置了收件邮箱时）→ 汇总截止的这一周 → 统计按时、迟报、错报、漏报
    （--email 时发给综合协调组）→ 生成工作简报 → 更新报送看板，最后用几行字说清谁没报、谁迟报错报、主要数字和文件在哪。

    定时任务每期截止后运行它即可（见 README“定时运行”）。某一步失败时其余步骤照常进行，并说明原因。
    退出码：0 全部按时，1 有单位迟报、错报或漏报，2 某一步失败（邮箱、发信、文件）或用法有误。

    \b
    示例：
      safetyreport run --dry-run
      safetyreport run --email --notify-submitters      （每周四 12:05 由定时任务运行）
      safetyreport run --period 2021-09-30 --as-of "2021-09-30 12:05"
    """
    from ..workflow import run_job
    from .console import print_run

    cfg = _config(config)
    outcome = _guarded(lambda: run_job(cfg, period, email, notify_submitters, dry_run, _as_of(cfg, as_of), out))
    _emit(outcome, as_json, print_run, outcome.exit_code)


@app.command(cls=ChineseCommand)
def board(
    period: str | None = typer.Option(None, "--period", "-p", metavar="周期", help="显示到哪一周，如 2021-09-30 或 第3周。默认：到正在报送的一周（已截止的各周加上尚未截止的这一周）。"),
    as_of: str | None = typer.Option(None, "--as-of", metavar="时间", help="按这个时间（北京时间）判断是否已截止，如 \"2021-09-30 12:05\"；默认为现在。"),
    out: Path | None = typer.Option(None, "--out", "-o", metavar="文件夹", help="保存到哪个文件夹（没有就新建；默认：配置文件旁的 输出/）。"),
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """报送看板：生成一个网页文件（输出/报送看板.html），双击即可打开，不需要网络，可按 A4 横向打印。

    页面上有：各单位各周按时、迟报、错报、漏报、未到期的一览表（鼠标停在格子上可看收到的文件和时间），
    各周报送率和按时报送率，全区主要数字及其走势，未销号重大隐患（挂账最久的在前）。结论与
    safetyreport status、merge 完全一致。safetyreport fetch 和 demo 每次运行后会自动更新它。
    退出码：0 已生成，2 用法、配置或台账有误。

    \b
    示例：
      safetyreport board
      safetyreport board --period 2021-09-30 --as-of "2021-09-30 12:05"
    """
    from ..workflow import board_job
    from .console import print_board

    cfg = _config(config)
    outcome = _guarded(lambda: board_job(cfg, period, out, _as_of(cfg, as_of)))
    _emit(outcome, as_json, print_board, 0)


@app.command(cls=ChineseCommand)
def remind(
    period: str | None = typer.Option(None, "--period", "-p", metavar="周期", help="催报哪个周期（默认：下一个截止时间）。"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只显示将要发出的邮件，不真正发送。"),
    as_of: str | None = typer.Option(None, "--as-of", metavar="时间", help="按这个时间（北京时间）计算；默认为现在。"),
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """催报：截止前提醒还没有报送（或缺表）的单位。同一天同一周期只提醒一次。

    建议定时在截止前一天下午和截止当天早上各运行一次。退出码：0 已处理，2 配置或发信失败。

    \b
    示例：
      safetyreport remind --dry-run
      safetyreport remind --period 2021-09-23
    """
    from ..workflow import remind_job
    from .console import print_reminders

    cfg = _config(config)
    outcome = _guarded(lambda: remind_job(cfg, period, dry_run, _as_of(cfg, as_of)))
    _emit(outcome, as_json, print_reminders, 2 if outcome.mail and outcome.mail.error else 0)


@app.command(cls=ChineseCommand)
def forms(
    period: str = typer.Option(..., "--period", "-p", metavar="周期", help="报送周期，如 2021-09-23 或 第2周；按月、季度报送的写 2021-09、2021-Q3。只含这一期要报的表。"),
    out: Path | None = typer.Option(None, "--out", "-o", metavar="文件夹", help="保存到哪个文件夹（没有就新建；默认：配置文件旁的 空白报表/）。"),
    submitter: list[str] | None = typer.Option(None, "--submitter", "-s", metavar="单位", help="只为这个单位生成（可多次使用）；默认为名单上所有单位。"),
    no_previous: bool = typer.Option(False, "--no-previous", help="不在附件3 下方显示上期累计数（参考）。"),
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """生成下发给各单位的空白报表：附件3–6 和工作情况表，已填好单位名称和周期。

    表头文字已锁定（无密码），数字格只能填不小于 0 的数，挂账销号有下拉选择，总数与分项不符时显示红色；
    有台账时附件3 下方显示上期累计数供参考。

    \b
    示例：
      safetyreport forms --period 2021-09-23
      safetyreport forms --period 第2周 --submitter 开元街道 --out 下发
    """
    from ..workflow import forms_job
    from .console import print_forms

    cfg = _config(config)
    outcome = _guarded(forms_job, cfg, period, out, submitter, with_previous=not no_previous)
    _emit(outcome, as_json, print_forms, 0)


@app.command(cls=ChineseCommand)
def demo(
    folder: Path = typer.Argument(Path("safetyreport-demo"), metavar="文件夹", help="演示用的活动文件夹（默认：./safetyreport-demo）。"),
    out: Path | None = typer.Option(None, "--out", "-o", metavar="文件夹", help="汇总工作簿和简报保存到哪个文件夹（默认：演示文件夹中的 输出/）。"),
    as_json: bool = JsonOption,
) -> None:
    """用随附样例演示一个完整的周四：生成配置、登记三周的报表、汇总最后一周、统计报送情况、生成工作简报。

    \b
    示例：
      safetyreport demo            然后打开 safetyreport-demo/输出/ 中的汇总工作簿
    """
    from ..workflow import demo_job
    from .console import print_demo

    outcome = _guarded(demo_job, folder, out=out)
    _emit(outcome, as_json, print_demo, 0)


report_app = typer.Typer(
    help="生成工作简报、月报和专项整治总结（Markdown、HTML、Word），数字全部来自汇总结果。\n\n"
         "示例：safetyreport report weekly --period 2021-09-30",
    no_args_is_help=True, rich_markup_mode=None, cls=ChineseGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(report_app, name="report")
FormatOption = typer.Option("md,html,docx", "--format", "-f", metavar="格式", help="输出哪些格式，逗号分隔：md、html、docx、pdf（PDF 由 LibreOffice 转换，需已安装）。")


def _report(kind: str, period: str | None, out: Path | None, fmt: str, config, as_json: bool) -> None:
    from ..workflow import REPORT_FORMATS, report_job
    from .console import print_report

    formats = tuple(x.strip() for x in fmt.split(",") if x.strip())
    bad = [x for x in formats if x not in REPORT_FORMATS]
    if bad or not formats:
        _fail(f"不支持的格式：{'、'.join(bad) or '（空）'}。可选：md、html、docx、pdf。")
    cfg = _config(config)
    outcome = _guarded(report_job, cfg, kind, period, out, formats)
    _emit(outcome, as_json, print_report, 0)


@report_app.command("weekly", cls=ChineseCommand)
def report_weekly(
    period: str | None = typer.Option(None, "--period", "-p", metavar="周期", help="哪一期，如 2021-09-30 或 第3周；按月、季度报送的写 2021-09、2021-Q3（默认：台账中最近有报表的一期）。"),
    out: Path | None = OutOption,
    fmt: str = FormatOption,
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """工作简报（第N期，从第一周起编号）：总体情况、各单位情况、重大隐患、报送情况、工作动态等。

    \b
    示例：
      safetyreport report weekly --period 2021-09-30
      safetyreport report weekly --format docx --out 简报
    """
    _report("weekly", period, out, fmt, config, as_json)


@report_app.command("monthly", cls=ChineseCommand)
def report_monthly(
    month: str | None = typer.Option(None, "--month", "-m", metavar="月份", help="哪个月，如 2021-10（默认：最近有报表的月份）。"),
    out: Path | None = OutOption,
    fmt: str = FormatOption,
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """月度进展（每月2日前报）：月末累计与上月末之差，并与各周当周数之和核对，不一致时说明原因。

    \b
    示例：
      safetyreport report monthly --month 2021-09
    """
    _report("monthly", month, out, fmt, config, as_json)


@report_app.command("summary", cls=ChineseCommand)
def report_summary(
    out: Path | None = OutOption,
    fmt: str = FormatOption,
    config: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """专项整治总结（11月20日前报）：总体情况、周趋势、各单位整改率排名、重大隐患销号、执法、报送记录、经验做法。

    \b
    示例：
      safetyreport report summary --out 总结
    """
    _report("summary", None, out, fmt, config, as_json)


def main() -> None:
    """Entry point: usage errors exit 2 (click's convention); an unexpected bug prints one
    Chinese line instead of a traceback (set SAFETYREPORT_DEBUG=1 to see it)."""
    _WHOLE_PROCESS["on"] = True
    try:
        app(prog_name="safetyreport")  # also under `python -m safetyreport`
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("已中断。\n")
        sys.exit(130)
    except Exception as e:
        if os.environ.get("SAFETYREPORT_DEBUG"):
            raise
        text = f"程序内部错误：{type(e).__name__}: {e}\n请把这条信息和所用文件发给维护人员。"
        if _JSON["on"]:
            import json

            print(json.dumps({"error": {"kind": "internal", "message": text}, "exit_code": 2}, ensure_ascii=False))
        sys.stderr.write(text + "\n")
        sys.exit(2)
