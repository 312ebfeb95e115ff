"""Campaign configuration: the campaign, its roster (with aliases and e-mail), its deadlines.

Read from `safetyreport.toml` (current folder, or `--config`). When there is none — a submitter
checking a form on their own PC — the built-in 鲤城区 2021 configuration is used.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from .schema import norm_label

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAME = "safetyreport.toml"
DEFAULT_CONFIG = Path(__file__).with_name("default_config.toml")


class ConfigError(Exception):
    """The configuration file is missing or wrong; the message is Chinese and names the file."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Campaign(_Model):
    name: str
    district: str = ""
    office: str = ""
    start: dt.date
    end: dt.date
    timezone: str = "Asia/Shanghai"
    weekly_forms: list[str] = ["a3", "a4", "a5", "a6", "narrative"]
    schemas_dir: str | None = None


class Deadlines(_Model):
    weekly_weekday: int = 4
    weekly_time: str = "12:00"
    first_weekly: dt.date
    monthly_day: int = 2
    monthly_time: str = "18:00"
    final: dt.date
    final_time: str = "18:00"
    grace_minutes: int = 0
    # Deadlines on a day off move when holiday_shift is true: the weekly one as `weekly_shift`
    # says (to the next working day by default, as the office decided for 国庆); the monthly and
    # final ones, which the notice states with 前 ("每月2日前", "11月20日前"), always earlier.
    holiday_shift: bool = True
    weekly_shift: Literal["later", "earlier"] = "later"
    holidays: list[dt.date] = []
    workdays: list[dt.date] = []  # 调休: weekend days that are working days


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


class OfficeContacts(_Model):
    info_group_email: str = ""
    coordination_group_email: str = ""
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


class Submitter(_Model):
    name: str
    # "street" (街道) and "district" (区, in a city's roster) report over a territory;
    # "unit" (联席会议成员单位) over its own level and the objects it supervises (附件3 注2)
    kind: Literal["street", "district", "unit"]
    aliases: list[str] = []
    email: str = ""

    @property
    def territorial(self) -> bool:
        return self.kind in ("street", "district")

    @property
    def kind_label(self) -> str:
        return {"street": "街道", "district": "区县"}.get(self.kind, "成员单位")


_NOISE = re.compile(r"^(福建省)?(泉州市)?(鲤城区)?")


def _key(text: str) -> str:
    """Normalised name for matching: half-width, no spaces, unified brackets."""
    return norm_label(text).replace("(", "").replace(")", "")


class Roster:
    """The submitters, matched by name or alias as clerks actually write them."""

    def __init__(self, submitters: list[Submitter]):
        self.submitters = submitters
        self._exact: dict[str, Submitter] = {}
        for s in submitters:
            for name in [s.name, *s.aliases]:
                self._exact.setdefault(_key(name), s)
                self._exact.setdefault(_NOISE.sub("", _key(name)), s)
        # longest names first, so "区委统战部区民族宗教局" wins over "统战部"
        self._by_length = sorted(self._exact.items(), key=lambda kv: -len(kv[0]))

    def __iter__(self):
        return iter(self.submitters)

    def __len__(self) -> int:
        return len(self.submitters)

    def get(self, name: str) -> Submitter | None:
        return next((s for s in self.submitters if s.name == name), None)

    def match(self, text: str) -> Submitter | None:
        """Exact name or alias (after normalising), else the one roster name the text contains."""
        key = _key(text)
        if not key:
            return None
        hit = self._exact.get(key) or self._exact.get(_NOISE.sub("", key))
        if hit:
            return hit
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
    office_contacts: OfficeContacts = OfficeContacts()
    smtp: Smtp = Smtp()
    submitters: list[Submitter]
    # where this configuration was read from (not in the file)
    source: str = ""

    @model_validator(mode="after")
    def _unique_names(self) -> "Config":
        names = [s.name for s in self.submitters]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"报送名单中单位重复：{'、'.join(sorted(dup))}")
        return self

    @property
    def folder(self) -> Path:
        """The campaign folder: where the configuration lives (the ledger and outputs go there);
        the current folder when the built-in configuration is used."""
        return Path(self.source).resolve().parent if self.source else Path.cwd()

    @property
    def roster(self) -> Roster:
        return Roster(self.submitters)

    def schema_dirs(self) -> tuple[Path, ...]:
        """Built-in schemas, plus the campaign's own folder when configured."""
        from .schema import builtin_schema_dir

        dirs = [builtin_schema_dir()]
        if self.campaign.schemas_dir:
            extra = Path(self.campaign.schemas_dir)
            if not extra.is_absolute() and self.source:
                extra = Path(self.source).parent / extra
            dirs.append(extra)
        return tuple(dirs)


def parse_config(text: str, source: str) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"配置文件 {source} 不是有效的 TOML：{e}") from e
    try:
        return Config.model_validate({**data, "source": source})
    except ValidationError as e:
        lines = [f"  {'.'.join(map(str, err['loc'])) or '（顶层）'}：{err['msg'].removeprefix('Value error, ')}"
                 for err in e.errors()]
        raise ConfigError(f"配置文件 {source} 有误：\n" + "\n".join(lines)) from e


def load_config(path: Path | None = None) -> Config:
    """`path` if given; else ./safetyreport.toml if present; else the built-in campaign."""
    if path is None:
        local = Path.cwd() / CONFIG_NAME
        if local.is_file():
            path = local
    if path is None:
        return parse_config(DEFAULT_CONFIG.read_text(encoding="utf-8"), "")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"找不到配置文件：{path}（可先运行 safetyreport init 生成）") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"无法读取配置文件 {path}：{e}") from None
    return parse_config(text, str(path))


def write_default_config(folder: Path, force: bool = False) -> Path:
    """`safetyreport init`: write the 鲤城区 2021 configuration; never overwrite silently."""
    target = folder / CONFIG_NAME
    if target.exists() and not force:
        raise ConfigError(f"{target} 已存在。如要覆盖，请加 --force。")
    from .atomic import write_text_atomic

    write_text_atomic(target, DEFAULT_CONFIG.read_text(encoding="utf-8"))
    return target
