"""Charts for the briefings (matplotlib, imported only here). Chinese labels use the system's
Chinese font where there is one (Microsoft YaHei / SimHei on Windows, PingFang on macOS, Noto CJK
on Linux), else the font shipped in the package: a subset of Noto Sans CJK SC (SIL OFL, see
fonts/OFL.txt and scripts/make_font.py) covering the 通用规范汉字表 — never empty boxes."""

from __future__ import annotations

import io
import os
from functools import lru_cache
from pathlib import Path

SYSTEM_FONTS = ["Microsoft YaHei", "SimHei", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC",
                "WenQuanYi Micro Hei"]
BUNDLED = Path(__file__).with_name("fonts") / "SafetyReportCJKsc-Regular.otf"
BUNDLED_FAMILY = "SafetyReport CJK SC"


@lru_cache(maxsize=2)
def _pyplot(use_system: bool = True):
    import logging

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    family = chart_font(font_manager) if use_system else None
    if family is None:
        font_manager.fontManager.addfont(str(BUNDLED))
        family = BUNDLED_FAMILY
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["font.size"] = LABEL_PT  # printed at the text width: 小五, as a table note
    return plt


def chart_font(font_manager) -> str | None:
    """The first Chinese font the system has (SAFETYREPORT_CHART_FONT=bundled forces ours)."""
    if os.environ.get("SAFETYREPORT_CHART_FONT") == "bundled":
        return None
    from matplotlib.font_manager import FontProperties

    for name in SYSTEM_FONTS:
        try:
            font_manager.findfont(FontProperties(family=name), fallback_to_default=False)
            return name
        except ValueError:
            continue
    return None


TEXT_WIDTH_IN = 15.6 / 2.54  # the 简报's text width: a chart is drawn at the size it prints
LABEL_PT = 9  # 小五


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(fig)
    return buf.getvalue()


def trend(points: list[dict]) -> bytes:
    """Cumulative hazards found and fixed, week by week."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(TEXT_WIDTH_IN, 2.4))
    x = [p["label"] for p in points]
    ax.plot(x, [p["found"] for p in points], marker="o", label="累计发现隐患（排查+监督检查）")
    ax.plot(x, [p["fixed"] for p in points], marker="s", label="累计已完成整改")
    ax.bar(x, [p["weekly_found"] for p in points], alpha=0.25, label="当周发现")
    ax.set_title("每周隐患排查整改趋势", fontsize=10.5)
    ax.set_ylabel("项")
    ax.legend(loc="upper left", fontsize=LABEL_PT)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def unit_rates(units: list[dict]) -> bytes:
    """整改率 by submitter (those that have filed)."""
    plt = _pyplot()
    shown = [u for u in units if u["rate_value"] is not None]
    fig, ax = plt.subplots(figsize=(TEXT_WIDTH_IN, max(2.4, 0.22 * len(shown) + 0.8)))
    ax.barh([u["name"] for u in shown][::-1], [u["rate_value"] for u in shown][::-1], color="#c0504d")
    ax.set_xlim(0, 100)
    ax.set_xlabel("整改率（%）")
    ax.set_title("各单位隐患整改率", fontsize=10.5)
    ax.tick_params(axis="y", labelsize=LABEL_PT)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def for_briefing(b, wanted: set[str] | None = None) -> dict[str, bytes]:
    """The charts a briefing's template asks for (all when not said)."""
    charts = {}
    if len(b.trend) > 1 and (wanted is None or "trend" in wanted):  # one week is no trend
        charts["trend"] = trend(b.trend)
    if b.units and (wanted is None or "unit_rates" in wanted):
        charts["unit_rates"] = unit_rates(b.units)
    return charts
