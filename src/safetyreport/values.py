"""Cell values the way a clerk means them.

Pure functions from a raw cell value (str, int, float, datetime, None) to a typed value or a
reason it is not one. They never raise on user input.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple, cast

_UNIT_WORDS = ("万元", "人次", "元", "项", "家", "个", "处", "份", "次", "人", "架", "套", "台", "条", "%")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_SEPARATORS = re.compile(r"[、，,；;\n\r]+")
_DASHES = str.maketrans({"－": "-", "—": "-", "–": "-", "―": "-"})
_WS = re.compile(r"\s+")
NO_WORDS: frozenset[str] = frozenset()  # callers without a schema: only a blank cell is "nothing"


def norm_word(text: object) -> str:
    """How a cell is compared with a schema's zero_words / none_words ("无", "暂无", "—" …):
    half-width, no spaces, one kind of dash, no closing full stop."""
    s = _WS.sub("", unicodedata.normalize("NFKC", str(text))).translate(_DASHES)
    return s.rstrip("。.") or s


class Parsed(NamedTuple):
    """Outcome of normalising one cell: a value, or a problem code (never both). (A named tuple:
    made for every number a form holds, and a frozen dataclass costs three times as much.)"""

    value: float | int | str | list[str] | None = None
    problem: str = ""  # "blank", "not-a-number", "negative-number", "not-whole-number", "yuan"
    text: str = ""  # the cell as typed, for messages


def cell_text(raw: object) -> str:
    """Display text of a raw cell value, normalised to half-width, trimmed."""
    if raw is None:
        return ""
    kind = type(raw)
    if kind is float:  # what a number cell holds, most of all: its text is ASCII (NFKC changes nothing)
        number = cast(float, raw)
        return str(int(number)) if number.is_integer() else str(number)
    if kind is int:
        return str(raw)
    if isinstance(raw, str):
        return _str_text(raw)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, dt.datetime):
        return raw.strftime("%Y-%m-%d") if raw.time() == dt.time() else raw.isoformat(sep=" ")
    return unicodedata.normalize("NFKC", str(raw)).strip()


@lru_cache(maxsize=1 << 16)
def _str_text(raw: str) -> str:
    # memoised: labels and the same words (无, 已整改, 街道 names) recur in every file
    return unicodedata.normalize("NFKC", raw).strip()


def plain_text(raw: object) -> str:
    """Text as the submitter wrote it (full-width punctuation kept), trimmed; for text columns."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        return cell_text(raw)
    return raw.strip()


# What a unit typed is data, never control: C0 and C1 control characters (ESC starts terminal
# sequences, NUL ends strings, others break XML), bidi overrides (text that reads backwards),
# and line/paragraph separators (a line break in a name would start a heading in Markdown).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile("[\r\n\t\u2028\u2029\x85]+")


# what either form of `neutral` changes: most texts hold none of it and are given back as they are
_TOUCHED = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_TOUCHED_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def neutral(text: object, keep_newlines: bool = False) -> str:
    """A unit's text made harmless for any output: control characters shown as �, bidi overrides
    dropped, line breaks folded to a space (kept as \\n when `keep_newlines`, for a paragraph)."""
    s = "" if text is None else str(text)
    if (_TOUCHED_BUT_NEWLINE if keep_newlines else _TOUCHED).search(s) is None:
        return s
    return neutral_in_full(s, keep_newlines)


def neutral_in_full(s: str, keep_newlines: bool = False) -> str:
    """`neutral` without its shortcut for text it would give back as it is."""
    if keep_newlines:
        s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
        s = s.replace("\t", " ")
    else:
        s = _BREAKS.sub(" ", s)
    return _BIDI.sub("", _CONTROL.sub("\ufffd", s))


