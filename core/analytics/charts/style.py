"""The look every chart shares: a portrait card sized for a phone, large type, one colour per platform.

Charts are built on a bare `Figure` with the Agg canvas (no pyplot, no global state), inside an
`rc_context`, so rendering in worker threads never leaks settings between charts.
"""

from __future__ import annotations

import io
import logging
import re
import textwrap
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_PX, HEIGHT_PX, DPI = 1080, 1350, 180
SIZE_PX = (WIDTH_PX, HEIGHT_PX)

INK = "#1B1D2A"
MUTED = "#6B7085"
GRID = "#E4E6ED"
BACKGROUND = "#FFFFFF"
PANEL = "#F4F5F9"
UP = "#178A50"
DOWN = "#C93B3B"

PLATFORM_COLOURS = {"youtube": "#E5202E", "tiktok": "#0A9396", "total": "#3B3F5C"}
PLATFORM_NAMES = {"youtube": "YouTube", "tiktok": "TikTok", "total": "All platforms"}

# Text fonts first; Symbola draws emoji (in one colour) where it is installed.
FONT_FAMILIES = ("Inter", "DejaVu Sans", "Symbola")
# Joiners, variation selectors and skin-tone modifiers only make sense to colour-emoji fonts.
_INVISIBLE = {0x200D, 0xFE0E, 0xFE0F, 0x20E3, *range(0x1F3FB, 0x1F400)}

LEFT = 0.065
TITLE_PT, SUBTITLE_PT, BIG_PT, BODY_PT, SMALL_PT = 21, 13, 38, 14, 11
TITLE_WIDTH_CHARS = 32


def colour(platform: str) -> str:
    return PLATFORM_COLOURS.get(platform, PLATFORM_COLOURS["total"])


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform.capitalize())


class _NoWeightFallbackNotes(logging.Filter):
    """Symbola has no bold face; matplotlib says so on every bold text, which is only noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Failed to find font weight" not in record.getMessage()


@lru_cache(maxsize=1)
def _fonts() -> tuple[tuple[str, ...], frozenset[int]]:
    """The font families present on this machine and every character they can draw."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    logging.getLogger("matplotlib.font_manager").addFilter(_NoWeightFallbackNotes())
    families: list[str] = []
    covered: set[int] = set()
    for family in FONT_FAMILIES:
        try:
            path = font_manager.findfont(
                font_manager.FontProperties(family=family), fallback_to_default=False
            )
        except ValueError:
            continue
        families.append(family)
        covered.update(FT2Font(path).get_charmap())
    if not families:
        families.append("DejaVu Sans")
        covered.update(FT2Font(font_manager.findfont("DejaVu Sans")).get_charmap())
    return tuple(families), frozenset(covered)


def available_fonts() -> tuple[str, ...]:
    """The chart font families found on this machine, in the order they are tried."""
    return _fonts()[0]


def clean(text: str) -> str:
    """Drop characters no installed font can draw (so no tofu boxes and no warnings)."""
    _, covered = _fonts()
    kept = []
    for char in unicodedata.normalize("NFC", text):
        code = ord(char)
        if char in "\n " or (code not in _INVISIBLE and code in covered and char.isprintable()):
            kept.append(char)
        elif char.isspace():
            kept.append(" ")
    return re.sub(r" {2,}", " ", "".join(kept)).strip()


def wrap(text: str, width: int, lines: int) -> str:
    """Wrap to at most `lines` lines of `width` characters, ending with … when cut."""
    text = clean(text) or "(untitled)"
    wrapped = textwrap.wrap(text, width, break_long_words=True) or [text]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "…"
    return "\n".join(wrapped)


