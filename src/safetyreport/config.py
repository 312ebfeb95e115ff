"""Campaign configuration: the campaign, its roster (with aliases and e-mail), its deadlines.

Read from `safetyreport.toml` (current folder, or `--config`). When there is none — a submitter
checking a form on their own PC — the built-in 鲤城区 2021 configuration is used.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from .errors import UserError
from .schema import norm_label

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAME = "safetyreport.toml"


if TYPE_CHECKING:
    from .schema import SchemaSet


class ConfigError(UserError):
    """The configuration file is missing or wrong; the message is Chinese and names the file."""

    kind = "config"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


_HHMM = re.compile(r"([01]?\d|2[0-3]):[0-5]\d")


def _time_of_day(v: str) -> str:
    if not isinstance(v, str) or not _HHMM.fullmatch(v.strip()):
        raise ValueError(f"时间“{v}”应写成 24 小时制的 时:分，如 \"12:00\"")
    return v.strip()


def _address(v: str) -> str:
    """E-mail addresses (or "名字 <地址>"; several separated by commas) on one line: a line break
    would inject headers."""
    v = (v or "").strip()
    if any(ch in v for ch in "\r\n\0"):
        raise ValueError("电子邮箱中不能有换行")
    if v and not re.search(r"[^@\s<>]+@[^@\s<>]+", v):
        raise ValueError(f"“{v}”不是电子邮箱地址，应如 kaiyuan@example.gov.cn")
    return v


class Campaign(_Model):
    name: str
    district: str = ""
    office: str = ""
    start: dt.date
    end: dt.date
    timezone: str = "Asia/Shanghai"
    weekly_forms: list[str]  # the forms units file (schema ids), each period or on their own rhythm
    schemas_dir: str | None = None
    # the places above the district a unit may write before its name (福建省泉州市鲤城区开元街道)
    places: list[str] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"时区“{v}”不存在，应为 IANA 时区名，如 \"Asia/Shanghai\"") from None
        return v

    @model_validator(mode="after")
    def _start_before_end(self) -> Campaign:
        if self.end < self.start:
            raise ValueError(f"结束日期 end（{self.end}）早于开始日期 start（{self.start}）")
        return self


Cadence = Literal["weekly", "every-days", "half-monthly", "monthly", "quarterly", "half-yearly", "yearly", "once"]


class FormRhythm(_Model):
    """A form filed on a rhythm of its own ([deadlines.forms.<表样编号>]), as its notice says it:
    seed 001's 统计表 "每季度末月24日前" beside a list "每月28日前". Unset keys are the campaign's."""

    cadence: Cadence
    due_day: int | None = None
    due_month: Literal["same", "next"] | None = None
    due_time: str | None = None
    first_weekly: dt.date | None = None
    every_days: int | None = None


class Deadlines(_Model):
    # The units' rhythm, as the notice says it: "weekly" (每周四12时前: first_weekly, then every 7
    # days), "every-days" (每15天一个节点: first_weekly, then every `every_days`), "monthly"
    # (每月28日前: `due_day` of the period's month, or of the next month with due_month = "next"),
    # "quarterly" (每季度末月24日前: `due_day` of the quarter's last month, or of the next one),
    # "half-yearly" and "yearly" alike; "half-monthly" (每半月: due the 15th and the month's last day);
    # "once" (11月20日前报送: one period, due first_weekly, moved earlier off a day off).
    cadence: Cadence = "weekly"
    weekly_weekday: int = 4
    weekly_time: str = "12:00"
    first_weekly: dt.date | None = None  # the first deadline (weekly, every-days), the only one (once)
    every_days: int = 15
    due_day: int = 28
    due_month: Literal["same", "next"] = "same"
    due_time: str | None = None  # the calendar rhythms' and once's time of day; weekly_time when not set
    monthly_day: int = 2
    monthly_time: str = "18:00"
    final: dt.date | None = None  # the summary's deadline; the campaign's end when not set
    final_time: str = "18:00"
    grace_minutes: int = 0
    # Deadlines on a day off move when holiday_shift is true: the weekly one as `weekly_shift`
    # says (to the next working day by default, as the office decided for 国庆); the monthly and
    # final ones, which the notice states with 前 ("每月2日前", "11月20日前"), always earlier.
    holiday_shift: bool = True
    weekly_shift: Literal["later", "earlier"] = "later"
    holidays: list[dt.date] = []
    workdays: list[dt.date] = []  # 调休: weekend days that are working days
    # forms on a rhythm of their own; a form is due in the campaign's period its own deadline falls in
    forms: dict[str, FormRhythm] = {}

    _times = field_validator("weekly_time", "monthly_time", "final_time")(_time_of_day)

    @field_validator("due_time")
    @classmethod
    def _due_time(cls, v: str | None) -> str | None:
        return None if v is None else _time_of_day(v)

    @field_validator("every_days")
    @classmethod
    def _every(cls, v: int) -> int:
        if not 1 <= v <= 366:
            raise ValueError(f"every_days 为 {v}，应为 1 到 366 之间的天数")
        return v

    @field_validator("due_day")
    @classmethod
    def _due_day(cls, v: int) -> int:
        if not 1 <= v <= 28:  # every month has it
            raise ValueError(f"due_day 为 {v}，应为 1 到 28 之间的日子（月底用 28，或用 due_month = \"next\" 的次月日子）")
        return v

    @model_validator(mode="after")
    def _first_deadline(self) -> Deadlines:
        if self.cadence in ("weekly", "every-days", "once") and self.first_weekly is None:
            raise ValueError(f"cadence = \"{self.cadence}\" 需要写第一次截止日 first_weekly，如 first_weekly = 2021-09-16")
        return self

    def of_form(self, form_id: str) -> Deadlines:
        """The rhythm `form_id` is filed on: its own ([deadlines.forms]) over the campaign's."""
        own = self.forms.get(form_id)
        if own is None:
            return self
        mine = {k: v for k, v in own.model_dump().items() if v is not None}
        try:
            return Deadlines.model_validate({**self.model_dump(exclude={"forms"}), **mine})
        except ValidationError as e:
            raise ConfigError(f"[deadlines.forms.{form_id}] 有误：" + "；".join(pydantic_messages(e))) from None

    @property
    def first_due(self) -> dt.date:
        assert self.first_weekly is not None  # checked above for the cadences that use it
        return self.first_weekly

    @field_validator("weekly_weekday")
    @classmethod
    def _weekday(cls, v: int) -> int:
        if not 1 <= v <= 7:
            raise ValueError(f"weekly_weekday 为 {v}，应为 1（周一）到 7（周日）")
        return v

    @field_validator("monthly_day")
    @classmethod
    def _day_of_month(cls, v: int) -> int:
        if not 1 <= v <= 28:  # every month has it
            raise ValueError(f"monthly_day 为 {v}，应为 1 到 28 之间的日子")
        return v

    @field_validator("grace_minutes")
    @classmethod
    def _grace(cls, v: int) -> int:
        if not 0 <= v <= 7 * 24 * 60:
            raise ValueError(f"grace_minutes 为 {v}，应为 0 到 10080（一周）之间的分钟数")
        return v