def display_width(text: str) -> int:
    """Columns a terminal or a spreadsheet gives the text: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP "CSV injection": a formula to Excel, WPS, LibreOffice


def sheet_text(text: object, csv: bool = False) -> str:
    """A unit's text as a spreadsheet cell, for every writer: no control characters or bidi
    overrides (line breaks kept: a cell may wrap). In CSV, where the program opening the file
    decides what is a formula, text that would start one (also after NFKC: full-width ＝ is =) is
    kept as text by a leading apostrophe, as OWASP recommends; xlsx cells are written as strings."""
    s = neutral(text, keep_newlines=True)
    if csv and unicodedata.normalize("NFKC", s[:1]).startswith(FORMULA_STARTS):
        return "'" + s
    return s


def fmt_num(v: float | int | None) -> str:
    """3.0 → '3', 0.25 → '0.25', None → '（无）'."""
    if v is None:
        return "（无）"
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return f"{v:.4f}".rstrip("0").rstrip(".")
    return str(v)


def parse_number(raw: object, kind: str = "count", zero: frozenset[str] = NO_WORDS) -> Parsed:
    """Normalise a numeric cell. kind: count (whole, ≥0), amount (万元, ≥0), percent.
    `zero`: the form's words for "nothing" (schema zero_words, normalised by norm_word)."""
    if isinstance(raw, bool):
        return Parsed(problem="not-a-number", text=str(raw))
    if isinstance(raw, (int, float)):
        return _check_number(float(raw), kind, cell_text(raw))
    if isinstance(raw, (dt.date, dt.datetime)):
        # Excel turned "9-16" or "3/4" into a date: certainly not what a count cell means
        return Parsed(problem="not-a-number", text=cell_text(raw))
    text = cell_text(raw)
    s = text.translate(_DASHES).replace(" ", "").replace(",", "")
    if not s or norm_word(s) in zero:
        return Parsed(value=0, problem="blank", text=text)
    yuan = False
    for unit in _UNIT_WORDS:
        if s.endswith(unit) and len(s) > len(unit):
            yuan = unit == "元"
            s = s[: -len(unit)]
            break
    if not _NUMBER.fullmatch(s):
        return Parsed(problem="not-a-number", text=text)
    value = float(s)
    if yuan and kind == "amount":
        checked = _check_number(value / 10000, kind, text)
        return Parsed(value=checked.value, problem=checked.problem or "yuan", text=text)
    return _check_number(value, kind, text)


def _check_number(value: float, kind: str, text: str) -> Parsed:
    if value != value or value in (float("inf"), float("-inf")):
        return Parsed(problem="not-a-number", text=text)
    if value < 0:
        return Parsed(value=value, problem="negative-number", text=text)
    if kind == "count":
        if not value.is_integer():
            return Parsed(value=value, problem="not-whole-number", text=text)
        return Parsed(value=int(value), text=text)
    return Parsed(value=round(value, 6), text=text)


def split_names(raw: object, none: frozenset[str] = NO_WORDS) -> list[str]:
    """'甲公司、乙公司\n丙店' → ['甲公司', '乙公司', '丙店']; blanks and the form's words for
    "none" (无, 暂无, — …) are no name."""
    text = plain_text(raw)
    names = [n.strip() for n in _SEPARATORS.split(text)]
    return [n for n in names if n and norm_word(n) not in none]


# --- people, phones, dates ---------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"(\(?0\d{2,3}\)?-?)?[2-9]\d{6,7}(-\d{1,5})?")


def valid_phone(text: str) -> bool:
    """A Chinese mobile (11 digits, 1[3-9]…) or landline (0595-22123456, 22123456)."""
    s = cell_text(text).translate(_DASHES).replace(" ", "").replace("(", "").replace(")", "")
    parts = [p for p in re.split(r"[/、，,;；]", s) if p]  # "0595-22123456/13905951234"
    return bool(parts) and all(_MOBILE.fullmatch(p) or _LANDLINE.fullmatch(p) for p in parts)


