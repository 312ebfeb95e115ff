"""Form schemas: the vocabulary of the forms, loaded from declarative TOML files.

A schema says how to recognise a form (its labels), what its rows, columns or fields are (keys,
Chinese labels, units, types, flow or stock) and which rules hold. Supporting a new form means
writing a new file in `schemas/`, not new Python. This module knows nothing about Excel.

Three layouts cover the forms we have met:

- ``table``: fixed data rows found by their row label (附件3: 累计数 / 当周数; 附件6: 视频监控点 …)
  crossed with columns found by their header label path (a group label, then a sub-label below it);
- ``list``: a header row, then one record per row until the footer (附件4, 附件5);
- ``fields``: single cells, each found by a label path along a row (a row label, then a column
  label to its right), with the value in the cell below the last label (the fire-lane form).
"""

from __future__ import annotations

import ast as _ast
import re
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .errors import UserError
from .values import norm_word

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ColumnType = Literal["count", "amount", "percent", "text", "names", "status", "yesno", "date"]
NUMERIC_TYPES = ("count", "amount", "percent")


class SchemaError(UserError):
    """A schema file is missing, unreadable or inconsistent. The message is Chinese and names it."""

    kind = "schema"


# ---------------------------------------------------------------------------------------------
# label normalisation (reader.SheetIndex decides with these when a cell "says" a label)


_SPACES = re.compile(r"\s+")
_TRAILING_UNIT = re.compile(r"[(][^()]*[)]$")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "：": ":", "－": "-"})


def norm_label(text: object) -> str:
    """Full-width → half-width, no spaces or line breaks, unified quotes and colons."""
    return _norm_label(text if isinstance(text, str) else str(text))


@lru_cache(maxsize=1 << 16)
def _norm_label(text: str) -> str:
    # memoised: the same header and row labels recur in every file of a batch
    s = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACES.sub("", s)


@lru_cache(maxsize=1 << 16)
def strip_unit(label: str) -> str:
    """'现有数量(个)' → '现有数量'; labels often carry their unit in brackets."""
    prev = None
    while prev != label:
        prev, label = label, _TRAILING_UNIT.sub("", label)
    return label