RequiredPolicy = Literal["always", "when-reported", "optional"]


class FilingStatus(_Model):
    """How the office judges a filing (附件2 三(二): 迟报、错报、漏报)."""

    # per form: "always" (every period), "when-reported" (only when the unit has something to
    # put in it — the form's schema says which figures), "optional" (shown as 未报, never 漏报).
    # A form not named here follows its schema (附件3/6 always, 附件4/5 when-reported, 工作情况 optional).
    required_forms: dict[str, RequiredPolicy] = {}
    # a filing with errors is 错报 even when corrected before the deadline (true), or only when
    # the error still stands at the deadline (false)
    wrong_if_corrected_before_deadline: bool = True


class LedgerSettings(_Model):
    """The ledger's safety settings."""

    lock_wait_seconds: float = 300  # how long a command waits while another one uses the ledger
    keep_backups: int = 20  # backups kept in 备份/ (one before each command that changes the ledger)

    @field_validator("lock_wait_seconds")
    @classmethod
    def _wait(cls, v: float) -> float:
        if not 0 <= v <= 24 * 3600:
            raise ValueError(f"lock_wait_seconds 为 {v}，应为 0 到 86400 秒")
        return v

    @field_validator("keep_backups")
    @classmethod
    def _keep(cls, v: int) -> int:
        if not 0 <= v <= 1000:
            raise ValueError(f"keep_backups 为 {v}，应为 0 到 1000")
        return v


class Phase(_Model):
    """A phase of the campaign as its plan names it (动员部署, 排查整治, 巩固提升 …)."""

    name: str
    start: dt.date
    end: dt.date


