"""Word captions as an ASS file: short lines, at most two on screen, the spoken word highlighted.

Each word gets its own event showing its whole "page" with that word in the highlight
colour (scaling the active word would re-wrap the line, so only its colour changes).
A page never straddles two thoughts: a new page starts after a sentence end, after a long
pause, and after a shorter pause at a comma (recognisers often write a sentence end heard as
a pause as a comma: "before touch, the"). Words are the transcript's merged words, so a
number like "100,000" or "3.5%" is one word and never breaks across lines. Every word is
highlighted for at least MIN_WORD_S, even one the recogniser gave no duration, so no spoken
word is ever left uncaptioned.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from core.media.recipe import OUTPUT_HEIGHT, OUTPUT_WIDTH, CaptionStyle
from core.transcript import Word, ends_clause, ends_sentence, merged

PAUSE_S = 0.6  # a pause this long ends a thought wherever it falls
CLAUSE_PAUSE_S = 0.3  # ... and this long after a comma, semicolon, colon or dash
MIN_WORD_S = 0.15  # the least time a word is highlighted (seconds)
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
    for word in merged(words):
        breaks_thought = previous is not None and ends_thought(previous, word)
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


def ends_thought(previous: Word, word: Word) -> bool:
    """Whether `word` starts a new thought: after a sentence end, a long pause, or a shorter
    pause at a clause mark."""
    pause = word.start - previous.end
    return (ends_sentence(previous.word) or pause > PAUSE_S
            or (pause >= CLAUSE_PAUSE_S and ends_clause(previous.word)))


def ass_document(words: Sequence[Word], style: CaptionStyle) -> str:
    events = []
    grouped = pages(words, style)
    shown = iter(shown_from([word for page in grouped for line in page for word in line]))
    starts = [[next(shown) for line in page for _ in line] for page in grouped]
    for index, page in enumerate(grouped):
        flat = [word for line in page for word in line]
        page_starts = starts[index]
        page_end = max(flat[-1].end, page_starts[-1] + MIN_WORD_S) + LINGER_S
        if index + 1 < len(grouped):
            page_end = min(page_end, starts[index + 1][0])
        for position, word in enumerate(flat):
            end = page_starts[position + 1] if position + 1 < len(flat) else page_end
            events.append(_dialogue(page_starts[position], end, _page_text(page, word, style)))
    return _header(style) + "\n".join(events) + "\n"


def shown_from(words: Sequence[Word]) -> list[float]:
    """When each word's highlight starts (seconds): its spoken start, or later when the words
    before it need their MIN_WORD_S (a word with no duration shares the next word's time)."""
    starts: list[float] = []
    for word in words:
        starts.append(max(word.start, starts[-1] + MIN_WORD_S) if starts else word.start)
    return starts


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
