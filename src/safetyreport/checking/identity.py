"""Is it the same one? Major hazards, places and businesses as different clerks write them.

A 附件4 hazard is retyped every week and by every submitter that sees it: 开元寺 becomes
开元寺景区, "电气线路私拉乱接" becomes "电气线路私拉乱接问题". Across weeks the same hazard must be
recognised (or it "disappears"), across submitters it is a suspected duplicate for the clerk.
The thresholds were chosen on the table of realistic pairs in tests/test_verdicts.py, which holds
pairs that must match and pairs that must not.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

# a description this similar (difflib ratio, after normalising) at the same place is the same hazard
HAZARD_SIMILARITY = 0.6
# the shorter of two place names must be this long to match by containment ("西街" in "西街历史文化街区")
MIN_CONTAINED = 2
MAX_CONTAINED = 30  # longer names only match exactly (containment search is per substring)

_PREFIX = re.compile("^")  # the campaign's places a clerk may write first (福建省泉州市…): see use_places
_PLACE_SUFFIX = re.compile(r"(风景名胜区|旅游景区|风景区|非景区景点|景区|景点|旅游区)$")
_PUNCT = re.compile(r"[\s，,。.、；;：:()（）\[\]【】〔〕“”\"'‘’！!？?·\-—_/]")
_HAZARD_NOISE = re.compile(r"(问题|现象|情况|存在|隐患|较多|等)")
_COMPANY_NOISE = re.compile(r"(有限责任公司|股份有限公司|有限公司|分公司|公司|[()（）\s·.,，、-])")


def use_places(places: list[str]) -> None:
    """The places above the units (province, city, district; [campaign] places and district) that
    clerks write before a place or firm name, each optional, in order: stripped before comparing.
    Set by whoever compares for a campaign (merge, the reports) from its configuration."""
    global _PREFIX
    names = [p.strip() for p in places if p.strip()]
    # 福建省 or 福建: a name of three or more characters may be written without its 省/市/区
    spellings = [[n, n[:-1]] if len(n) > 2 else [n] for n in names]
    _PREFIX = re.compile("^" + "".join(f"(?:{'|'.join(map(re.escape, s))})?" for s in spellings))


def norm_place(text: object) -> str:
    """'福建省泉州市开元寺（景区）' and '开元寺景区' → '开元寺': no spaces, brackets or punctuation,
    no leading 福建省/泉州市/鲤城区, no trailing 景区/景点/风景区."""
    s = _PUNCT.sub("", unicodedata.normalize("NFKC", str(text or "")))
    s = _PREFIX.sub("", s)
    stripped = _PLACE_SUFFIX.sub("", s)
    return stripped or s


def norm_hazard(text: object) -> str:
    s = _PUNCT.sub("", unicodedata.normalize("NFKC", str(text or "")))
    return _HAZARD_NOISE.sub("", s) or s


def norm_name(text: object) -> str:
    """How two clerks' spellings of one business are compared: without spaces, brackets, the
    company form (有限公司 …) or a leading 福建省/泉州市/鲤城区."""
    s = unicodedata.normalize("NFKC", str(text or "")).strip()
    return _PREFIX.sub("", _COMPANY_NOISE.sub("", s))


def same_place(a: str, b: str) -> bool:
    """Two normalised places: equal, or one contains the other (开元寺 / 开元寺西侧广场)."""
    if a == b:
        return bool(a)
    short, long = sorted((a, b), key=len)
    return MIN_CONTAINED <= len(short) <= MAX_CONTAINED and short in long


def hazard_similarity(a: str, b: str) -> float:
    """1.0 for the same normalised description (or one containing the other), else difflib's ratio."""
    if a == b or (min(len(a), len(b)) >= 4 and (a in b or b in a)):
        return 1.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def same_hazard(place_a: str, hazard_a: str, place_b: str, hazard_b: str) -> bool:
    """Raw texts of two 附件4 entries: the same place and a similar description (the rule pair_up
    applies; the thresholds are chosen on the pairs in tests/test_verdicts.py)."""
    return _similar(norm_place(place_a), norm_hazard(hazard_a), norm_place(place_b), norm_hazard(hazard_b)) is not None


def _similar(place_a: str, hazard_a: str, place_b: str, hazard_b: str) -> float | None:
    """Normalised texts: how alike the two descriptions are, when they are of one hazard; else None."""
    if not same_place(place_a, place_b):
        return None
    score = hazard_similarity(hazard_a, hazard_b)
    return score if score >= HAZARD_SIMILARITY else None


def pair_up(before: Sequence[T], after: Sequence[T], key: Callable[[T], tuple[str, str]],
            prefer: Callable[[T, T], bool] | None = None) -> list[tuple[T, T | None]]:
    """Match each earlier entry to at most one later entry of the same hazard (one to one, best
    first), so a hazard that recurs at a place is two entries and a renamed one is still one.
    `key` gives (place, hazard) raw texts; `prefer(a, b)` breaks ties (e.g. the same status).
    Returns (earlier, later or None) for every earlier entry, in the earlier order."""
    keyed_b = [(norm_place(key(x)[0]), norm_hazard(key(x)[1])) for x in before]
    keyed_a = [(norm_place(key(y)[0]), norm_hazard(key(y)[1])) for y in after]
    candidates = []
    for i, (pb, hb) in enumerate(keyed_b):
        for j, (pa, ha) in enumerate(keyed_a):
            score = _similar(pb, hb, pa, ha)
            if score is not None:
                exact = (pb == pa) + (hb == ha)
                tie = 1 if prefer and prefer(before[i], after[j]) else 0
                candidates.append((-score, -exact, -tie, i, j))
    candidates.sort()
    used_b: dict[int, int] = {}
    used_a: set[int] = set()
    for _, _, _, i, j in candidates:
        if i not in used_b and j not in used_a:
            used_b[i] = j
            used_a.add(j)
    return [(x, after[used_b[i]] if i in used_b else None) for i, x in enumerate(before)]


def place_groups(places: Sequence[str]) -> dict[str, str]:
    """Normalised place → the shortest normalised place it matches (its group), so entries that
    name one place in different words are compared with each other and nothing else. Containment
    is found by looking up every substring of a name, not by comparing all pairs."""
    distinct = sorted(set(p for p in places if p), key=lambda p: (len(p), p))
    known = set(distinct)
    group: dict[str, str] = {}
    for p in distinct:
        best = p
        if len(p) <= 2 * MAX_CONTAINED:
            for size in range(MIN_CONTAINED, min(len(p), MAX_CONTAINED + 1)):
                hit = next((p[i:i + size] for i in range(len(p) - size + 1) if p[i:i + size] in known), None)
                if hit:
                    best = group.get(hit, hit)
                    break
        group[p] = best
    return group
