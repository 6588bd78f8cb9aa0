"""A bar chart of completion (on time, late, missing) per class or per day, as PNG bytes,
with a CJK font when the system has one.

Uses matplotlib's object API (Figure + the Agg canvas) rather than pyplot: no global state,
so the export can run in a worker thread next to the bot.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findSystemFonts, fontManager
from matplotlib.ticker import MaxNLocator

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


@dataclass(frozen=True)
class Completion:
    """One bar: a class, a day or a week, by how its tasks ended."""

    label: str
    on_time: int
    late: int
    missing: int

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.missing


# On time, late, missing: the colours an inspector reads without the legend.
COLOURS = ("#70ad47", "#ffc000", "#c00000")


def completion_chart(
    bars: Sequence[Completion], title: str, ylabel: str, legend: tuple[str, str, str]
) -> bytes:
    """Stacked bars of the shares on time, late and missing, the completion % on top."""
    family = cjk_family()
    font = FontProperties(family=[family, "DejaVu Sans"] if family else ["DejaVu Sans"])
    small = font.copy()
    small.set_size(7)
    figure = Figure(figsize=(max(6.0, 0.35 * len(bars) + 2), 3.8), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = range(len(bars))
    bottom = [0.0] * len(bars)
    for index, (name, colour) in enumerate(zip(legend, COLOURS, strict=True)):
        heights = [_percent((b.on_time, b.late, b.missing)[index], b.total) for b in bars]
        axes.bar(positions, heights, bottom=bottom, color=colour, label=name, width=0.75)
        bottom = [low + high for low, high in zip(bottom, heights, strict=True)]
    for x, bar in zip(positions, bars, strict=True):
        done = _percent(bar.on_time + bar.late, bar.total)
        axes.text(x, 101, f"{done:.0f}", ha="center", va="bottom", fontsize=6)
    axes.set_xticks(list(positions))
    axes.set_xticklabels(
        [b.label for b in bars], rotation=60, ha="right", fontproperties=font, fontsize=7
    )
    axes.set_ylim(0, 122)  # room above the bars for the numbers and the legend
    axes.set_yticks(range(0, 101, 20))
    axes.set_ylabel(ylabel, fontproperties=font)
    axes.set_title(title, fontproperties=font)
    axes.legend(loc="upper center", ncol=3, prop=small, frameon=False)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _percent(part: int, total: int) -> float:
    return 100 * part / total if total else 0.0


@dataclass(frozen=True)
class Counts:
    """One group of bars: a category's hazards raised, fixed and overdue in a month."""

    label: str
    raised: int
    fixed: int
    overdue: int


# Raised, fixed, overdue: found (blue), done (green), late (red).
COUNT_COLOURS = ("#4472c4", "#70ad47", "#c00000")


def counts_chart(groups: Sequence[Counts], title: str, legend: tuple[str, str, str]) -> bytes:
    """Grouped bars of raised vs fixed, and overdue, each with its number on top."""
    family = cjk_family()
    font = FontProperties(family=[family, "DejaVu Sans"] if family else ["DejaVu Sans"])
    small = font.copy()
    small.set_size(7)
    figure = Figure(figsize=(max(6.0, 0.9 * len(groups) + 2), 3.6), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.27
    top = max([max(g.raised, g.fixed, g.overdue) for g in groups] + [1])
    for index, (name, colour) in enumerate(zip(legend, COUNT_COLOURS, strict=True)):
        heights = [(g.raised, g.fixed, g.overdue)[index] for g in groups]
        positions = [x + (index - 1) * width for x in range(len(groups))]
        axes.bar(positions, heights, color=colour, label=name, width=width)
        for x, height in zip(positions, heights, strict=True):
            axes.text(x, height + top * 0.02, str(height), ha="center", va="bottom", fontsize=6)
    axes.set_xticks(list(range(len(groups))))
    axes.set_xticklabels([g.label for g in groups], fontproperties=font, fontsize=8)
    axes.set_ylim(0, top * 1.35 + 0.5)  # room for the numbers and the legend
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # hazards come whole
    axes.set_title(title, fontproperties=font)
    axes.legend(loc="upper center", ncol=3, prop=small, frameon=False)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