class BriefingSettings(_Model):
    """How the office's 简报 is set: who issues it and who gets it (the 版记 at its end)."""

    phases: list[Phase] = []  # the campaign's phases, for the summary's 工作开展情况 (by month when none)
    summary_notes: str = "总结素材.md"  # the clerk's own paragraphs for the summary, beside the configuration

    issuer: str = ""  # 编发单位 under the masthead; the campaign's office when empty
    report_to: str = ""  # 报：
    copy_to: str = ""  # 送：
    send_to: str = ""  # 发：
    printed_by: str = ""  # 印发单位 in the 版记; the issuer when empty
    narrative_groups: int = 1  # statements kept in each 工作情况 section; the rest go to the annex

    @field_validator("narrative_groups")
    @classmethod
    def _groups(cls, v: int) -> int:
        if not 1 <= v <= 50:
            raise ValueError(f"narrative_groups 为 {v}，应为 1 到 50")
        return v


class OfficeContacts(_Model):
    info_group_email: str = ""
    coordination_group_email: str = ""

    _emails = field_validator("info_group_email", "coordination_group_email")(_address)
    # who signs the district's own filing to the city (审核人 / 填报人 / 联系电话)
    reviewer: str = ""
    filer: str = ""
    phone: str = ""


class Smtp(_Model):
    host: str = "localhost"
    port: int = 25
    tls: Literal["none", "starttls", "ssl"] = "none"
    sender: str = "整治联席办 <noreply@example.invalid>"
    user: str = ""
    password_env: str = "SAFETYREPORT_SMTP_PASSWORD"  # the password only ever comes from here

    timeout: float = 20
    retries: int = 3
    retry_wait: float = 2.0  # seconds, doubled after each failed try

    _sender = field_validator("sender")(_address)


class Imap(_Model):
    """The office mailbox units send their forms to (safetyreport fetch)."""

    host: str = ""  # empty: fetch is not set up
    port: int = 993
    tls: Literal["none", "starttls", "ssl"] = "ssl"
    user: str = ""
    password_env: str = "SAFETYREPORT_IMAP_PASSWORD"  # the password only ever comes from here
    folder: str = "INBOX"
    move_to: str = ""  # a folder to move handled mail to; empty: never touch a message
    reply: bool = True  # send each sender a 回执 (needs [smtp])
    timeout: float = 30
    max_attachment_mb: float = 30  # a bigger attachment is skipped with its reason


class Submitter(_Model):
    name: str
    # "street" (街道) and "district" (区, in a city's roster) report over a territory;
    # "unit" (联席会议成员单位) over its own level and the objects it supervises (附件3 注2)
    kind: Literal["street", "district", "unit"]
    label: str = ""  # what the campaign calls this kind of unit (乡镇, 部门); 街道 / 区县 / 成员单位 by default
    aliases: list[str] = []
    email: str = ""

    @field_validator("name")
    @classmethod
    def _trimmed(cls, v: str) -> str:
        v = " ".join(v.split())  # a trailing space or line break would never match a form
        if not v:
            raise ValueError("单位名称不能为空")
        return v

    @field_validator("aliases")
    @classmethod
    def _trimmed_aliases(cls, v: list[str]) -> list[str]:
        return [" ".join(a.split()) for a in v if a.strip()]

    _email = field_validator("email")(_address)

    @property
    def emails(self) -> list[str]:
        """A unit may send from several addresses: "a@x, b@y" (lower-case, for matching)."""
        return [a.lower() for a in re.split(r"[,;，；\s]+", self.email) if "@" in a]

    @property
    def territorial(self) -> bool:
        return self.kind in ("street", "district")

    @property
    def kind_label(self) -> str:
        return self.label or {"street": "街道", "district": "区县"}.get(self.kind, "成员单位")


def _prefix_pattern(places: list[str]) -> re.Pattern[str]:
    """The place names a unit may write before its own name (福建省泉州市鲤城区开元街道), from
    the configuration: each optional, in order."""
    return re.compile("^" + "".join(f"(?:{re.escape(_key(p))})?" for p in places if p.strip()))


def _key(text: str) -> str:
    """Normalised name for matching: half-width, no spaces, unified brackets."""
    return norm_label(text).replace("(", "").replace(")", "")


