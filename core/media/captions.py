"""Word captions as an ASS file: short lines, at most two on screen, the spoken word highlighted.

Each word gets its own event showing its whole "page" with that word in the highlight
colour (scaling the active word would re-wrap the line, so only its colour changes).
Lines break at pauses and sentence ends so a caption never straddles two thoughts.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from core.media.recipe import OUTPUT_HEIGHT, OUTPUT_WIDTH, CaptionStyle
from core.media.transcribe import Word

PAUSE_S = 0.6
LINGER_S = 0.4
CHARS_PER_EM = 0.62  # average advance of a bold sans glyph, in ems: keeps lines inside the frame
SIDE_MARGIN = 110
# bottom captions sit above the platforms' caption/username overlay (~22% of the height)
MARGIN_V = {"bottom": 460, "middle": 0, "top": 300}
ALIGNMENT = {"bottom": 2, "middle": 5, "top": 8}


def pages(words: Sequence[Word], style: CaptionStyle) -> list[list[list[Word]]]:
    """Group words into pages of up to `max_lines` lines of up to `max_words_per_line` words."""
    max_chars = int((OUTPUT_WIDTH - 2 * SIDE_MARGIN) / (style.size * CHARS_PER_EM))
    result: list[list[list[Word]]] = []
    page: list[list[Word]] = []
    line: list[Word] = []
    previous: Word | None = None
    for word in words:
        breaks_thought = previous is not None and (
            word.start - previous.end > PAUSE_S or previous.word[-1] in ".?!"
        )
        too_long = len(" ".join(w.word for w in [*line, word])) > max_chars
        if line and (breaks_thought or too_long or len(line) >= style.max_words_per_line):
            page.append(line)
            line = []
            if breaks_thought or len(page) >= style.max_lines:
                result.append(page)
                page = []
        line.append(word)
        previous = word
    if line:
        page.append(line)
    if page:
        result.append(page)
    return result


def ass_document(words: Sequence[Word], style: CaptionStyle) -> str:
    events = []
    grouped = pages(words, style)
    for index, page in enumerate(grouped):
        flat = [word for line in page for word in line]
        next_start = grouped[index + 1][0][0].start if index + 1 < len(grouped) else None
        page_end = flat[-1].end + LINGER_S
        if next_start is not None:
            page_end = min(page_end, next_start)
        for position, word in enumerate(flat):
            start = word.start
            end = flat[position + 1].start if position + 1 < len(flat) else page_end
            if end - start < 0.02:
                continue
            events.append(_dialogue(start, end, _page_text(page, word, style)))
    return _header(style) + "\n".join(events) + "\n"


def write_ass(words: Sequence[Word], style: CaptionStyle, path: Path) -> Path:
    path.write_text(ass_document(words, style), encoding="utf-8")
    return path


def _page_text(page: list[list[Word]], active: Word, style: CaptionStyle) -> str:
    highlight = _ass_colour(style.highlight)
    lines = []
    for line in page:
        parts = []
        for word in line:
            text = _escape(word.word.upper() if style.uppercase else word.word)
            parts.append(f"{{\\c{highlight}}}{text}{{\\r}}" if word is active else text)
        lines.append(" ".join(parts))
    return "\\N".join(lines)


def _header(style: CaptionStyle) -> str:
    bold = -1 if style.bold else 0
    primary, outline = _ass_colour(style.colour), _ass_colour(style.outline_colour)
    return (
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 2\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {OUTPUT_WIDTH}\nPlayResY: {OUTPUT_HEIGHT}\n\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
        "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
        "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Caption,{style.font},{style.size},{primary},{primary},{outline},&H80000000,"
        f"{bold},0,0,0,100,100,0,0,1,{style.outline:g},2,{ALIGNMENT[style.position]},"
        f"{SIDE_MARGIN},{SIDE_MARGIN},{MARGIN_V[style.position]},1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )


def _dialogue(start: float, end: float, text: str) -> str:
    return f"Dialogue: 0,{_time(start)},{_time(end)},Caption,,0,0,0,,{text}"


def _time(seconds: float) -> str:
    centis = max(0, int(round(seconds * 100)))
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6000)
    secs, centis = divmod(rest, 100)
    return f"{hours}:{minutes:02d}:{secs:02d}.{centis:02d}"


def _ass_colour(hex_colour: str) -> str:
    """#RRGGBB → ASS &H00BBGGRR& (ASS stores colours blue-green-red)."""
    red, green, blue = hex_colour[1:3], hex_colour[3:5], hex_colour[5:7]
    return f"&H00{blue}{green}{red}&".upper()


def _escape(text: str) -> str:
    return text.replace("\\", "").replace("{", "(").replace("}", ")")


@lru_cache(maxsize=8)
def fonts_dir(family: str) -> str | None:
    """The directory holding the caption font, for libass's `fontsdir` (it falls back silently)."""
    if not shutil.which("fc-match"):
        return None
    found = subprocess.run(["fc-match", "-f", "%{file}", f"{family}:bold"], capture_output=True,
                           text=True, timeout=10, check=False).stdout.strip()
    return str(Path(found).parent) if found else None
