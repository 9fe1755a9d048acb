"""The workspace's best shorts over a period: one bar each, the title above it, the number at its end."""

from __future__ import annotations

from matplotlib.patches import Patch

from core.analytics.charts import style
from core.analytics.model import TopData

MAX_BARS = 10
LABEL_CHARS = 34


def top_chart(data: TopData) -> bytes:
    """PNG of up to ten publications ranked by what they gained in the period."""
    entries = data.entries[:MAX_BARS]
    with style.card() as figure:
        platforms = sorted({entry.platform for entry in entries})
        subtitle = f"{data.metric.capitalize()} gained · " + " and ".join(
            style.platform_name(p) for p in platforms) if platforms else data.metric.capitalize()
        top = style.header(figure, data.title, subtitle)
        axes = figure.add_axes((style.LEFT, 0.09, 1 - 2 * style.LEFT, top - 0.11))
        axes.set_axis_off()
        if not entries:
            axes.text(0.5, 0.5, "Nothing published in this period yet.", ha="center", va="center",
                      fontsize=style.BODY_PT + 2, color=style.MUTED, transform=axes.transAxes)
        rows = max(len(entries), 5)
        peak = max((entry.value for entry in entries), default=0) or 1
        for rank, entry in enumerate(entries):
            y = rows - rank - 1
            width = entry.value / peak * 0.82
            axes.barh(y, 0.82, height=0.42, left=0, color=style.PANEL, zorder=1)
            axes.barh(y, max(width, 0.004), height=0.42, left=0, color=style.colour(entry.platform),
                      zorder=2)
            axes.text(0, y + 0.3, f"{rank + 1}. {style.shorten(entry.label, LABEL_CHARS)}",
                      fontsize=style.BODY_PT, va="bottom", ha="left", color=style.INK)
            axes.text(0.84, y, _number(entry.value), fontsize=style.BODY_PT + 2,
                      fontweight="bold", va="center", ha="left", color=style.colour(entry.platform))
        axes.set_xlim(0, 1)
        axes.set_ylim(-0.6, rows - 0.1)
        if len(platforms) > 1:
            figure.legend(handles=[Patch(color=style.colour(p), label=style.platform_name(p))
                                   for p in platforms],
                          loc="lower left", bbox_to_anchor=(style.LEFT, 0.055), ncols=len(platforms),
                          frameon=False, fontsize=12, handlelength=1.0, borderaxespad=0)
        style.footer(figure, data.last_reading)
        return style.png(figure)


def _number(value: int) -> str:
    return style.full(value) if value < 100_000 else style.compact(value)