@lru_cache(maxsize=4096)
def _label_path(label: tuple[str, ...], aliases: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """A column's or row's label path normalised, its last step with its aliases (memoised: asked
    for every form of every file)."""
    steps: list[tuple[str, ...]] = [(norm_label(x),) for x in label]
    steps[-1] = tuple(norm_label(x) for x in [label[-1], *aliases])
    return tuple(steps)


@lru_cache(maxsize=64)
def _word_set(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(norm_word(w) for w in words)


# ---------------------------------------------------------------------------------------------
# the schema file's model


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(v: object) -> object:
    return [v] if isinstance(v, str) else v


class Column(_Model):
    """A column (table, list) or a single cell (fields)."""

    key: str
    label: list[str]  # label path: group label, then sub-label (table); row label, column label (fields)
    aliases: list[str] = []  # other ways clerks write the last label
    name: str = ""  # short Chinese name for messages; defaults to the joined label path
    unit: str = ""
    type: ColumnType = "count"
    flow: bool = True  # sums over weeks (当周 adds to 累计); False for stocks such as 景点总数
    required: bool = False  # list: every record must fill it
    derive: str = ""  # fields: arithmetic on other keys, e.g. "existing - marked"
    # a stock counted over territories (景点总数: streets count their area, member units their
    # supervised objects — 附件3 注2 “避免重复统计”): "streets" makes the district figure the sum
    # of the territorial submitters (街道; 区 in a city's roster), the units' sum shown beside
    # it; "all" sums every submitter
    total_from: Literal["all", "streets"] = "all"

    _label_path = field_validator("label", mode="before")(_as_list)

    @field_validator("key")
    @classmethod
    def _key_is_identifier(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", v):
            raise ValueError(f"键“{v}”只能用小写字母、数字和下划线，且以字母开头")
        return v

    @property
    def display(self) -> str:
        return self.name or "".join(self.label)

    def label_norms(self) -> tuple[tuple[str, ...], ...]:
        """Normalised label path; the last step may be any of label/aliases."""
        return _label_path(tuple(self.label), tuple(self.aliases))


class Row(_Model):
    key: str
    label: str
    aliases: list[str] = []
    required: bool = True

    def label_norms(self) -> tuple[str, ...]:
        return _label_path((self.label,), tuple(self.aliases))[-1]


class Status(_Model):
    key: str
    label: str
    synonyms: list[str] = []
    closed: bool = False  # 整改完成: the hazard is off the books (挂账销号)


class Overdue(_Model):
    """A list's deadline column and status column: a record past its deadline at the period's
    deadline and not closed is 逾期未整改."""

    date: str  # a column of type "date" (整改时限)
    status: str  # a column of type "status" (完成情况)


class SameThing(_Model):
    """How two units' records of one thing are told (a list): the same place, however written
    (开元寺 / 开元寺景区), and a similar description — a suspected duplicate for the clerk to decide."""

    place: str  # the column naming the place or firm
    description: str  # the column describing it (the hazard, the problem)
    what: str  # Chinese, what one record is ("重大隐患"), for messages


class _Rule(_Model):
    severity: Literal["error", "warning"] | None = None
    message: str | None = None  # overrides the catalog template (same placeholders)
    basis: str = ""  # the phrase of the notice (or the form's 注) the rule rests on


class SumRule(_Rule):
    """total = sum(parts), in each of `rows` (all rows when empty)."""

    kind: Literal["sum"]
    total: str
    parts: list[str]
    rows: list[str] = []


class LeRule(_Rule):
    """left ≤ right, in each of `rows`; `why` is the reason a clerk reads."""

    kind: Literal["le"]
    left: str
    right: str
    rows: list[str] = []
    why: str = ""


class RowLeRule(_Rule):
    """For every column of the chosen set: value in left_row ≤ value in right_row."""

    kind: Literal["row-le"]
    left_row: str
    right_row: str
    columns: Literal["flow", "all"] | list[str] = "flow"


class PairRule(_Rule):
    """left and right are both zero or both positive."""

    kind: Literal["both-or-neither"]
    left: str
    right: str
    rows: list[str] = []


class CountRule(_Rule):
    """The number of records (or of names in a names column) agrees with a figure of a table form,
    or with the sum of several (重大隐患 come from 排查 and from 监督检查).

    `agrees_with` is "form.row.column", e.g. "a3.cumulative.found_major", or a list of them.
    `count`: "entries" counts every name as written (a firm fined in two weeks is two penalties
    in 附件3's cumulative count); "distinct" counts different names once.
    """

    kind: Literal["count"]
    column: str = ""  # a names column: count the names; empty: count the records
    status: str = ""  # only records with this status key
    agrees_with: list[str]
    count: Literal["entries", "distinct"] = "entries"
    what: str  # Chinese, e.g. "重大隐患" — used in the message

    _refs = field_validator("agrees_with", mode="before")(_as_list)


class AmountRule(_Rule):
    """The sum of an amount column agrees with a figure of a table form (both in 万元)."""

    kind: Literal["amount"]
    column: str
    agrees_with: list[str]
    what: str
    tolerance: float = 0.005
    slip_factor: float = 10000  # an amount this many times too big was typed in 元

    _refs = field_validator("agrees_with", mode="before")(_as_list)


Rule = Annotated[
    SumRule | LeRule | RowLeRule | PairRule | CountRule | AmountRule, Field(discriminator="kind")
]


class Schema(_Model):
    id: str
    name: str  # 工作情况表
    attachment: str = ""  # 附件3
    title: str = ""
    consolidated_title: str = ""  # the consolidated sheet's title after the district's name; "{title}汇总表" when empty
    version: int = 1
    layout: Literal["table", "list", "fields"]
    identify: list[str]  # every one of these labels must be present to recognise the form
    submitter_labels: list[str] = ["填报街道（单位）", "填报地区（单位）", "填报单位"]
    footer: bool = True  # 审核人 / 填报人 / 联系电话 required
    footer_date: bool = True  # the footer carries a date (2021年 月 日)
    notes: list[str] = []  # printed under the form (注：…)
    rows: list[Row] = []
    open_rows: bool = False  # table: rows the submitter adds below the known ones are read too
    columns: list[Column] = []
    fields: list[Column] = []
    hint_rows: list[str] = []  # list: printed hint rows under the header (e.g. 整改完成/正在整改)
    # what clerks type in a number cell for "nothing": read as 0, with one blank-as-zero warning
    # per form (a blank cell always is)
    zero_words: list[str] = []
    # list: a row saying only one of these (无, 暂无 …) means "nothing to list" — no record
    none_words: list[str] = []
    # whether a submitter must send this form each period: "always"; "when-reported" — only when
    # one of the `reported_when` figures ("form.row.column") is above 0; "optional". The
    # campaign's configuration may override it ([required_forms]).
    required: Literal["always", "when-reported", "optional"] = "always"
    reported_when: list[str] = []
    required_basis: str = ""  # the phrase of the notice that says who files this form
    statuses: list[Status] = []
    overdue: Overdue | None = None
    duplicates: SameThing | None = None
    # a list whose records stay listed until closed (附件4: 跟踪落实直至挂账销号): one gone from a later
    # filing, or closed and then open again, is an error; records are known by `duplicates`
    kept_until_closed: bool = False
    # what the built-in campaign's 简报, 月报, 总结 and consolidated sheets use this form as: its
    # totals table (附件3), its hazards list (附件4), its enforcement lists (附件5), its facilities
    # table (附件6), its situation report (工作情况). A campaign whose forms take none of these roles gets
    # the 简报 and 总结 computed from its schemas alone.
    role: Literal["", "totals", "hazards", "enforcement", "facilities", "situation"] = ""
    rules: list[Rule] = []
    _by_key: dict[str, Column] = PrivateAttr(default_factory=dict)

    @property
    def short(self) -> str:
        """The form's short name in messages and tables: '附件3' (or its name when it has none)."""
        return self.attachment or self.name

    @property
    def label(self) -> str:
        """How a clerk names the form: '附件3 工作情况表'."""
        return f"{self.attachment} {self.name}".strip()

    def column(self, key: str) -> Column:
        return self._by_key[key]  # KeyError for an unknown key, as from a dict

    @property
    def column_map(self) -> dict[str, Column]:
        """Column key → column, as a plain dict for loops over cells: a pydantic private
        attribute costs about 1 µs per access, a dict lookup a fiftieth of that."""
        return self._by_key

    def model_post_init(self, _context) -> None:
        # the reader and the rules ask for columns by key thousands of times a second
        self._by_key.update({c.key: c for c in [*self.columns, *self.fields]})

    @property
    def zero_set(self) -> frozenset[str]:
        """zero_words as the reader compares them (half-width, no spaces, dashes unified)."""
        return _word_set(tuple(self.zero_words))

    @property
    def none_set(self) -> frozenset[str]:
        return _word_set(tuple(self.none_words))

    def row(self, key: str) -> Row:
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(key)

    @property
    def numeric_columns(self) -> list[Column]:
        return [c for c in [*self.columns, *self.fields] if c.type in NUMERIC_TYPES]

    @model_validator(mode="after")
    def _consistent(self) -> Schema:
        cols = [*self.columns, *self.fields]
        keys = [c.key for c in cols]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise ValueError(f"栏目键重复：{', '.join(sorted(dup))}")
        row_keys = [r.key for r in self.rows]
        if len(set(row_keys)) != len(row_keys):
            raise ValueError("行键重复")
        if self.layout == "table" and not (self.rows and self.columns):
            raise ValueError("table 布局须有 rows 和 columns")
        if self.layout == "list" and not self.columns:
            raise ValueError("list 布局须有 columns")
        if self.layout == "fields" and not self.fields:
            raise ValueError("fields 布局须有 fields")
        if self.required == "when-reported" and not self.reported_when:
            raise ValueError("required = \"when-reported\" 须有 reported_when（哪些数字大于 0 时须报送）")
        if any(c.type == "status" for c in cols) and not self.statuses:
            raise ValueError("有 status 类型的栏目，但没有定义 statuses（挂账销号状态）")
        types = {c.key: c.type for c in cols}
        if self.kept_until_closed and (self.duplicates is None or "status" not in types.values()):
            raise ValueError("kept_until_closed 需要 duplicates（如何认出同一条）和一个 status 类型的栏目")
        if self.duplicates and not {self.duplicates.place, self.duplicates.description} <= set(types):
            raise ValueError(f"duplicates 引用了未定义的栏目（“{self.duplicates.place}”“{self.duplicates.description}”）")
        if self.overdue and (types.get(self.overdue.date) != "date" or types.get(self.overdue.status) != "status"):
            raise ValueError(f"overdue 的 date 应为 date 类型的栏目、status 应为 status 类型的栏目"
                             f"（现为“{self.overdue.date}”“{self.overdue.status}”）")
        known, rows = set(keys), set(row_keys)

        def need(k: str, where: str, pool: set[str], what: str) -> None:
            if k not in pool:
                raise ValueError(f"{where} 引用了未定义的{what}“{k}”")

        for i, rule in enumerate(self.rules):
            where = f"rules[{i}]（{rule.kind}）"
            for k in _rule_columns(rule):
                need(k, where, known, "栏目")
            for k in _rule_rows(rule):
                need(k, where, rows, "行")
            if isinstance(rule, CountRule) and rule.status:
                need(rule.status, where, {s.key for s in self.statuses}, "状态")
        for part, cols in (("fields", self.fields), ("columns", self.columns)):
            for c in (c for c in cols if c.derive):
                for name in re.findall(r"[a-z][a-z0-9_]*", c.derive):
                    need(name, f"{part}.{c.key}.derive", known, "栏目")
                try:
                    evaluate(c.derive, {})
                except SchemaError as e:
                    raise ValueError(f"{part}.{c.key}.derive：{e}") from None
        return self


def _rule_columns(rule: _Rule) -> list[str]:
    if isinstance(rule, SumRule):
        return [rule.total, *rule.parts]
    if isinstance(rule, (LeRule, PairRule)):
        return [rule.left, rule.right]
    if isinstance(rule, RowLeRule) and isinstance(rule.columns, list):
        return list(rule.columns)
    if isinstance(rule, (CountRule, AmountRule)):
        return [rule.column] if rule.column else []
    return []


def _rule_rows(rule: _Rule) -> list[str]:
    if isinstance(rule, (SumRule, LeRule, PairRule)):
        return list(rule.rows)
    if isinstance(rule, RowLeRule):
        return [rule.left_row, rule.right_row]
    return []


# ---------------------------------------------------------------------------------------------
# loading


def load_schema_file(path: Path) -> Schema:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise SchemaError(f"无法读取表样定义文件 {path}：{e}") from e
    except tomllib.TOMLDecodeError as e:
        raise SchemaError(f"表样定义文件 {path} 不是有效的 TOML：{e}") from e
    try:
        return Schema.model_validate(data)
    except ValidationError as e:
        from .config import pydantic_messages

        raise SchemaError(f"表样定义文件 {path} 有误：\n" + "\n".join(pydantic_messages(e))) from None


class SchemaSet:
    """All forms the tool knows, by id; checks references between forms."""

    def __init__(self, schemas: list[Schema]):
        self.by_id: dict[str, Schema] = {}
        for s in schemas:
            if s.id in self.by_id:
                raise SchemaError(f"表样编号“{s.id}”重复定义")
            self.by_id[s.id] = s
        for s in schemas:
            for rule in s.rules:
                if isinstance(rule, (CountRule, AmountRule)):
                    for ref in rule.agrees_with:
                        self.resolve_ref(ref, s.id)
            for ref in s.reported_when:
                self.resolve_ref(ref, s.id, "reported_when")

    def __iter__(self):
        return iter(self.by_id.values())

    def __getitem__(self, key: str) -> Schema:
        return self.by_id[key]

    def __contains__(self, key: str) -> bool:
        return key in self.by_id

    def only(self, form_ids: list[str]) -> SchemaSet:
        """These forms only (a campaign's, of all the schemas loaded), already checked together."""
        out = SchemaSet.__new__(SchemaSet)
        out.by_id = {i: self.by_id[i] for i in dict.fromkeys(form_ids) if i in self.by_id}
        return out

    def roles(self, form_ids: list[str]) -> dict[str, str]:
        """Role → the first of these forms that takes it (see Schema.role)."""
        out: dict[str, str] = {}
        for form_id in form_ids:
            if form_id in self.by_id and self[form_id].role:
                out.setdefault(self[form_id].role, form_id)
        return out

    def short_labels(self) -> dict[str, str]:
        """Schema id → '附件3', for reports of which forms a filing holds."""
        return {s.id: s.short for s in self}

    def resolve_ref(self, ref: str, where: str, field: str = "agrees_with") -> tuple[Schema, Row, Column]:
        """'a3.cumulative.found_major' → (schema, row, column), or a SchemaError."""
        parts = ref.split(".")
        if len(parts) != 3:
            raise SchemaError(f"表样 {where} 的 {field}“{ref}”应写成 表样.行.栏目")
        try:
            other = self.by_id[parts[0]]
            return other, other.row(parts[1]), other.column(parts[2])
        except KeyError as e:
            raise SchemaError(f"表样 {where} 的 {field}“{ref}”引用了不存在的 {e}") from None


@lru_cache(maxsize=8)
def load_schemas(*dirs: Path) -> SchemaSet:
    """Every *.toml in the given folders (built-in folder when none), sorted by file name."""
    from .shipped import builtin_schema_dirs

    folders = dirs or builtin_schema_dirs()
    schemas = []
    for d in folders:
        if not d.is_dir():
            raise SchemaError(f"表样定义文件夹不存在：{d}")
        schemas += [load_schema_file(p) for p in sorted(d.glob("*.toml"))]
    if not schemas:
        raise SchemaError(f"在 {', '.join(map(str, folders))} 中没有找到表样定义文件（*.toml）")
    return SchemaSet(schemas)


# ---------------------------------------------------------------------------------------------
# derived columns: a tiny, safe arithmetic language over column keys

_OPS = {_ast.Add: float.__add__, _ast.Sub: float.__sub__, _ast.Mult: float.__mul__,
        _ast.Div: float.__truediv__}


def evaluate(expr: str, values: dict[str, object]) -> float | None:
    """'marked / count * 100' over values; None when a value is missing or a division by zero."""

    def ev(node: _ast.AST) -> float:
        if isinstance(node, _ast.Expression):
            return ev(node.body)
        if isinstance(node, _ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, _ast.UnaryOp) and isinstance(node.op, _ast.USub):
            return -ev(node.operand)
        if isinstance(node, _ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, _ast.Name):
            v = values.get(node.id)
            if not isinstance(v, (int, float)):
                raise LookupError(node.id)
            return float(v)
        raise SchemaError(f"计算式“{expr}”只能用栏目键、数字和 + - * /")

    try:
        result = ev(_ast.parse(expr, mode="eval"))
    except (LookupError, ZeroDivisionError):
        return None
    except SyntaxError as e:
        raise SchemaError(f"计算式“{expr}”写法有误：{e.msg}") from None
    return round(result, 6)