class Roster:
    """The submitters, matched by name or alias as clerks actually write them."""

    def __init__(self, submitters: list[Submitter], places: list[str] | None = None):
        """`places`: the province, city and district a unit may write before its name."""
        self.submitters = submitters
        self._noise = _prefix_pattern(places or [])
        self._by_name = {s.name: s for s in submitters}  # get() runs once per file read
        self._exact: dict[str, Submitter] = {}
        for s in submitters:
            for name in [s.name, *s.aliases]:
                self._exact.setdefault(_key(name), s)
                self._exact.setdefault(self._noise.sub("", _key(name)), s)
        # longest names first, so "区委统战部区民族宗教局" wins over "统战部"
        self._by_length = sorted(self._exact.items(), key=lambda kv: -len(kv[0]))

    def __iter__(self):
        return iter(self.submitters)

    def __len__(self) -> int:
        return len(self.submitters)

    def get(self, name: str) -> Submitter | None:
        return self._by_name.get(name)

    def match(self, text: str) -> Submitter | None:
        """Exact name or alias (after normalising), else the one roster name the text contains."""
        key = _key(text)
        if not key:
            return None
        bare = self._noise.sub("", key)
        hit = self._exact.get(key) or self._exact.get(bare)
        if hit:
            return hit
        if not bare:  # only the campaign's own places (鲤城区): the district itself, no unit of its roster
            return None
        key = bare
        hits = [(k, s) for k, s in self._by_length if len(k) >= 2 and k in key]
        if not hits:
            return None
        longest, chosen = hits[0]
        # "鲤城区开元街道办事处" holds 开元街道办事处 and 开元: one submitter. Two different
        # submitters only count if the shorter name is part of the longer one.
        if all(s is chosen or k in longest for k, s in hits):
            return chosen
        return None

    def names(self) -> str:
        return "、".join(s.name for s in self.submitters)


class Config(_Model):
    campaign: Campaign
    deadlines: Deadlines
    filing_status: FilingStatus = FilingStatus()
    ledger: LedgerSettings = LedgerSettings()
    briefing: BriefingSettings = BriefingSettings()
    office_contacts: OfficeContacts = OfficeContacts()
    smtp: Smtp = Smtp()
    imap: Imap = Imap()
    submitters: list[Submitter]
    # where this configuration was read from (not in the file)
    source: str = ""

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        """Every name and alias names one submitter, after the normalisation forms are matched
        with: an alias that is another unit's name silently misroutes its filings."""
        owner: dict[str, str] = {}
        for sub in self.submitters:
            for text in dict.fromkeys([sub.name, *sub.aliases]):
                key = _key(text)
                other = owner.get(key)
                if other is not None and other != sub.name:
                    what = "单位重复" if text == sub.name and _key(other) == key else "简称与另一单位重名"
                    raise ValueError(f"报送名单中{what}：“{text}”既指 {other} 又指 {sub.name}")
                owner[key] = sub.name
        address_of: dict[str, str] = {}
        for sub in self.submitters:  # the sender's address decides whose a mailed filing is
            for address in sub.emails:
                other = address_of.setdefault(address, sub.name)
                if other != sub.name:
                    raise ValueError(f"报送名单中邮箱重复：{address} 既是 {other} 的又是 {sub.name} 的。"
                                     "邮件按发件邮箱认定报送单位，一个邮箱只能属于一个单位")
        if len({s.name for s in self.submitters}) != len(self.submitters):
            dup = sorted({s.name for s in self.submitters if [x.name for x in self.submitters].count(s.name) > 1})
            raise ValueError(f"报送名单中单位重复：{'、'.join(dup)}")
        return self

    @model_validator(mode="after")
    def _own_rhythms_collected(self) -> Config:
        stray = [f for f in self.deadlines.forms if f not in self.campaign.weekly_forms]
        if stray:
            raise ValueError(f"[deadlines.forms] 中的表样 {'、'.join(stray)} 不在 campaign.weekly_forms 中：只有收集的表才有报送节奏")
        return self

    @property
    def folder(self) -> Path:
        """The campaign folder: where the configuration lives (the ledger and outputs go there);
        the current folder when the built-in configuration is used."""
        return Path(self.source).resolve().parent if self.source else Path.cwd()

    @cached_property
    def roster(self) -> Roster:
        # built once: its index costs O(names), and it is asked for per mail and per file
        return Roster(self.submitters, [*self.campaign.places, self.campaign.district])

    @cached_property
    def schema_set(self) -> SchemaSet:
        """The campaign's schemas, loaded once; every form the configuration names must be one of
        them (a misspelt id would silently leave a form out of status and merge)."""
        from .schema import load_schemas

        schemas = load_schemas(*self.schema_dirs())
        named = {"campaign.weekly_forms": list(self.campaign.weekly_forms),
                 "filing_status.required_forms": list(self.filing_status.required_forms),
                 "deadlines.forms": list(self.deadlines.forms)}
        for where, ids in named.items():
            unknown = [i for i in ids if i not in schemas]
            if unknown:
                known = "、".join(sorted(s.id for s in schemas))
                raise ConfigError(f"配置文件 {self.source or '（内置）'} 的 {where} 中有不认识的表样编号："
                                  f"{'、'.join(unknown)}。已有的表样：{known}。")
        return schemas

    def schema_dirs(self) -> tuple[Path, ...]:
        """Built-in schemas, plus the campaign's own folder when configured."""
        from .shipped import builtin_schema_dirs

        dirs = list(builtin_schema_dirs())
        if self.campaign.schemas_dir:
            extra = Path(self.campaign.schemas_dir)
            if not extra.is_absolute() and self.source:
                extra = Path(self.source).parent / extra
            dirs.append(extra)
        return tuple(dirs)


