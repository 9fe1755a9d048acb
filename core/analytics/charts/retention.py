"""The audience retention curve, YouTube's comparison with similar videos as a band under it,
and the moment where most viewers leave marked on the curve."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from core.analytics.charts import style
from core.analytics.model import Drop, RetentionData, RetentionPoint

BAND = LinearSegmentedColormap.from_list("relative", [style.DOWN, "#E9EBF0", style.UP])


def biggest_drop(points: tuple[RetentionPoint, ...]) -> Drop | None:
    """The largest fall in the share of viewers between two neighbouring points, if any."""
    best: Drop | None = None
    for before, after in zip(points, points[1:], strict=False):
        lost = (before.watch - after.watch) * 100
        if lost > 0 and (best is None or lost > best.points_lost):
            best = Drop(after.ratio, lost)
    return best


def average_viewed(points: tuple[RetentionPoint, ...]) -> float:
    """The area under the curve: about the average share of the video a viewer watched, in %."""
    ratios = np.array([p.ratio for p in points])
    watch = np.array([p.watch for p in points])
    if len(points) < 2 or ratios[-1] <= ratios[0]:
        return float(watch.mean() * 100) if len(points) else 0.0
    return float(np.trapezoid(watch, ratios) / (ratios[-1] - ratios[0]) * 100)


def clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


def position(ratio: float, duration_s: float | None) -> str:
    return f"{clock(ratio * duration_s)} ({ratio * 100:.0f}% in)" if duration_s else f"{ratio * 100:.0f}% in"


def retention_chart(data: RetentionData) -> bytes:
    """PNG of how long viewers stay; the caller checks there are points (no fallback curve)."""
    with style.card() as figure:
        top = style.header(figure, data.title, "Audience retention · YouTube")
        drop = biggest_drop(data.points)
        top = _headline(figure, data, drop, top)
        axes = figure.add_axes((0.13, 0.29, 0.80, top - 0.31))
        _curve(axes, data, drop)
        band = figure.add_axes((0.13, 0.155, 0.80, 0.04), sharex=axes)
        _band(figure, band, data)
        style.footer(figure, data.last_reading)
        return style.png(figure)


def _headline(figure: Figure, data: RetentionData, drop: Drop | None, top: float) -> float:
    figure.text(style.LEFT, top, f"{average_viewed(data.points):.0f}%", fontsize=style.BIG_PT,
                fontweight="bold", va="top")
    figure.text(style.LEFT, top - style.line_height(style.BIG_PT), "watched on average",
                fontsize=style.BODY_PT, color=style.MUTED, va="top")
    if drop is not None:
        figure.text(1 - style.LEFT, top - 0.012, clock(drop.ratio * data.duration_s)
                    if data.duration_s else f"{drop.ratio * 100:.0f}%", fontsize=style.BIG_PT - 12,
                    fontweight="bold", color=style.DOWN, va="top", ha="right")
        figure.text(1 - style.LEFT, top - style.line_height(style.BIG_PT), "most viewers leave",
                    fontsize=style.BODY_PT, color=style.MUTED, va="top", ha="right")
    return top - style.line_height(style.BIG_PT) - style.line_height(style.BODY_PT) - 0.03


def _x(data: RetentionData, ratio: float) -> float:
    return ratio * data.duration_s if data.duration_s else ratio * 100


def _curve(axes: Axes, data: RetentionData, drop: Drop | None) -> None:
    style.style_axes(axes)
    tint = style.colour("youtube")
    xs = [_x(data, p.ratio) for p in data.points]
    ys = [p.watch * 100 for p in data.points]
    axes.fill_between(xs, ys, color=tint, alpha=0.10, linewidth=0)
    axes.plot(xs, ys, color=tint, linewidth=3.2, solid_joinstyle="round", zorder=3)
    axes.axhline(100, color=style.MUTED, linewidth=1.2, linestyle=(0, (4, 4)), zorder=2)
    axes.set_ylim(0, max(110, max(ys) * 1.08))
    axes.set_xlim(xs[0], xs[-1])
    axes.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0f}%"))
    axes.tick_params(axis="x", labelbottom=False)
    axes.set_title("Share of viewers still watching", loc="left", fontsize=12, color=style.MUTED,
                   pad=10)
    if drop is not None:
        x = _x(data, drop.ratio)
        y = next(p.watch for p in data.points if p.ratio == drop.ratio) * 100
        axes.axvline(x, color=style.DOWN, linewidth=1.6, linestyle=(0, (3, 3)), zorder=2)
        axes.plot([x], [y], "o", color=style.DOWN, markersize=11, markeredgecolor="white",
                  markeredgewidth=2, zorder=5)
        right_half = drop.ratio > 0.55
        axes.annotate(f"−{drop.points_lost:.0f} pts at {position(drop.ratio, data.duration_s)}",
                      (x, 0.96), xycoords=("data", "axes fraction"),
                      xytext=(-10 if right_half else 10, 0), textcoords="offset points",
                      ha="right" if right_half else "left", va="top", fontsize=style.BODY_PT - 1,
                      fontweight="bold", color=style.DOWN, zorder=6,
                      bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "none"})


def _band(figure: Figure, band: Axes, data: RetentionData) -> None:
    for side in band.spines.values():
        side.set_visible(False)
    band.set_yticks([])
    band.tick_params(axis="x", labelsize=12)
    if data.duration_s:
        band.xaxis.set_major_formatter(FuncFormatter(lambda value, _: clock(value)))
    else:
        band.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0f}%"))
    band.xaxis.set_major_locator(MaxNLocator(6))
    relative = [p.relative for p in data.points]
    known = [value for value in relative if value is not None]
    if known:
        values = np.array([[np.nan if v is None else v for v in relative]])
        xs = [_x(data, p.ratio) for p in data.points]
        band.imshow(values, cmap=BAND, vmin=0, vmax=1, aspect="auto", interpolation="nearest",
                    extent=(xs[0], xs[-1], 0, 1))
        figure.legend(
            handles=[Patch(color=style.DOWN, label="below"), Patch(color="#D5D8E0", label="typical"),
                     Patch(color=style.UP, label="above")],
            loc="lower right", bbox_to_anchor=(0.94, 0.2), ncols=3, frameon=False,
            fontsize=12, handlelength=1.0, handletextpad=0.4, columnspacing=1.0, borderaxespad=0,
        )
        label = "vs similar videos"
    else:
        label = "No comparison with similar videos yet"
    figure.text(0.13, 0.205, label, fontsize=12, color=style.MUTED, va="bottom")
