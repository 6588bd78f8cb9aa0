"""A bar chart of completion per class, as PNG bytes, with a CJK font when the system has one.

Uses matplotlib's object API (Figure + the Agg canvas) rather than pyplot: no global state,
so the export can run in a worker thread next to the bot.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findSystemFonts, fontManager

# Family names as fontconfig reports them; Debian's fonts-noto-cjk (the Makefile's `fonts`)
# gives the first ones, WenQuanYi and Droid Sans Fallback are older distributions' choices.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "Source Han Sans SC",
)
CJK_FILE_HINTS = ("notosanscjk", "notoserifcjk", "wqy", "droidsansfallback", "sourcehansans")


@cache
def cjk_family() -> str | None:
    """The first CJK family matplotlib can use, or None (Chinese then shows as boxes)."""
    known = {font.name for font in fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    # matplotlib's font cache may predate the font's installation: add the files directly.
    for path in findSystemFonts():
        if any(hint in Path(path).name.lower() for hint in CJK_FILE_HINTS):
            try:
                fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    known = {font.name for font in fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in known), None)


def completion_chart(
    labels: Sequence[str], rates: Sequence[float], title: str, ylabel: str
) -> bytes:
    """``rates`` are shares between 0 and 1, one per label."""
    family = cjk_family()
    font = FontProperties(family=[family, "DejaVu Sans"] if family else ["DejaVu Sans"])
    figure = Figure(figsize=(max(6.0, 0.35 * len(labels) + 2), 3.6), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    percents = [round(rate * 100, 1) for rate in rates]
    colours = ["#4472c4" if p >= 100 else "#ed7d31" for p in percents]
    bars = axes.bar(range(len(labels)), percents, color=colours)
    axes.bar_label(bars, fmt="%.0f", fontsize=6)  # a class at 0 % still shows its number
    axes.set_xticks(range(len(labels)))
    axes.set_xticklabels(labels, rotation=60, ha="right", fontproperties=font, fontsize=7)
    axes.set_ylim(0, 105)
    axes.set_ylabel(ylabel, fontproperties=font)
    axes.set_title(title, fontproperties=font)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
