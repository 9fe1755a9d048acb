"""Views over time: one line per platform, a dot at every reading, the latest value at the end."""

from __future__ import annotations

from datetime import datetime, timedelta

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from core.analytics.charts import style
from core.analytics.model import Series, ViewsData

MARKERS_UP_TO = 40
# Dates as people write them ("23 Nov", "14:00", "2031"), not ISO fragments.
DATE_FORMATS = ["%Y", "%b", "%d %b", "%H:%M", "%H:%M", "%S"]
ZERO_FORMATS = ["", "%Y", "%b", "%d %b", "%H:%M", "%H:%M"]


def views_chart(data: ViewsData) -> bytes:
    """PNG of a short's (or the workspace's) views, measured at each stored reading."""
    with style.card() as figure:
        top = style.header(figure, data.title, data.period_label)
        top = _headline(figure, data, top)
        axes = figure.add_axes((0.13, 0.13, 0.80, top - 0.20))
        drawn = [series for series in data.series if series.readings]
        if drawn:
            _plot(axes, drawn)
        else:
            axes.set_axis_off()
            axes.text(0.5, 0.5, "No readings yet.\nThe first collection will start the chart.",
                      ha="center", va="center", fontsize=style.BODY_PT + 2, color=style.MUTED,
                      transform=axes.transAxes)
        if drawn and sum(len(s.readings) for s in drawn) == len(drawn):
            axes.text(0.5, 0.3, "One reading so far.\nGrowth shows after the next one.",
                      ha="center", va="center", fontsize=style.BODY_PT, color=style.MUTED,
                      transform=axes.transAxes)
        style.footer(figure, data.last_reading)
        return style.png(figure)


def _headline(figure: Figure, data: ViewsData, top: float) -> float:
    latest = [s.latest.value for s in data.series if s.latest is not None]
    total = sum(latest) if latest else None
    big = style.full(total) if total is not None else "—"
    figure.text(style.LEFT, top, big, fontsize=style.BIG_PT, fontweight="bold", va="top")
    figure.text(style.LEFT, top - style.line_height(style.BIG_PT), "views in total",
                fontsize=style.BODY_PT, color=style.MUTED, va="top")
    if data.gain is not None:
        tint = style.UP if data.gain > 0 else style.MUTED
        figure.text(1 - style.LEFT, top - 0.012, style.signed(data.gain),
                    fontsize=style.BIG_PT - 12, fontweight="bold", color=tint, va="top", ha="right")
        figure.text(1 - style.LEFT, top - style.line_height(style.BIG_PT), style.clean(data.gain_label),
                    fontsize=style.BODY_PT, color=style.MUTED, va="top", ha="right")
    return top - style.line_height(style.BIG_PT) - style.line_height(style.BODY_PT) - 0.02


def _plot(axes: Axes, drawn: list[Series]) -> None:
    style.style_axes(axes)
    times = [r.at for s in drawn for r in s.readings]
    peak = max(r.value for s in drawn for r in s.readings)
    for series in drawn:
        xs = [r.at for r in series.readings]
        ys = [r.value for r in series.readings]
        tint = style.colour(series.platform)
        few = len(xs) <= MARKERS_UP_TO
        axes.plot(xs, ys, color=tint, linewidth=3.2, solid_capstyle="round",
                  marker="o" if few else None, markersize=7, markerfacecolor="white",
                  markeredgewidth=2.4, label=f"{style.platform_name(series.platform)}  "
                  f"{style.full(ys[-1])}", zorder=3)
        axes.plot([xs[-1]], [ys[-1]], "o", color=tint, markersize=10, zorder=4)
        axes.annotate(style.compact(ys[-1]), (xs[-1], ys[-1]), xytext=(10, 0),
                      textcoords="offset points", va="center", ha="left", color=tint,
                      fontsize=style.BODY_PT, fontweight="bold", zorder=5)
    first, last = min(times), max(times)
    axes.set_xlim(*_time_range(first, last))
    axes.set_ylim(0, max(10, peak * 1.15))
    locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
    locator.intervald[mdates.HOURLY] = [1, 2, 3, 4, 6, 8, 12, 24]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(
        locator, formats=DATE_FORMATS, zero_formats=ZERO_FORMATS, show_offset=False))
    axes.yaxis.set_major_locator(MaxNLocator(5, integer=True, min_n_ticks=3))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: style.compact(value)))
    axes.legend(loc="lower left", bbox_to_anchor=(-0.02, 1.02), ncols=2, frameon=False,
                fontsize=style.BODY_PT - 1, handlelength=1.4, borderaxespad=0, columnspacing=1.4)


def _time_range(first: datetime, last: datetime) -> tuple[datetime, datetime]:
    """Room for the value labels on the right; readings minutes apart still get a readable slope."""
    span = last - first
    if not span:
        return first - timedelta(days=1), last + timedelta(days=1)
    if span < timedelta(hours=1):
        pad = max(span * 0.5, timedelta(minutes=2))
        return first - pad, last + pad
    return first - span * 0.04, last + span * 0.16
