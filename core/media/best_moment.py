"""`--auto-trim N`: choose the N-second window a viewer is most likely to keep watching.

No model needed, and the score is explainable. Each candidate window starts on a word and
earns points for:
  * density — words per second (talking beats silence), capped at a brisk 3 words/s;
  * coverage — the share of the window that is speech;
  * a clean opening — it starts a sentence (after a pause or a full stop), not mid-thought;
  * a hook — a question, a number or a hook word ("you", "how", "why", "secret"…) in its
    first three seconds;
  * a clean ending — its last word ends a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.media.transcribe import Word

LEAD_IN_S = 0.15
HOOK_WINDOW_S = 3.0
HOOK_WORDS = frozenset({
    "you", "your", "how", "why", "what", "secret", "never", "stop", "best", "worst", "mistake",
    "truth", "nobody", "everyone", "wait", "imagine", "free", "first", "only",
})
_SENTENCE_END = re.compile(r"[.?!]$")


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
    if not words:
        return Moment(0.0, length, 0.0, "no speech to choose from, so the opening was kept")
    best: Moment | None = None
    for index, word in enumerate(words):
        start = min(max(0.0, word.start - LEAD_IN_S), total - length)
        moment = _score(words, index, start, length)
        if best is None or moment.score > best.score:
            best = moment
    assert best is not None
    return best


def _score(words: Sequence[Word], index: int, start: float, length: float) -> Moment:
    end = start + length
    inside = [w for w in words if w.start >= start and w.end <= end]
    density = min(len(inside) / length / 3.0, 1.0)
    coverage = sum(w.end - w.start for w in inside) / length
    reasons = [f"{len(inside) / length:.1f} words/s", f"{coverage:.0%} speech"]
    score = 0.5 * density + 0.3 * coverage
    previous = words[index - 1] if index else None
    if previous is None or _SENTENCE_END.search(previous.word) or words[index].start - previous.end > 0.7:
        score += 0.3
        reasons.append("starts a sentence")
    opening = [w.word.lower().strip(",.?!\"'") for w in inside if w.start < start + HOOK_WINDOW_S]
    if any(w in HOOK_WORDS or w.isdigit() for w in opening) or any(
        w.word.endswith("?") for w in inside if w.start < start + HOOK_WINDOW_S
    ):
        score += 0.2
        reasons.append("hook in the first 3 s")
    if inside and _SENTENCE_END.search(inside[-1].word):
        score += 0.1
        reasons.append("ends a sentence")
    return Moment(round(start, 3), round(end, 3), round(score, 3), ", ".join(reasons))
