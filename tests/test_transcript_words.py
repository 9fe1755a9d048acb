"""The transcript's words: numbers stay one token everywhere, and word times sit on the voice."""

from __future__ import annotations

import numpy as np
import pytest

from core.ai import Brief, offline, words_from
from core.media.speech_audio import steady_removed, voiced
from core.media.transcribe import on_voice
from core.transcript import Word, merged, text_of


def pieces(*texts: str, start: float = 0.0, pace: float = 0.3) -> list[Word]:
    return [Word(text, start + i * pace, start + (i + 1) * pace - 0.02) for i, text in enumerate(texts)]


# numbers, times, percentages and currency are one token

def test_a_number_the_recogniser_split_is_one_word_spanning_both_pieces() -> None:
    words = merged(pieces("The", "prize", "was", "$100", ",000.", "Tickets", "cost", "1", ",200"))
    assert [w.word for w in words] == ["The", "prize", "was", "$100,000.", "Tickets", "cost", "1,200"]
    prize = words[3]
    assert (prize.start, prize.end) == (pytest.approx(0.9), pytest.approx(1.48))


def test_decimals_times_percentages_currency_and_fractions_are_never_spaced() -> None:
    spoken = pieces("It", "grew", "3", ".5%,", "at", "10", ":30", "for", "$", "25", "or", "50", "%",
                    "and", "1", "/2", "a", "cup.")
    assert text_of(spoken) == "It grew 3.5%, at 10:30 for $25 or 50% and 1/2 a cup."


def test_a_dash_or_a_minus_after_a_word_stays_a_separate_word() -> None:
    assert text_of(pieces("it", "is", "-5", "outside", "-", "cold")) == "it is -5 outside - cold"


def test_punctuation_on_its_own_joins_the_word_before_and_blank_words_vanish() -> None:
    assert text_of(pieces("well", "...", " ", "so", "?")) == "well... so?"


def test_merging_twice_changes_nothing() -> None:
    once = merged(pieces("1", ",200", "and", "3", ".5"))
    assert merged(once) == once


def test_titles_and_the_description_write_numbers_as_spoken_even_from_an_old_transcript() -> None:
    stored = [w.to_json() for w in pieces(
        "Tickets", "cost", "1", ",200", "dollars", "this", "year.", "The", "prize", "was", "$100",
        ",000", "for", "the", "winner.", start=0.0, pace=0.4)]
    brief = Brief(words=words_from(stored), source_title="Ticket prices", duration_s=6.0)
    assert "1,200" in brief.transcript and "$100,000" in brief.transcript
    made = offline.generate(brief)
    texts = [*made.titles, made.description, made.hook]
    assert any("1,200" in text or "100,000" in text for text in texts)
    assert not any(" ,200" in text or " ,000" in text or "1 ," in text for text in texts)


# word times on the voice

def test_a_first_word_whisper_started_in_the_silence_starts_with_the_voice() -> None:
    words = on_voice([Word("Our", 0.59, 1.31), Word("guest", 1.31, 1.68)], [(0.99, 3.0)])
    assert words[0].start == 0.99 and words[1].start == 1.31


def test_a_word_that_ran_into_a_pause_ends_with_the_voice_and_the_next_starts_with_it() -> None:
    whisper = [Word("before", 1.04, 1.44), Word("touch,", 1.44, 2.20), Word("the", 2.46, 2.46),
               Word("bread", 2.46, 2.66)]
    words = on_voice(whisper, [(0.0, 1.78), (2.17, 4.37)])
    assert [(w.word, w.start, w.end) for w in words] == [
        ("before", 1.04, 1.44), ("touch,", 1.44, 1.78), ("the", 2.17, 2.46), ("bread", 2.46, 2.66)]


def test_words_in_the_middle_of_continuous_speech_keep_their_times() -> None:
    whisper = pieces("one", "two", "three", start=1.0)
    assert on_voice(whisper, [(0.0, 5.0)]) == whisper


def test_a_word_heard_nowhere_keeps_the_times_whisper_gave() -> None:
    assert on_voice([Word("hm", 5.0, 5.2)], [(0.0, 1.0)]) == [Word("hm", 5.0, 5.2)]


RATE = 16_000


def test_a_steady_tone_is_removed_and_speech_like_bursts_are_kept() -> None:
    t = np.arange(4 * RATE) / RATE
    rng = np.random.default_rng(7)
    bursts = rng.normal(0, 0.1, len(t)) * ((t % 1.0) > 0.6)  # 0.4 s of "speech" every second
    tone = 0.3 * np.sin(2 * np.pi * 1000 * t)
    cleaned = steady_removed((tone + bursts).astype(np.float32))
    quiet = (t % 1.0) < 0.5
    assert np.sqrt(np.mean(cleaned[quiet] ** 2)) < 0.3 / np.sqrt(2) / 10, "the tone is 20 dB down"
    kept = np.sqrt(np.mean(cleaned[~quiet & ((t % 1.0) > 0.65)] ** 2))
    assert kept > 0.06, "the bursts keep most of their level"


def test_silence_and_bursts_pass_through_unchanged() -> None:
    t = np.arange(2 * RATE) / RATE
    bursts = (np.random.default_rng(3).normal(0, 0.1, len(t)) * ((t % 1.0) > 0.5)).astype(np.float32)
    assert np.allclose(steady_removed(bursts), bursts, atol=1e-4)


def test_the_voice_is_found_between_pauses_and_short_closures_are_bridged() -> None:
    t = np.arange(3 * RATE) / RATE
    loud = ((t > 0.5) & (t < 1.2)) | ((t > 1.25) & (t < 1.6)) | ((t > 2.2) & (t < 2.8))
    signal = (np.sin(2 * np.pi * 200 * t) * 0.3 * loud).astype(np.float32)
    stretches = voiced(signal, RATE)
    assert len(stretches) == 2
    (a, b), (c, d) = stretches
    assert abs(a - 0.5) < 0.03 and abs(b - 1.6) < 0.03 and abs(c - 2.2) < 0.03 and abs(d - 2.8) < 0.03


def test_a_few_words_in_a_long_silence_are_found_and_silence_alone_is_not_voice() -> None:
    t = np.arange(30 * RATE) / RATE
    signal = (np.sin(2 * np.pi * 200 * t) * 0.3 * ((t > 12.0) & (t < 12.6))).astype(np.float32)
    [(start, end)] = voiced(signal, RATE)
    assert abs(start - 12.0) < 0.03 and abs(end - 12.6) < 0.03
    assert voiced(np.zeros(RATE, np.float32), RATE) == []


def test_under_a_steady_bed_of_noise_no_pauses_are_claimed() -> None:
    t = np.arange(4 * RATE) / RATE
    rng = np.random.default_rng(5)
    bed = rng.normal(0, 0.05, len(t))
    voice = 0.12 * np.sin(2 * np.pi * 200 * t) * ((t % 1.0) > 0.5)
    assert voiced((bed + voice).astype(np.float32), RATE) == []