def shorten(text: str, width: int) -> str:
    text = clean(text) or "(untitled)"
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def compact(value: float) -> str:
    """12_345 → 12.3K: axis ticks and bar labels a thumb can read."""
    number = float(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(number) >= limit:
            scaled = number / limit
            text = f"{scaled:.1f}" if abs(scaled) < 100 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    return f"{number:.0f}"


def full(value: int) -> str:
    return f"{value:,}"


def signed(value: int) -> str:
    return f"+{value:,}" if value >= 0 else f"−{abs(value):,}"


def when(moment: datetime) -> str:
    return moment.strftime("%d %b %Y, %H:%M ") + (moment.tzname() or "UTC")


@contextmanager
def card() -> Iterator[Figure]:
    """A blank portrait card with the shared theme active while it is drawn."""
    families, _ = _fonts()
    theme = {
        "font.family": list(families),
        "font.size": BODY_PT,
        "text.color": INK,
        "text.parse_math": False,
        "axes.edgecolor": GRID,
        "axes.labelcolor": MUTED,
        "axes.linewidth": 1.2,
        "xtick.color": MUTED,
        "ytick.color": MUTED,
        "xtick.labelsize": 12,
        "ytick.labelsize": 12,
        "xtick.major.size": 0,
        "ytick.major.size": 0,
        "xtick.major.pad": 8,
        "ytick.major.pad": 8,
        "figure.facecolor": BACKGROUND,
        "axes.facecolor": BACKGROUND,
        "savefig.facecolor": BACKGROUND,
    }
    with rc_context(theme):
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
        FigureCanvasAgg(figure)
        yield figure


def png(figure: Figure) -> bytes:
    """The card as PNG bytes, exactly SIZE_PX (no tight bounding box, so sizes are predictable)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": "ettametta"})
    return buffer.getvalue()


def line_height(points: float) -> float:
    """One line of text of `points` size, as a fraction of the card's height."""
    return points * 1.3 / 72 / (HEIGHT_PX / DPI)


def header(figure: Figure, title: str, subtitle: str) -> float:
    """Title (up to two lines) and a muted subtitle at the top; returns where free space starts."""
    top = 0.965
    title_text = _fitted_title(figure, title, top)
    y = top - line_height(TITLE_PT) * (title_text.count("\n") + 1) - 0.008
    if subtitle:
        figure.text(LEFT, y, clean(subtitle), fontsize=SUBTITLE_PT, color=MUTED, va="top")
        y -= line_height(SUBTITLE_PT)
    return y - 0.012


def _fitted_title(figure: Figure, title: str, top: float) -> str:
    """Wrap the title to two lines that really fit the card (wide letters need a narrower wrap)."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    available = (1 - 2 * LEFT) * WIDTH_PX
    width = TITLE_WIDTH_CHARS
    while True:
        text = wrap(title, width, 2)
        artist = figure.text(LEFT, top, text, fontsize=TITLE_PT, fontweight="bold", va="top",
                             ha="left", linespacing=1.15)
        if artist.get_window_extent(renderer).width <= available or width <= 8:
            return text
        artist.remove()
        width -= 3


def footer(figure: Figure, last_reading: datetime | None, note: str = "") -> None:
    reading = f"Last reading {when(last_reading)}" if last_reading else "No readings yet"
    figure.text(LEFT, 0.025, reading, fontsize=SMALL_PT, color=MUTED, va="bottom")
    figure.text(1 - LEFT, 0.025, "ettametta", fontsize=SMALL_PT, color=MUTED, va="bottom",
                ha="right", fontweight="bold")
    if note:
        figure.text(LEFT, 0.03 + line_height(SMALL_PT), clean(note), fontsize=SMALL_PT,
                    color=MUTED, va="bottom")


def change_text(current: int | None, previous: int | None) -> tuple[str, str]:
    """'▲ 12% vs last week' and its colour; says plainly when there is nothing to compare."""
    if current is None:
        return "not measured", MUTED
    if previous is None:
        return "no data the week before", MUTED
    if previous == 0:
        return ("▲ up from 0", UP) if current > 0 else ("same as the week before", MUTED)
    change = (current - previous) / previous * 100
    if abs(change) < 0.5:
        return "same as the week before", MUTED
    arrow, tint = ("▲", UP) if change > 0 else ("▼", DOWN)
    return f"{arrow} {abs(change):.0f}% vs the week before", tint


def style_axes(axes: Axes) -> None:
    """Light horizontal grid, no box: the data is what stands out."""
    axes.grid(axis="y", color=GRID, linewidth=1.1)
    axes.set_axisbelow(True)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
