"""Real renders keep what they promise: −14 LUFS and true peak ≤ −1 dBTP measured on the output,
captions that appear when the speech starts (not before, not a second late under a tone), and
numbers captioned as one token."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import ffmpeg
import numpy as np
import pytest

from core.media import captions, loudness, presets
from core.media.engine import Targets, render
from core.media.transcribe import SAMPLE_RATE, decode, transcribe
from tests.conftest import make_settings
from tests.support.sound import loudness_of, speech_onset, talk

TEXT = "The prize was 100,000 dollars. Wash your hands before touch. The bread was still warm."
LEAD_S = 1.5
TARGET, TOLERANCE, CEILING = -14.0, 1.0, -1.0


def band(path: Path, at: float) -> np.ndarray:
    """The middle band of the frame at `at` s (where bold-captions draws), small and grey."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", f"{at:.3f}", "-i", str(path), "-frames:v", "1",
                          "-vf", "crop=1080:560:0:680,scale=108:56,format=gray", "-f", "rawvideo", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(56, 108).astype(float)


@pytest.fixture(scope="module")
def toned(tmp_path_factory):
    """Speech over a loud steady 1 kHz tone, after 1.5 s of tone alone, rendered bold-captions."""
    folder = tmp_path_factory.mktemp("toned")
    source = talk(folder / "toned.mp4", TEXT, lead_s=LEAD_S, seconds=7.5, tone_hz=1000, tone_volume=0.5)
    settings = make_settings(folder, x264_preset="ultrafast")
    recipe = presets.BUILTIN["bold-captions"].recipe
    result = render(source, Targets.beside(folder / "short.mp4"), recipe, settings, lambda *_: None)
    return result, recipe, LEAD_S + speech_onset(TEXT, folder)


def test_the_render_is_at_minus_14_lufs_with_true_peak_under_minus_1_as_its_summary_says(toned) -> None:
    result, _, _ = toned
    integrated, peak = loudness_of(result.targets.output)
    assert abs(integrated - TARGET) <= TOLERANCE and peak <= CEILING, (integrated, peak)
    stated = re.search(r"loudness (−?[\d.]+) LUFS, true peak (−?[\d.]+) dBTP", result.summary())
    assert stated, result.summary()
    said_lufs, said_peak = (float(value.replace("−", "-")) for value in stated.groups())
    assert said_lufs == pytest.approx(integrated, abs=0.15) and said_peak == pytest.approx(peak, abs=0.15)


def test_the_first_caption_appears_when_speech_starts_under_a_steady_tone(toned) -> None:
    result, _, onset = toned
    first = result.transcript[0]
    assert first.word.lower().startswith("the")
    assert onset - 0.1 <= first.start <= onset + 0.3, (first, onset)
    before, during = band(result.targets.output, onset - 0.2), band(result.targets.output, first.start + 0.3)
    assert before.max() < 40, "no caption before the speech"
    assert (during > 200).mean() > 0.01, "the caption is on screen while the first word is spoken"


def test_the_spoken_number_is_one_caption_word_never_split_or_spaced(toned) -> None:
    result, recipe, _ = toned
    numbers = [w.word for w in result.transcript if any(c.isdigit() for c in w.word)]
    assert numbers and all("100,000" in n or "100000" in n for n in numbers), numbers
    document = captions.ass_document(result.transcript, recipe.captions)
    assert " ,000" not in document and "\\N,000" not in document


def test_the_caption_stays_inside_the_frame(toned) -> None:
    result, _, _ = toned
    bright = band(result.targets.output, result.transcript[3].start + 0.1) > 200
    columns = np.flatnonzero(bright.any(axis=0))
    assert columns.size and columns.min() > 5 and columns.max() < 103


@pytest.mark.parametrize(("name", "gain_db", "clicks"), [("quiet", -24.0, False), ("peaky", 6.0, True)])
def test_quiet_and_peaky_speech_both_come_out_at_minus_14_lufs(name, gain_db, clicks, tmp_path) -> None:
    source = talk(tmp_path / f"{name}.mp4", TEXT, seconds=6.0, gain_db=gain_db, clicks=clicks)
    samples = decode(source)
    leveling = loudness.plan(source, 0.0, 6.0, loudness.speech_level(samples, SAMPLE_RATE))
    assert leveling is not None and leveling.expected_lufs == TARGET
    stream = loudness.normalised(ffmpeg.input(str(source)).audio, leveling)
    out = tmp_path / f"{name}.m4a"
    encode = ffmpeg.output(stream, str(out), acodec="aac", audio_bitrate="160k", ac=2)
    encode.overwrite_output().run(quiet=True)
    integrated, peak = loudness_of(out)
    assert abs(integrated - TARGET) <= TOLERANCE and peak <= CEILING, (name, integrated, peak)


def test_silence_is_left_silent_and_said_so(tmp_path) -> None:
    source = talk(tmp_path / "silent.mp4", "", seconds=2.0, gain_db=-200.0)
    samples = decode(source)
    assert loudness.plan(source, 0.0, 2.0, loudness.speech_level(samples, SAMPLE_RATE)) is None
    assert str(loudness.measure(source)) == "silent audio"
    assert transcribe(samples) == []


def test_speech_starting_under_a_loud_tone_is_transcribed_from_its_first_word(tmp_path) -> None:
    # with the tone 18 dB above the voice, voice detection used to miss the opening words, so
    # the first caption came with the second or third word
    text = "Hello everyone, welcome back to the channel. Today we test a new camera."
    source = talk(tmp_path / "hum.mp4", text, seconds=5.5, tone_hz=1000, tone_volume=0.5, gain_db=-18.0)
    words = transcribe(decode(source))
    assert words[0].word.lower().startswith("hello") and words[0].start <= speech_onset(text, tmp_path) + 0.3
    assert "everyone" in words[1].word.lower()
