"""The one catalog of findings.

Every problem the tool reports — in a cell, a form, a file or across filings — is a `Finding`
with a stable code from `CATALOG`. Reports, `--json` and workbooks all render these values; no
other module invents a message format. Codes never change meaning once released: scripts and
the ledger depend on them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Kind:
    """One entry of the catalog: default severity, a Chinese title and message template."""

    severity: str
    title: str
    template: str
    # The input could not be read at all (exit code 2 for `validate`), as opposed to a filing
    # that was read and is wrong (exit code 1).
    unreadable: bool = False


CATALOG: dict[str, Kind] = {
    # --- the file itself -------------------------------------------------------------------
    "file-not-found": Kind(ERROR, "文件不存在", "找不到文件或文件夹：{path}", unreadable=True),
    "unreadable-file": Kind(ERROR, "文件无法读取", "无法读取该文件：{reason}", unreadable=True),
    "unsupported-format": Kind(ERROR, "文件格式不支持", "{reason}", unreadable=True),
    "reader-crashed": Kind(
        ERROR, "读取时程序异常退出",
        "读取该文件时读取程序异常退出（文件可能已损坏或构造异常），其他文件照常处理。原件已保留；"
        "请让填报单位重新另存后再报送。",
        unreadable=True,
    ),
    "no-form-found": Kind(
        ERROR, "未找到报表",
        "文件中没有找到任何可识别的报表（{forms}）。请使用统一下发的表样，勿删除表头文字。",
        unreadable=True,
    ),
    "duplicate-file": Kind(
        WARNING, "重复文件", "与 {other} 内容完全相同（同一文件存了两次），只计一次。",
    ),
    "duplicate-form": Kind(
        WARNING, "报表重复",
        "{form_label}出现多次（{places}），以{kept}为准。",
    ),
    "sheet-beyond-limit": Kind(
        WARNING, "超出读取范围",
        "工作表在第 {rows} 行或第 {cols} 列之外还有内容（最远到 {far}），超出本工具的读取范围，这部分没有读取。"
        "如确有报表内容在那里，请把它移到表格上方后重新报送。",
    ),
    # --- who filed -------------------------------------------------------------------------
    "unknown-submitter": Kind(
        ERROR, "填报单位不在名单内",
        "填报单位“{text}”不在报送名单中，也不是已登记的简称。应为：{expected}。",
    ),
    "missing-submitter": Kind(
        ERROR, "未填填报单位",
        "未填写“填报街道（单位）”，文件名“{filename}”也无法识别是哪个单位。",
    ),
    "unknown-sender": Kind(
        WARNING, "发件邮箱不在名单中",
        "发件邮箱 {address} 不是报送名单中任何单位的邮箱，已按表中填报单位（{named}）计入。"
        "请核实；如是该单位的新邮箱，请在配置文件的 email 中补上。",
    ),
    "sender-mismatch": Kind(
        WARNING, "发件单位与填报单位不同",
        "邮件由 {sender}（{address}）发来，表中填报单位却是 {named}；这份报表暂不计入任何单位，待信息宣传组核实。"
        "确是 {sender} 的报表，用 safetyreport withdraw 编号 --undo 计入（编号见 safetyreport filings）；"
        "是 {named} 的，请 {named} 从本单位邮箱发送。",
    ),
    "submitter-mismatch": Kind(
        ERROR, "填报单位不一致",
        "同一份报送中填报单位不一致：{first}（{first_place}）与 {second}（{second_place}）。",
    ),
    # --- the footer ------------------------------------------------------------------------
    "missing-signature": Kind(ERROR, "缺少签字", "未填写{role}。重要隐患信息须由{role}签字确认。"),
    "missing-phone": Kind(ERROR, "未填联系电话", "未填写联系电话。"),
    "invalid-phone": Kind(
        ERROR, "联系电话无效",
        "联系电话“{text}”不是有效的手机号（11位，1开头）或固定电话（如 0595-22123456）。",
    ),
    "missing-date": Kind(WARNING, "未填日期", "表尾未填写填报日期（如 2021年9月16日）。"),
    "invalid-date": Kind(WARNING, "日期无法识别", "填报日期“{text}”无法识别，应写成 2021年9月16日 或 2021-09-16。"),
    # --- layout ----------------------------------------------------------------------------
    "missing-column": Kind(ERROR, "缺少栏目", "{form_label}中找不到栏目“{label}”。请勿删除或改写表头。"),
    "missing-row": Kind(ERROR, "缺少行", "{form_label}中找不到“{label}”行。"),
    # --- cell values -----------------------------------------------------------------------
    "not-a-number": Kind(ERROR, "不是数字", "{label}应填数字，实际为“{text}”。"),
    "unreadable-deadline": Kind(WARNING, "日期无法识别",
                                "第 {row} 行{label}“{text}”无法识别为日期，写法如 2021年10月31日、10月底前；没有期限的写“长期”。"),
    "overdue": Kind(WARNING, "逾期未整改",
                    "“{name}”的{label}是 {deadline}，到本期截止日 {due} 已过期，{status_label}仍为“{status}”。"),
    "invalid-choice": Kind(ERROR, "应填是或否", "{label}应填“是”或“否”，实际为“{text}”。"),
    "negative-number": Kind(ERROR, "负数", "{label}不能为负数，实际为 {value}。"),
    "not-whole-number": Kind(ERROR, "不是整数", "{label}是计数（{unit}），应为整数，实际为 {value}。"),
    "formula-without-value": Kind(
        ERROR, "公式没有计算结果",
        "{label}是公式“{formula}”，文件中没有保存计算结果。请在 Excel/WPS 中打开后保存，或直接填写数字。",
    ),
    "blank-as-zero": Kind(
        WARNING, "空白按0计",
        "{form_label}有 {count} 个数字格为空白或写了“—”“无”“暂无”等，已按 0 计（如 {cells}）。如不是 0，请补填。",
    ),
    "missing-value": Kind(ERROR, "必填项为空", "第 {row} 行“{label}”未填写。"),
    "unknown-status": Kind(
        ERROR, "挂账销号状态无法识别",
        "第 {row} 行挂账销号填写为“{text}”，应为：{allowed}。",
    ),
    "unit-converted": Kind(
        WARNING, "单位已换算",
        "{label}填写为“{text}”（元），已换算为 {value} 万元。本栏单位是万元，请直接填写万元数。",
    ),
    # --- rules within a form ---------------------------------------------------------------
    "sum-mismatch": Kind(ERROR, "合计不符", "{row}{total_label} {total} ≠ {parts_text} = {expected}。"),
    "exceeds": Kind(ERROR, "数量关系不符", "{row}{left_label} {left} 大于 {right_label} {right}，{why}"),
    "weekly-exceeds-cumulative": Kind(
        ERROR, "当周数大于累计数",
        "{label}当周数 {weekly} 大于累计数 {cumulative}：累计数含本周，不应小于当周数。",
    ),
    "pair-mismatch": Kind(
        ERROR, "应同时为零或同时大于零",
        "{row}{left_label} 为 {left}，{right_label} 为 {right}：两者应同时为 0 或同时大于 0。",
    ),
    "derived-mismatch": Kind(
        ERROR, "计算栏不符", "{label}填写为 {value}，按 {formula} 应为 {expected}。",
    ),
    # --- rules across forms of one submission ----------------------------------------------
    "count-mismatch": Kind(
        ERROR, "表间数量不符",
        "{list_form}{what}共 {count} 条，与{table_form}{label} {expected} 不符。",
    ),
    "amount-mismatch": Kind(
        ERROR, "表间金额不符",
        "{list_form}{what}合计 {amount} 万元，与{table_form}{label} {expected} 万元不符。",
    ),
    "unit-slip-yuan": Kind(
        ERROR, "金额单位疑似填成元",
        "{list_form}{what}合计 {amount}，约为{table_form}{label} {expected} 万元的 10000 倍："
        "金额应以万元填写，疑似按元填写。",
    ),
    # --- across filings (merge) ---------------------------------------------------------------
    "cumulative-mismatch": Kind(
        ERROR, "累计数不衔接",
        "{label}本周累计数 {cumulative}，上周（{previous_period}）累计数 {previous} + 本周当周数 {weekly} = {expected}，两者应相等。",
    ),
    "cumulative-decreased": Kind(
        ERROR, "累计数减少",
        "{label}累计数 {cumulative} 比上次（{previous_period}）的 {previous} 还少：累计数只增不减。",
    ),
    "hazard-disappeared": Kind(
        ERROR, "已列事项从清单中消失",
        "{previous_period}列出的{what}“{place}：{hazard}”本期不在{form_label} 中。{what}应一直列到挂账销号，整改完成后把状态改为已完成。",
    ),
    "status-reverted": Kind(
        ERROR, "销号状态倒退",
        "{what}“{place}：{hazard}”{previous_period}已为整改完成，本期又填为“{text}”。",
    ),
    "suspected-duplicate": Kind(
        WARNING, "疑似重复统计",
        "{what}“{name}”同时由 {first} 和 {second} 填报，可能重复统计（编号 {dup_id}）。"
        "请核实：safetyreport decide {dup_id} same（同一个，只计一次）或 different（不同，分别计）。",
    ),
    "weekly-outlier": Kind(
        WARNING, "当周数异常",
        "{label}当周数 {weekly} 远高于本单位以往各周（{history}），请核实是否填错。",
    ),
    "period-mismatch": Kind(
        WARNING, "报送周期与表尾日期不符",
        "表尾日期 {date} 属于{dated}，本文件却登记为{chosen}的报表。如登记错了，请用 safetyreport intake --period 重新指定。",
    ),
    "archive-missing": Kind(
        ERROR, "存档原件缺失",
        "这份报表的原件不在存档中（{archive}）。台账中的数字仍在，但已无原件可查。请把原文件重新登记一次"
        "（safetyreport intake 原文件），即可补回存档。",
    ),
    "archive-altered": Kind(
        ERROR, "存档原件被改动",
        "存档中的原件（{archive}）与登记时的内容不一致（SHA-256 不同），可能被打开后保存过。"
        "请把原文件重新登记一次（safetyreport intake 原文件），即可恢复存档。",
    ),
    "record-altered": Kind(
        ERROR, "存档记录与台账不符",
        "存档中这份报表的记录（{record}）{problem}。台账中的登记不受影响；请运行 safetyreport check --rewrite-records "
        "按台账重写记录，否则将来从存档重建台账时这份报表会被拒绝。",
    ),
    "no-period": Kind(
        WARNING, "无法确定报送周期",
        "收到时间 {received_at} 不在本次专项整治的任何报送周期内，未计入汇总。请用 safetyreport intake --period 指定周期。",
    ),
}


@dataclass
class Finding:
    """One thing wrong (or worth a look) in a filing, with where it is."""

    code: str
    message: str
    severity: str = ERROR
    path: str = ""  # the file as given by the user
    sheet: str = ""
    cell: str = ""  # A1 reference, or a range "A7:Z7"
    form: str = ""  # schema id, e.g. "a3"
    column: str = ""  # schema column key, where the finding concerns one column
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return CATALOG[self.code].title

    @property
    def unreadable(self) -> bool:
        return CATALOG[self.code].unreadable

    @property
    def location(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or self.cell

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.title,
            "path": self.path,
            "sheet": self.sheet,
            "cell": self.cell,
            "form": self.form,
            "column": self.column,
            "message": self.message,
        }


def finding(code: str, *, severity: str | None = None, message: str | None = None,
            path: str = "", sheet: str = "", cell: str = "", form: str = "", column: str = "",
            **params: Any) -> Finding:
    """Make a finding from the catalog; `params` fill the message template."""
    kind = CATALOG[code]  # KeyError here is a programming error: every code is catalogued
    text = message if message is not None else kind.template
    params = {k: _short(v) for k, v in params.items()}
    where = {"path": path, "sheet": sheet, "cell": cell, "form": form, "column": column}
    text = _render(text, {**where, **params}, custom=message is not None)
    return Finding(code=code, message=text, severity=severity or kind.severity, path=path,
                   sheet=sheet, cell=cell, form=form, column=column, data=dict(params))


class _Unfilled(dict):
    def __missing__(self, key: str) -> str:
        if os.environ.get("SAFETYREPORT_STRICT_MESSAGES"):  # the test suite: a missing value is a bug
            raise KeyError(f"消息模板的 {{{key}}} 没有值")
        return "（？）"


def _render(template: str, values: dict[str, Any], custom: bool) -> str:
    """Fill a message template; a clerk never sees a literal {placeholder}. A schema's own message
    (custom) may name a field this rule does not have: it shows as （？）, never raises."""
    try:
        return template.format_map(_Unfilled(values) if not custom else _Lenient(values))
    except (IndexError, ValueError):
        return template.replace("{", "（").replace("}", "）")


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "（？）"


def _short(value: Any, limit: int = 80) -> Any:
    """A submitter's text quoted in a message is cut to a readable length (a 2 MB cell must not
    become a 2 MB message); the whole text stays in the file and the archive."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit - 20]}…（共 {len(value)} 字）"
    return value


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def tally(findings) -> tuple[int, int]:
    """(errors, warnings) among findings."""
    errors = sum(1 for f in findings if f.severity == ERROR)
    return errors, len(findings) - errors
