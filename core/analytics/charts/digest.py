"""The weekly digest card: totals against the week before, views per platform, best and slowest short."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from core.analytics.charts import style
from core.analytics.model import DigestData, TopEntry, Total


def digest_chart(data: DigestData) -> bytes:
    """PNG of the week in numbers; unmeasured values say so instead of showing zero."""
    with style.card() as figure:
        top = style.header(figure, "Weekly digest", f"{data.workspace} · {data.week_label}")
        top = _tiles(figure, data.totals[:4], top)
        if data.by_platform:
            axes = figure.add_axes((0.13, top - 0.245, 0.80, 0.2))
            _platform_bars(axes, data.by_platform)
            top -= 0.3
        top = _standout(figure, "Best", data.best, style.UP, top)
        top = _standout(figure, "Slowest", data.worst, style.MUTED, top)
        style.footer(figure, data.last_reading, style.shorten(data.notes[0], 70) if data.notes else "")
        return style.png(figure)


def _tiles(figure: Figure, totals: tuple[Total, ...], top: float) -> float:
    """Two-by-two tiles: the week's number big, the change against the week before under it."""
    gap, height = 0.022, 0.14
    width = (1 - 2 * style.LEFT - gap) / 2
    for index, total in enumerate(totals):
        column, row = index % 2, index // 2
        x = style.LEFT + column * (width + gap)
        y = top - (row + 1) * height - row * gap
        figure.patches.append(FancyBboxPatch(
            (x, y), width, height, boxstyle="round,pad=0,rounding_size=0.015",
            transform=figure.transFigure, facecolor=style.PANEL, edgecolor="none", zorder=0))
        figure.text(x + 0.03, y + height - 0.016, total.name, fontsize=13, color=style.MUTED,
                    va="top")
        value = style.full(total.this_week) if total.this_week is not None else "—"
        figure.text(x + 0.03, y + height * 0.5, value, fontsize=26, fontweight="bold", va="center")
        change, tint = style.change_text(total.this_week, total.last_week)
        figure.text(x + 0.03, y + 0.012, change.replace(" vs the week before", ""), fontsize=12,
                    color=tint, va="bottom", fontweight="bold" if tint != style.MUTED else "normal")
    rows = (len(totals) + 1) // 2
    return top - rows * height - (rows - 1) * gap - 0.04


def _platform_bars(axes: Axes, by_platform: tuple[tuple[str, int | None, int | None], ...]) -> None:
    style.style_axes(axes)
    names = [style.platform_name(platform) for platform, _, _ in by_platform]
    positions = range(len(by_platform))
    previous = [last or 0 for _, _, last in by_platform]
    current = [this or 0 for _, this, _ in by_platform]
    axes.bar([p - 0.2 for p in positions], previous, width=0.38, color="#CBCFDA", label="week before")
    axes.bar([p + 0.2 for p in positions], current, width=0.38,
             color=[style.colour(platform) for platform, _, _ in by_platform], label="this week")
    for p, value in zip(positions, current, strict=True):
        axes.annotate(style.compact(value), (p + 0.2, value), xytext=(0, 4), textcoords="offset points",
                      ha="center", va="bottom", fontsize=13, fontweight="bold")
    axes.set_xticks(list(positions), names, fontsize=13, color=style.INK)
    axes.set_ylim(0, max(10, max(previous + current) * 1.25))
    axes.yaxis.set_major_locator(MaxNLocator(4, integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: style.compact(value)))
    axes.set_title("Views gained: this week (colour) vs the week before (grey)", loc="left",
                   fontsize=12, color=style.MUTED, pad=10)


def _standout(figure: Figure, label: str, entry: TopEntry | None, tint: str, top: float) -> float:
    if entry is None:
        return top
    figure.text(style.LEFT, top, f"{label} · {style.platform_name(entry.platform)}", fontsize=12,
                color=tint, fontweight="bold", va="top")
    figure.text(1 - style.LEFT, top, f"{style.signed(entry.value)} views", fontsize=12,
                fontweight="bold", color=style.INK, va="top", ha="right")
    top -= style.line_height(12)
    figure.text(style.LEFT, top, style.shorten(entry.label, 40), fontsize=style.BODY_PT, va="top")
    return top - style.line_height(style.BODY_PT) - 0.012
