"""The command line: parse options, call one library function, print its result. No logic here."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(
    name="safetyreport",
    help="景区和非景区景点安全管理专项整治报表工具：校验报表、汇总全区数据、统计报送情况。\n\n"
         "示例：safetyreport validate samples/2021-09-16",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ConfigOption = typer.Option(None, "--config", "-c", help="配置文件 safetyreport.toml 的路径（默认：当前文件夹中的，没有则用内置的鲤城区配置）。",
                            exists=False, dir_okay=False)
JsonOption = typer.Option(False, "--json", help="以 JSON 输出结果，供脚本使用（不显示进度条）。")


def _fail(message: str, code: int = 2) -> None:
    from .console import make_console

    make_console(stderr=True).print(f"[bold red]错误：[/]{message}")
    raise typer.Exit(code)


def _config(path: Optional[Path]):
    from .config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as e:
        _fail(str(e))


@app.command()
def init(
    folder: Path = typer.Argument(Path("."), help="在哪个文件夹生成配置文件（默认：当前文件夹）。"),
    force: bool = typer.Option(False, "--force", help="已有配置文件时覆盖它。"),
) -> None:
    """生成本次专项整治的配置文件 safetyreport.toml（活动名称、起止日期、报送名单、报送时限）。

    生成后请把各单位的电子邮箱改为真实地址。

    示例：safetyreport init 或 safetyreport init D:\\专项整治
    """
    from .config import ConfigError, write_default_config

    try:
        target = write_default_config(folder, force=force)
    except ConfigError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"无法写入 {folder}：{e.strerror}")
    typer.echo(f"已生成配置文件：{target}")


@app.command()
def validate(
    paths: List[Path] = typer.Argument(..., help="要校验的报表文件或文件夹（可多个；文件夹会包括其中所有表格）。"),
    config: Optional[Path] = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """校验报表：找出填错、漏填、前后矛盾的地方，指出工作表和单元格。

    填报单位在报送前自查，信息宣传组在收到后复核。退出码：0 没有错误（可有提醒），
    1 有错误，2 文件无法读取或用法有误。

    示例：safetyreport validate 开元街道.xlsx
          safetyreport validate samples/2021-09-16 --json
    """
    from .console import make_console, print_json, print_validation, progress_bar
    from .schema import SchemaError
    from .validation import collect_files, validate_paths

    cfg = _config(config)
    try:
        total = len(collect_files(paths)[0])
        with progress_bar(total, "正在校验", enabled=not as_json) as tick:
            report = validate_paths(paths, cfg, progress=tick)
    except SchemaError as e:
        _fail(str(e))
    if as_json:
        print_json(report.to_dict())
    else:
        print_validation(report, make_console())
    raise typer.Exit(report.exit_code)


def main() -> None:
    """Entry point: usage errors exit 2 (click's convention); an unexpected bug prints one
    Chinese line instead of a traceback (set SAFETYREPORT_DEBUG=1 to see it)."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("已中断。\n")
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 — the clerk must never see a traceback
        if os.environ.get("SAFETYREPORT_DEBUG"):
            raise
        sys.stderr.write(f"程序内部错误：{type(e).__name__}: {e}\n请把这条信息和所用文件发给维护人员。\n")
        sys.exit(2)
