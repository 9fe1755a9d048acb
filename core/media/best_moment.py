"""`--auto-trim N`: choose the N-second window a viewer is most likely to keep watching.

No model needed, and the score is explainable. Candidate windows open just before a word
(never cutting the word before it) or close just after a sentence's last word, and each is
scored on the words it really contains:
  * density — words per second (talking beats silence), capped at a brisk 3 words/s;
  * coverage — the share of the window that is speech;
  * a clean opening — its first word starts a sentence (after a full stop or a pause) and
    no word is cut by its start;
  * a hook — a question, a number or a hook word ("you", "how", "why", "secret"…) in its
    first three seconds;
  * a clean ending — its last word ends a sentence and no word is cut by its end.
Every reason printed is checked against the window that is kept.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from core.transcript import Word, ends_sentence, merged, starts_sentence

LEAD_IN_S = 0.15
TAIL_S = 0.3
HOOK_WINDOW_S = 3.0
HOOK_WORDS = frozenset({
    "you", "your", "how", "why", "what", "secret", "never", "stop", "best", "worst", "mistake",
    "truth", "nobody", "everyone", "wait", "imagine", "free", "first", "only",
})
_NUMBER = re.compile(r"\d")


@dataclass(frozen=True)
class Moment:
    start: float
    end: float
    score: float
    reason: str


def best_window(words: Sequence[Word], length: float, total: float) -> Moment:
    """The best `length`-second window of a `total`-second source, with why it was chosen."""
    if length >= total:
        return Moment(0.0, total, 0.0, "the source is no longer than the requested length")
    spoken = merged(words)
    if not spoken:
        return Moment(0.0, length, 0.0, "no speech to choose from, so the opening was kept")
    transcript = _Transcript(spoken)
    best: Moment | None = None
    for start in _candidate_starts(spoken, length, total):
        moment = transcript.score(start, length)
        if best is None or moment.score > best.score:
            best = moment
    assert best is not None
    return best


def _candidate_starts(words: Sequence[Word], length: float, total: float) -> list[float]:
    """Window starts: just before each word (not into the word before it), and `length` before
    just after each sentence end; only windows that fit inside the source."""
    latest = total - length
    starts = {0.0, round(latest, 3)}
    for index, word in enumerate(words):
        previous_end = words[index - 1].end if index else 0.0
        opening = max(0.0, previous_end, word.start - LEAD_IN_S)
        if opening <= latest:
            starts.add(round(opening, 3))
        if index + 1 == len(words) or starts_sentence(words, index + 1):
            following = words[index + 1].start if index + 1 < len(words) else total
            closing = min(total, following, word.end + TAIL_S)
            if 0.0 <= closing - length <= latest:
                starts.add(round(closing - length, 3))
    return sorted(starts)


class _Transcript:
    """The words with prefix sums, so each window is scored without scanning every word."""

    def __init__(self, words: Sequence[Word]) -> None:
        self.words = words
        self.starts = [w.start for w in words]
        self.spoken = [0.0, *accumulate(w.end - w.start for w in words)]

    def score(self, start: float, length: float) -> Moment:
        end = start + length
        first = bisect.bisect_left(self.starts, start - 1e-6)
        last = bisect.bisect_right(self.starts, end + 1e-6)
        while last > first and self.words[last - 1].end > end + 1e-6:
            last -= 1
        inside = self.words[first:last]
        cut_at_start = first > 0 and self.words[first - 1].end > start + 1e-6
        cut_at_end = last < len(self.words) and self.words[last].start < end - 1e-6
        count = len(inside)
        coverage = (self.spoken[last] - self.spoken[first]) / length
        reasons = [f"{count / length:.1f} words/s", f"{coverage:.0%} speech"]
        score = 0.5 * min(count / length / 3.0, 1.0) + 0.3 * coverage
        if inside and not cut_at_start and starts_sentence(self.words, first):
            score += 0.3
            reasons.append("starts a sentence")
        opening = [w.word for w in inside if w.start < start + HOOK_WINDOW_S]
        if any(_is_hook(text) for text in opening):
            score += 0.2
            reasons.append("hook in the first 3 s")
        if inside and not cut_at_end and ends_sentence(inside[-1].word):
            score += 0.2
            reasons.append("ends a sentence")
        score -= 0.2 * (cut_at_start + cut_at_end)
        return Moment(round(start, 3), round(end, 3), round(score, 3), ", ".join(reasons))


def _is_hook(text: str) -> bool:
    return (text.lower().strip(",.?!\"'…") in HOOK_WORDS or bool(_NUMBER.search(text))
            or text.rstrip("\"')”’").endswith("?"))