# pydantic's error types → what a clerk reads (the key is named beside it)
_ERRORS = {
    "extra_forbidden": "不认识的设置项（拼写有误，或放错了 [小节]）",
    "missing": "缺少这一项",
    "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
    "float_parsing": "应为数字", "bool_parsing": "应为 true 或 false", "bool_type": "应为 true 或 false",
    "string_type": "应为加引号的文字", "list_type": "应为列表（方括号括起，逗号分隔，如 [1, 2]）",
    "date_parsing": "日期应写成 2021-09-13（不加引号）", "date_from_datetime_parsing": "日期应写成 2021-09-13（不加引号）",
    "date_type": "日期应写成 2021-09-13（不加引号）", "dict_type": "应为一个小节或 { 键 = 值 } 表",
    "model_type": "应为一个小节，如 [smtp]",
}


def pydantic_messages(e: ValidationError) -> list[str]:
    """Each validation error as '  位置：说明' in Chinese (our own validators already speak it)."""
    lines = []
    for err in e.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "（顶层）"
        kind = err["type"]
        if kind == "literal_error":
            text = f"应为 {err.get('ctx', {}).get('expected', '')} 之一"
        elif kind in ("value_error", "assertion_error"):
            text = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        else:
            text = _ERRORS.get(kind, f"取值无效（{err['msg']}）")
        given = err.get("input")
        if kind not in ("missing", "value_error") and isinstance(given, (str, int, float)) and not isinstance(given, bool):
            text += f"，实际为 {given!r}"
        lines.append(f"  {loc}：{text}")
    return lines


def parse_config(text: str, source: str) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"配置文件 {source} 不是有效的 TOML：{e}（用记事本修改时，文字请加英文双引号）") from e
    try:
        return Config.model_validate({**data, "source": source})
    except ValidationError as e:
        raise ConfigError(f"配置文件 {source} 有误：\n" + "\n".join(pydantic_messages(e))) from None


def read_config_text(path: Path) -> str:
    """The file as a clerk's editor saved it: UTF-8 (with or without the BOM Notepad adds) or
    GBK/GB18030 (Notepad's "ANSI" on a Chinese Windows)."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConfigError(f"配置文件 {path} 的编码无法识别：应为 UTF-8 或 GBK（记事本“另存为”时选 UTF-8）。")


def load_config(path: Path | None = None) -> Config:
    """`path` if given; else ./safetyreport.toml if present; else the built-in campaign."""
    if path is None:
        local = Path.cwd() / CONFIG_NAME
        if local.is_file():
            path = local
    if path is None:
        from .shipped import builtin_config

        return parse_config(builtin_config().read_text(encoding="utf-8"), "")
    if path.is_dir():
        path = path / CONFIG_NAME
    try:
        text = read_config_text(path)
    except FileNotFoundError:
        raise ConfigError(f"找不到配置文件：{path}（可先运行 safetyreport init 生成）") from None
    except OSError as e:
        from .atomic import os_reason

        raise ConfigError(f"无法读取配置文件 {path}：{os_reason(e)}") from None
    return parse_config(text, str(path))


def new_config_path(folder: Path, force: bool = False) -> Path:
    """Where a new campaign's configuration goes; one already there is overwritten only with --force."""
    target = folder / CONFIG_NAME
    if target.exists() and not force:
        raise ConfigError(f"{target} 已存在。如要覆盖，请加 --force。")
    return target


def write_default_config(folder: Path, force: bool = False) -> Path:
    """`safetyreport init`: write the built-in campaign's configuration; never overwrite silently."""
    target = new_config_path(folder, force)
    from .atomic import write_text_atomic
    from .shipped import builtin_config

    write_text_atomic(target, builtin_config().read_text(encoding="utf-8"))
    return target
