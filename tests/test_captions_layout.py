"""Caption pages and their ASS events, from crafted word lists (no video needed)."""

from __future__ import annotations

import re

from core.media import captions
from core.media.recipe import CaptionStyle
from core.transcript import Word

TIME = r"(\d+):(\d\d):(\d\d)\.(\d\d)"
EVENT = re.compile(rf"^Dialogue: 0,{TIME},{TIME},Caption,,0,0,0,,(.*)$")
HIGHLIGHTED = re.compile(r"\{\\c&H[0-9A-F]+&\}(.*?)\{\\r\}")


def timed(*items: tuple[str, float, float]) -> list[Word]:
    return [Word(text, start, end) for text, start, end in items]


def spoken(text: str, start: float = 0.0, pace: float = 0.4) -> list[Word]:
    return [Word(w, start + i * pace, start + (i + 1) * pace - 0.05) for i, w in enumerate(text.split())]


def events(words: list[Word], style: CaptionStyle) -> list[tuple[float, float, str, str]]:
    """(start s, end s, highlighted word, whole text) of each Dialogue line."""
    found = []
    for line in captions.ass_document(words, style).splitlines():
        match = EVENT.match(line)
        if match:
            h1, m1, s1, c1, h2, m2, s2, c2, text = match.groups()
            start = int(h1) * 3600 + int(m1) * 60 + int(s1) + int(c1) / 100
            end = int(h2) * 3600 + int(m2) * 60 + int(s2) + int(c2) / 100
            active = HIGHLIGHTED.search(text)
            found.append((start, end, active.group(1) if active else "", text))
    return found


def lines_of(words: list[Word], style: CaptionStyle) -> list[str]:
    return [" ".join(w.word for w in line) for page in captions.pages(words, style) for line in page]


def test_a_split_number_is_one_word_on_one_line_and_never_spaced() -> None:
    words = timed(("The", 0.0, 0.3), ("prize", 0.3, 0.6), ("was", 0.6, 1.0), ("$100", 1.0, 1.6),
                  (",000.", 1.6, 2.5), ("It", 3.0, 3.2), ("cost", 3.2, 3.5), ("1", 3.5, 3.9),
                  (",200", 3.9, 4.4), ("or", 4.4, 4.6), ("3", 4.6, 4.8), (".5%", 4.8, 5.3))
    style = CaptionStyle(max_words_per_line=3)
    assert lines_of(words, style) == ["The prize was", "$100,000.", "It cost 1,200", "or 3.5%"]
    texts = [text for _, _, _, text in events(words, style)]
    assert not any(" ,2" in t or " ,0" in t or " .5" in t for t in texts)
    assert {active for _, _, active, _ in events(words, style)} >= {"$100,000.", "1,200", "3.5%"}


def test_a_long_number_is_never_broken_to_fit_a_line() -> None:
    words = spoken("we counted 1,234,567,890 votes")
    for line in lines_of(words, CaptionStyle(size=120, max_words_per_line=4)):
        assert not line.startswith(","), line
    assert "1,234,567,890" in lines_of(words, CaptionStyle(size=120, max_words_per_line=4))


def test_a_new_sentence_after_a_pause_starts_a_new_line_even_written_with_a_comma() -> None:
    words = timed(("wash", 0.0, 0.38), ("your", 0.38, 0.68), ("hands", 0.68, 1.04),
                  ("before", 1.04, 1.44), ("touch,", 1.44, 1.78), ("the", 2.17, 2.46),
                  ("bread", 2.46, 2.66), ("was", 2.66, 2.96), ("warm.", 2.96, 3.3))
    style = CaptionStyle(size=40, max_words_per_line=4, max_lines=2)
    assert lines_of(words, style) == ["wash your hands before", "touch,", "the bread was warm."]
    grouped = captions.pages(words, style)
    assert grouped[1][0][0].word == "the", "the new sentence opens a new page"


def test_a_comma_without_a_pause_does_not_break_the_line() -> None:
    words = timed(("yes,", 0.0, 0.3), ("we", 0.32, 0.5), ("can", 0.52, 0.8))
    assert lines_of(words, CaptionStyle(max_words_per_line=4)) == ["yes, we can"]


def test_sentence_ends_and_long_pauses_still_break() -> None:
    words = spoken("Stop. Look here") + spoken("later words", start=5.0)
    assert lines_of(words, CaptionStyle(max_words_per_line=4)) == ["Stop.", "Look here", "later words"]


def test_a_word_with_no_duration_is_still_shown_and_so_is_its_page() -> None:
    words = timed(("touch.", 1.44, 1.79), ("The", 2.46, 2.46), ("bread", 2.46, 2.66),
                  ("Wait.", 3.0, 3.0), ("Now", 3.0, 3.3))
    style = CaptionStyle(max_words_per_line=4)
    shown = events(words, style)
    assert [active for _, _, active, _ in shown] == ["touch.", "The", "bread", "Wait.", "Now"]
    for start, end, active, _ in shown:
        assert end - start >= captions.MIN_WORD_S - 0.011, f"{active} on screen {end - start:.2f} s"
    wait = next(e for e in shown if e[2] == "Wait.")
    assert wait[0] == 3.0, "a one-word page of a zero-length word appears when it is spoken"


def test_a_run_of_zero_length_words_is_shown_in_order_and_catches_up() -> None:
    words = timed(("a", 1.0, 1.0), ("b", 1.0, 1.0), ("c", 1.0, 1.0), ("d", 1.0, 1.6), ("e", 2.0, 2.3))
    shown = events(words, CaptionStyle(max_words_per_line=5))
    starts = [start for start, _, _, _ in shown]
    assert starts == sorted(starts) and len(set(starts)) == 5
    assert starts[-1] == 2.0, "later words are on time again"


def test_no_caption_appears_before_its_word_is_spoken() -> None:
    words = spoken("one two three four five six seven", start=1.0, pace=0.3)
    shown = events(words, CaptionStyle(max_words_per_line=3))
    first_of = {w.word: w.start for w in words}
    for start, _, active, _ in shown:
        assert start >= first_of[active] - 0.005
