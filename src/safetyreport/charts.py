"""Charts for the briefings (matplotlib, imported only here). Chinese labels use Noto Sans CJK
SC, shipped by the manimgx-fonts-cjk package (SIL OFL), so a machine with no CJK font still draws
characters, never empty boxes."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

FONT_FAMILY = "Noto Sans CJK SC"


@lru_cache(maxsize=1)
def _pyplot():
    import logging

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    import manimgx_fonts_cjk

    for font in Path(manimgx_fonts_cjk.__file__).parent.glob("*.tt[cf]"):
        font_manager.fontManager.addfont(str(font))
    # the variable font reports weight 100 for every instance: harmless, and not the clerk's concern
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [FONT_FAMILY, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(fig)
    return buf.getvalue()


def trend(points: list[dict]) -> bytes:
    """Cumulative hazards found and fixed, week by week."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    x = [p["label"] for p in points]
    ax.plot(x, [p["found"] for p in points], marker="o", label="累计发现隐患（排查+监督检查）")
    ax.plot(x, [p["fixed"] for p in points], marker="s", label="累计已完成整改")
    ax.bar(x, [p["weekly_found"] for p in points], alpha=0.25, label="当周发现")
    ax.set_title("每周隐患排查整改趋势")
    ax.set_ylabel("项")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def unit_rates(units: list[dict]) -> bytes:
    """整改率 by submitter (those that have filed)."""
    plt = _pyplot()
    shown = [u for u in units if u["rate_value"] is not None]
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.28 * len(shown) + 0.8)))
    ax.barh([u["name"] for u in shown][::-1], [u["rate_value"] for u in shown][::-1], color="#c0504d")
    ax.set_xlim(0, 100)
    ax.set_xlabel("整改率（%）")
    ax.set_title("各单位隐患整改率")
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def for_briefing(b) -> dict[str, bytes]:
    charts = {}
    if len(b.trend) >= 1:
        charts["trend"] = trend(b.trend)
    if b.units:
        charts["unit_rates"] = unit_rates(b.units)
    return charts