_DATE_PATTERNS = (
    re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日?"),
    re.compile(r"(?P<y>\d{4})\s*[-./]\s*(?P<m>\d{1,2})\s*[-./]\s*(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
)


def parse_date(raw: object) -> dt.date | None:
    """2021年9月16日, 2021.9.16, 2021-09-16, 2021/9/16, 20210916, or an Excel date cell."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = cell_text(raw)
    for pat in _DATE_PATTERNS:
        m = pat.search(text)
        if m:
            try:
                return dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                return None
    return None


# a deadline as units write it (整改时限): "长期" and the like mean none
NO_DEADLINE = ("长期", "持续", "长期坚持", "常态化", "持续推进", "长期整改")
_DONE = r"(?:前|之前|以前|内)?(?:完成|办结|到位|整改到位)?"  # 10月30日前完成
_MONTH_END = re.compile(r"^(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?:底|末|份)?\s*" + _DONE + "$")
_MONTH_DAY = re.compile(r"^(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?\s*" + _DONE + "$")


def parse_deadline(raw: object) -> tuple[str | None, str]:
    """A deadline cell → (value, problem). The value is ISO: "2021-10-31"; "--10-31" when the year
    is left out (the period's year is taken when it is compared, see deadline_in); None for no
    deadline (长期, 持续 …) or an empty cell. "10月底前", "2021年10月" are the month's last day;
    Excel dates, 2021年6月30日, 2021.6.30, 2021-06-30 as parse_date reads them."""
    if isinstance(raw, (dt.date, dt.datetime)):
        day = raw.date() if isinstance(raw, dt.datetime) else raw
        return day.isoformat(), ""
    text = re.sub(r"\s", "", cell_text(raw)).rstrip("。.")
    if not text or text in NO_DEADLINE:
        return None, ""
    whole = parse_date(text) if not re.search(r"\d\s*月\s*底", text) else None
    if whole is not None:
        return whole.isoformat(), ""
    m = _MONTH_END.match(text)
    if m and 1 <= int(m["m"]) <= 12:
        last = (dt.date(2001, int(m["m"]) % 12 + 1, 1) - dt.timedelta(days=1)).day if int(m["m"]) != 2 else 28
        if m["y"]:
            y = int(m["y"])
            nxt = dt.date(y + (int(m["m"]) == 12), int(m["m"]) % 12 + 1, 1)
            return (nxt - dt.timedelta(days=1)).isoformat(), ""
        return f"--{int(m['m']):02d}-{last:02d}", ""
    m = _MONTH_DAY.match(text)
    if m and 1 <= int(m["m"]) <= 12 and 1 <= int(m["d"]) <= 31:
        return f"--{int(m['m']):02d}-{int(m['d']):02d}", ""
    return None, "not-a-date"


def deadline_in(value: str | None, around: dt.date) -> dt.date | None:
    """A parsed deadline as a date: a year left out is the one that puts it nearest `around` (the
    period's deadline), so "1月底前" written in December means next January."""
    if not value:
        return None
    if not value.startswith("--"):
        return dt.date.fromisoformat(value)
    month, day = int(value[2:4]), int(value[5:7])
    options = []
    for year in (around.year - 1, around.year, around.year + 1):
        try:
            options.append(dt.date(year, month, day))
        except ValueError:  # 2月29日 in a common year
            options.append(dt.date(year, month, 28))
    return min(options, key=lambda d: abs((d - around).days))


_PRINTED_BLANK_DATE = re.compile(r"(\d{4})?年月日")


def cn_date(day: dt.date) -> str:
    """2021年9月30日: how a date is written in a message, a form's footer or a document."""
    return f"{day.year}年{day.month}月{day.day}日"


def looks_like_date_attempt(text: str) -> bool:
    """The footer's date part has digits in it (not just the printed blank '2023年  月  日' of any year)."""
    stripped = _PRINTED_BLANK_DATE.sub("", re.sub(r"\s", "", text))
    return bool(re.search(r"\d", stripped))
