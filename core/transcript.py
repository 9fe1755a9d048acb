"""A transcript's words, and the one way they read as text.

Recognisers split some tokens that a reader sees as one: faster-whisper gives "100,000" as
`100` + `,000`, "3.5%" as `3` + `.5%`, and "$ 25" as `$` + `25`. `merged` glues such pieces
back into one word (so a caption never breaks a number across lines), and `text_of` is the
only place words are joined into text (captions, titles, descriptions, prompts), so a
number is never spaced ("1 ,200") anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

SENTENCE_GAP_S = 0.7  # a pause this long between two words ends a sentence, punctuated or not
_SENTENCE_END = re.compile(r"[.?!…][\"')\]”’]*$")
_CLAUSE_END = re.compile(r"[,;:—–][\"')\]”’]*$")
# a piece that never starts a word: it continues the one before (",000" after "100", "%", ",")
_CONTINUES = re.compile(r"^[,.:;!?%‰)\]}…”]")
# after a number: the rest of a fraction or a range ("1" + "/2", "1990" + "-95")
_NUMBER_GOES_ON = re.compile(r"^[/-]\d")
# a piece that never ends a word: it opens the one after ("$" before "25", "(")
_OPENS = re.compile(r"^[$€£¥₹#(\[{“]+$")


@dataclass(frozen=True)
class Word:
    """One spoken word: its text and when it is spoken, in seconds."""

    word: str
    start: float
    end: float

    def to_json(self) -> dict[str, Any]:
        return {"word": self.word, "start": round(self.start, 3), "end": round(self.end, 3)}

    def shifted(self, offset: float) -> Word:
        return Word(self.word, self.start + offset, self.end + offset)


def merged(words: Iterable[Word]) -> list[Word]:
    """The words with split tokens glued back: a number with its separators, decimals, time
    colon, percent sign or currency symbol is one word, and trailing punctuation joins the
    word before it. Blank words are dropped; the glued word spans both pieces' times."""
    result: list[Word] = []
    for word in words:
        text = word.word.strip()
        if not text:
            continue
        if result and _continues(result[-1].word, text):
            last = result[-1]
            result[-1] = Word(last.word + text, last.start, max(last.end, word.end))
        else:
            result.append(Word(text, word.start, word.end))
    return result


def _continues(before: str, text: str) -> bool:
    return bool(_CONTINUES.match(text) or _OPENS.match(before)
                or (before[-1].isdigit() and _NUMBER_GOES_ON.match(text)))


def text_of(words: Sequence[Word]) -> str:
    """The words as one line of text, spaced the way they are read ("it costs $1,200.")."""
    return " ".join(word.word for word in merged(words))


def ends_sentence(text: str) -> bool:
    """Whether a word closes a sentence ("done.", "why?", "wait…", "this.\"")."""
    return bool(_SENTENCE_END.search(text))


def ends_clause(text: str) -> bool:
    """Whether a word closes a clause ("well,", "first;", "this:")."""
    return bool(_CLAUSE_END.search(text))


def starts_sentence(words: Sequence[Word], index: int) -> bool:
    """Whether words[index] opens a sentence: the first word, or after a sentence's end or a
    pause of SENTENCE_GAP_S."""
    if index == 0:
        return True
    previous = words[index - 1]
    return ends_sentence(previous.word) or words[index].start - previous.end >= SENTENCE_GAP_S
