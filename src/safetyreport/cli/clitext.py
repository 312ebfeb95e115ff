"""The command line's own words in Chinese: help boilerplate, type hints and usage errors.

typer (and the click it vendors) writes "Usage:", "Options:", "Missing argument 'paths'." and
"<list[Path]>" in English; a clerk reads Chinese. The commands use these classes, which render
help and usage errors in Chinese. Nothing here knows about forms or the ledger.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from typer import Abort

# typer vendors its own click (pyproject bounds typer to the versions this was tested with): its
# help formatter measures width by len(), so the help's columns need a display-width patch
from typer._click import exceptions as _exc
from typer._click import formatting as _formatting
from typer.core import TyperCommand, TyperGroup

from ..values import display_width

# click aligns the help's two columns by len(); Chinese option names need display width
_formatting.term_len = display_width  # type: ignore[assignment]

# help text: English boilerplate → Chinese (applied to the rendered help, line by line)
_HELP = [
    (re.compile(r"^Usage: ", re.M), "用法："),
    (re.compile(r"^(\s*)Options:$", re.M), r"\1选项："),
    (re.compile(r"^(\s*)Arguments:$", re.M), r"\1参数："),
    (re.compile(r"^(\s*)Commands:$", re.M), r"\1命令："),
    (re.compile(r"Show this message and exit\."), "显示本帮助并退出。"),
    (re.compile(r"\[OPTIONS\]"), "[选项]"),
    (re.compile(r"COMMAND \[ARGS\]\.\.\."), "命令 [参数]..."),
    (re.compile(r"\[default: ([^\]]*)\]"), r"[默认：\1]"),
    (re.compile(r"\[required\]"), "[必填]"),
    (re.compile(r"; required\]"), "；必填]"),
    (re.compile(r" <list\[[A-Za-z]+\]>"), ""),  # the metavar already says what it is
    (re.compile(r"<file>"), "<文件>"),
    (re.compile(r"<path>"), "<路径>"),
    (re.compile(r"<str>"), "<文字>"),
    (re.compile(r"<int>"), "<整数>"),
    (re.compile(r"<float>"), "<数>"),
    (re.compile(r"<bool>"), ""),
    (re.compile(r"\{([^{}\s]+)\}"), r"\1"),  # typer marks required arguments {NAME}
]


def chinese_help(text: str) -> str:
    """The rendered help with its English boilerplate in Chinese (a [default: …] may span lines)."""
    for pattern, repl in _HELP:
        text = pattern.sub(repl, text)
    return text


def _hint(param: Any) -> str:
    """How a parameter is named to the clerk: its option ('--period') or its metavar."""
    if param is None:
        return ""
    opts = [o for o in getattr(param, "opts", []) if o.startswith("--")] or list(getattr(param, "opts", []))
    if getattr(param, "param_type_name", "") == "option" and opts:
        return opts[0]
    return getattr(param, "metavar", None) or getattr(param, "name", "") or ""


def usage_error_text(e: Exception) -> str:
    """A click/typer usage error as one Chinese sentence."""
    if isinstance(e, _exc.NoSuchOption):
        text = f"没有这个选项：{e.option_name}。"
        if e.possibilities:
            text += f"您是不是要用：{'、'.join(sorted(e.possibilities))}？"
        return text
    if isinstance(e, _exc.MissingParameter):
        what = "参数" if getattr(e.param, "param_type_name", "") == "argument" else "选项"
        return f"缺少{what}：{_hint(e.param)}。"
    if isinstance(e, _exc.BadOptionUsage):
        if "requires" in e.message:
            return f"选项 {e.option_name} 后面要跟一个值。"
        if "does not take a value" in e.message:
            return f"选项 {e.option_name} 不带值。"
        return f"选项 {e.option_name} 用法有误。"
    if isinstance(e, _exc.BadParameter):
        return f"{_hint(e.param) or '参数'} 的值无效：{e.message}"
    message = getattr(e, "message", str(e))
    m = re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", message)
    if m:
        return f"多余的参数：{m.group(1)}。（文件名中有空格时请加引号）"
    m = re.match(r"No such command '(.*)'\.(?: Did you mean (.*)\?)?", message)
    if m:
        return f"没有这个命令：{m.group(1)}。" + (f"您是不是要用：{m.group(2)}？" if m.group(2) else "")
    if message.startswith("Missing command"):
        return "缺少命令。"
    return message


class ChineseCommand(TyperCommand):
    def get_help(self, ctx) -> str:
        return chinese_help(super().get_help(ctx))

    def get_usage(self, ctx) -> str:
        return chinese_help(super().get_usage(ctx))


class ChineseGroup(TyperGroup):
    """The app: help in Chinese, and usage errors caught here (for every subcommand) and told in
    Chinese with the usage line and where to find help. Exit code 2, as click's."""

    def get_help(self, ctx) -> str:
        return chinese_help(super().get_help(ctx))

    def get_usage(self, ctx) -> str:
        return chinese_help(super().get_usage(ctx))

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,  # type: ignore[override]
             **extra):
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _exc.NoArgsIsHelpError as e:
            sys.stdout.write(e.ctx.get_help() + "\n")
            rv = 0
        except _exc.UsageError as e:
            ctx = e.ctx
            lines = []
            if ctx is not None:
                lines.append(ctx.get_usage())
                lines.append(f"用 {ctx.command_path} -h 查看用法和示例。")
            lines.append(f"错误：{usage_error_text(e)}")
            sys.stderr.write("\n".join(lines) + "\n")
            rv = 2
        except Abort:
            sys.stderr.write("已取消。\n")
            rv = 1
        except _exc.ClickException as e:
            sys.stderr.write(f"错误：{e.format_message()}\n")
            rv = e.exit_code
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)
