"""`--auto-trim`: every reason printed is true of the window kept (crafted transcripts)."""

from __future__ import annotations

import random

import pytest

from core.media.best_moment import HOOK_WINDOW_S, HOOK_WORDS, Moment, best_window
from core.transcript import Word, ends_sentence, starts_sentence


def sentence_words(sentences: list[str], start: float = 0.0, pace: float = 0.35,
                   pause: float = 0.5) -> list[Word]:
    words, t = [], start
    for sentence in sentences:
        for token in sentence.split():
            words.append(Word(token, t, t + pace - 0.05))
            t += pace
        t += pause
    return words


def reasons_hold(moment: Moment, words: list[Word]) -> None:
    """Check each reason against the words really inside [start, end]."""
    inside = [i for i, w in enumerate(words) if w.start >= moment.start - 1e-6 and w.end <= moment.end + 1e-6]
    cut_start = any(w.start < moment.start < w.end for w in words)
    cut_end = any(w.start < moment.end < w.end for w in words)
    if "starts a sentence" in moment.reason:
        assert inside and starts_sentence(words, inside[0]) and not cut_start, moment
    if "ends a sentence" in moment.reason:
        assert inside and ends_sentence(words[inside[-1]].word) and not cut_end, moment
    if "hook in the first 3 s" in moment.reason:
        opening = [words[i].word.lower() for i in inside if words[i].start < moment.start + HOOK_WINDOW_S]
        assert any(any(c.isdigit() for c in w) or w.endswith("?") or w.strip(".,?!") in HOOK_WORDS
                   for w in opening), moment


def test_a_window_opening_mid_sentence_never_claims_to_start_one() -> None:
    # the case: "who was only 24 years old." follows a pause near the end; the old
    # scorer kept a window that opened 1.4 s before that pause, mid-sentence, and said
    # "starts a sentence" because it judged the word it started from, not the window kept
    words = sentence_words(["so here is the long story of a guest who got started in a small town"],
                           pace=0.6, pause=1.1)
    words += sentence_words(["who was only 24 years old."], start=words[-1].end + 1.15, pace=0.3)
    moment = best_window(words, length=6.0, total=words[-1].end + 0.35)
    reasons_hold(moment, words)


def test_the_kept_window_prefers_a_whole_sentence_from_start_to_end() -> None:
    words = sentence_words(["filler words go on here without much point at all for a while",
                            "Why do creators lose viewers in the first second?",
                            "Because they open slowly.", "more filler words trail off here and go on"],
                           pace=0.3, pause=0.8)
    moment = best_window(words, length=5.5, total=words[-1].end + 1.0)
    assert "starts a sentence" in moment.reason and "ends a sentence" in moment.reason
    reasons_hold(moment, words)
    first = next(w for w in words if w.start >= moment.start)
    assert first.word == "Why"


def test_the_window_never_opens_inside_the_word_before_it() -> None:
    words = [Word("one", 0.0, 0.5), Word("two.", 0.52, 1.0), Word("Three", 1.05, 1.5),
             Word("four", 1.5, 2.0), Word("five.", 2.0, 2.5)]
    moment = best_window(words, length=1.6, total=3.0)
    assert not any(w.start < moment.start < w.end for w in words)
    reasons_hold(moment, words)


@pytest.mark.parametrize("seed", range(40))
def test_every_reason_is_true_of_the_kept_window_on_random_transcripts(seed: int) -> None:
    rng = random.Random(seed)
    vocabulary = ["you", "we", "the", "camera", "light", "why", "12", "3.5%", "never", "cut", "edit",
                  "story", "frame", "slow", "fast", "1,200", "secret", "and", "then"]
    words, t = [], rng.uniform(0, 2)
    while t < 60:
        length = rng.uniform(0.1, 0.6)
        text = rng.choice(vocabulary) + rng.choice(["", "", "", "", ",", ".", "?"])
        words.append(Word(text, round(t, 2), round(t + length, 2)))
        t += length + rng.choice([0.0, 0.02, 0.05, 0.2, 0.5, 0.9, 1.5])
    total = t + rng.uniform(0, 3)
    moment = best_window(words, length=rng.choice([8.0, 15.0, 20.0]), total=total)
    assert moment.start >= 0.0 and moment.end <= total + 1e-6
    reasons_hold(moment, words)
