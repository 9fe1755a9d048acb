"""Real renders of generated clips: the pixels and the sound show each edit was applied."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from core.media import encoders, graph, presets
from core.media.engine import Targets, render
from core.media.probe import MediaError, probe
from core.media.recipe import Recipe, load_recipe
from core.media.transcribe import decode, transcribe
from tests.support.media import speech_wav, video

SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank"
PLAIN = {"captions": {"enabled": False}, "loudnorm": False}


def frame(path: Path, at: float, size: tuple[int, int] = (90, 160), crop: str = "") -> np.ndarray:
    """One frame as an RGB array, optionally cropped first (crop=w:h:x:y), scaled small."""
    filters = ",".join(filter(None, [f"crop={crop}" if crop else "", f"scale={size[0]}:{size[1]}"]))
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", f"{at}", "-i", str(path), "-frames:v", "1",
                          "-vf", filters, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(size[1], size[0], 3).astype(float)


def do_render(source: Path, out: Path, recipe: Recipe, settings, **kw) -> object:
    return render(source, Targets.beside(out), recipe, settings, lambda *_: None, **kw)


@pytest.fixture(scope="module")
def speech_clip(tmp_path_factory) -> Path:
    return video(tmp_path_factory.mktemp("media") / "talk.mp4", seconds=3, size="640x360", speech=SENTENCE)


def test_a_captioned_render_is_1080x1920_with_sound_the_right_length_and_visible_words(
        speech_clip, tmp_path, settings) -> None:
    recipe = load_recipe({"captions": {"position": "middle"}})
    done = do_render(speech_clip, tmp_path / "captioned.mp4", recipe, settings)
    bare = do_render(speech_clip, tmp_path / "bare.mp4", load_recipe({"captions": {"enabled": False}}),
                     settings)
    info = probe(done.targets.output)
    assert (info.video.width, info.video.height) == (1080, 1920)
    assert info.audio is not None and info.duration_s == pytest.approx(3.0, abs=0.15)
    assert done.captions and len(done.transcript) >= 8
    at = done.transcript[2].start + 0.05
    zone = slice(70, 90)  # the middle band of a 160-pixel-high frame
    with_text, without = frame(done.targets.output, at), frame(bare.targets.output, at)
    assert np.abs(with_text[zone] - without[zone]).mean() > 8, "captions are drawn in the middle"
    assert np.abs(with_text[:40] - without[:40]).mean() < 3, "and nowhere else"
    assert done.targets.preview.stat().st_size < 8_000_000
    preview = probe(done.targets.preview).video
    assert (preview.width, preview.height) == (480, 854)
    assert done.targets.thumbnail.stat().st_size > 0 and "captions from" in done.summary()


def test_mirror_flips_the_picture_and_a_punch_in_zooms_at_its_time(tmp_path, settings) -> None:
    clip = video(tmp_path / "pattern.mp4", seconds=2.5, size="640x360", audio=False)
    recipe = load_recipe({**PLAIN, "mirror": True, "interrupts": {"every_s": 1.5, "duration_s": 0.6,
                                                                   "strength": 1.4}})
    done = do_render(clip, tmp_path / "mirrored.mp4", recipe, settings)
    w, h, x, y = graph.crop_box(640, 360, 1.0)
    source = frame(clip, 1.0, crop=f"{w}:{h}:{x}:{y}")
    out = frame(done.targets.output, 1.0)
    flipped = np.abs(out - source[:, ::-1]).mean()
    assert flipped < np.abs(out - source).mean() / 2 and flipped < 12
    punched = frame(done.targets.output, 1.8)
    assert np.abs(punched - frame(clip, 1.8, crop=f"{w}:{h}:{x}:{y}")[:, ::-1]).mean() > flipped * 2
    assert probe(done.targets.output).audio is not None, "a silent track is added"
    assert "has no audio; a silent track was added" in done.summary()


def test_a_lut_shifts_the_colours(tmp_path, settings) -> None:
    clip = video(tmp_path / "grey.mp4", seconds=1.5, size="320x240", audio=False, source="testsrc")
    lut = tmp_path / "redder.cube"
    lut.write_text("LUT_3D_SIZE 2\n" + "".join(
        f"{0.5 + 0.5 * r} {g} {b}\n" for b in (0, 1) for g in (0, 1) for r in (0, 1)))
    plain = do_render(clip, tmp_path / "plain.mp4", load_recipe(PLAIN), settings)
    graded = do_render(clip, tmp_path / "graded.mp4", load_recipe({**PLAIN, "grade": {"lut": str(lut)}}),
                       settings)
    before, after = frame(plain.targets.output, 0.5), frame(graded.targets.output, 0.5)
    assert after[..., 0].mean() - before[..., 0].mean() > 30
    assert abs(after[..., 1].mean() - before[..., 1].mean()) < 10


def test_silence_gives_a_render_without_captions_not_an_error(tmp_path, settings) -> None:
    clip = video(tmp_path / "tone.mp4", seconds=2, size="320x240")
    done = do_render(clip, tmp_path / "tone-out.mp4", presets.BUILTIN["clean"].recipe, settings)
    assert not done.captions and done.transcript == []
    assert "no speech found" in done.summary().lower()


def test_rotated_phone_video_is_rendered_upright_without_a_crop(tmp_path, settings) -> None:
    flat = video(tmp_path / "flat.mp4", seconds=1.5, size="640x360", audio=False)
    phone = tmp_path / "phone.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(flat), "-c", "copy", "-metadata:s:v:0", "rotate=90",
                    str(phone)], check=True)
    assert probe(phone).video.rotation in (90, 270)
    done = do_render(phone, tmp_path / "phone-out.mp4", load_recipe(PLAIN), settings)
    assert (done.width, done.height) == (1080, 1920)
    upright = frame(phone, 0.5)  # ffmpeg applies the rotation when decoding
    assert np.abs(frame(done.targets.output, 0.5) - upright).mean() < 12


def test_nvenc_failing_mid_render_is_retried_on_x264_and_the_result_says_so(tmp_path, settings) -> None:
    if encoders.capabilities().nvenc_works:
        pytest.skip("this machine has a working NVENC")
    clip = video(tmp_path / "gpu.mp4", seconds=1, size="320x240", audio=False)
    choice = encoders.EncoderChoice("nvenc", "forced for the test")
    done = do_render(clip, tmp_path / "gpu-out.mp4", load_recipe(PLAIN), settings, choice=choice)
    assert done.encoder == "libx264" and "NVENC failed" in done.summary()


def test_a_trim_past_the_end_is_refused(tmp_path, settings) -> None:
    clip = video(tmp_path / "short.mp4", seconds=1, size="160x120", audio=False)
    with pytest.raises(MediaError, match="only 1.0 s long"):
        do_render(clip, tmp_path / "x.mp4", load_recipe({"trim": {"start": 5}}), settings)


def test_transcription_recovers_most_words_with_sensible_times(tmp_path) -> None:
    wav = speech_wav(SENTENCE, tmp_path / "sentence.wav")
    found = transcribe(decode(wav))
    heard = {w.word.lower().strip(".,") for w in found}
    expected = set(SENTENCE.lower().split())
    assert len(heard & expected) >= 0.7 * len(expected)
    assert all(0 <= w.start <= w.end <= 5.0 for w in found)
    assert [w.start for w in found] == sorted(w.start for w in found)


def test_scene_cuts_are_found_on_the_output_timeline(tmp_path) -> None:
    from core.media.extras import scene_cuts

    cut = tmp_path / "cut.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2",
                    "-f", "lavfi", "-i", "smptebars=size=160x120:rate=10:duration=2",
                    "-filter_complex", "[0][1]concat=n=2:v=1:a=0", "-c:v", "libx264", "-preset",
                    "ultrafast", "-pix_fmt", "yuv420p", str(cut)], check=True)
    assert [round(t) for t in scene_cuts(cut, 0.0, 4.0)] == [2]
    assert [round(t, 1) for t in scene_cuts(cut, 1.0, 3.0)] == [1.0]


def test_a_cancelled_pass_stops_ffmpeg_at_once(tmp_path) -> None:
    from core.media import ffrun

    pattern = "testsrc2=size=640x360:rate=30:duration=120"
    argv = ["ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", pattern,
            "-c:v", "libx264", "-preset", "ultrafast", "-progress", "pipe:1", "-f", "null", "-"]

    def cancel(fraction: float, eta: float | None) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ffrun.run(argv, 120.0, cancel)
    stray = subprocess.run(["pgrep", "-f", pattern], capture_output=True)
    assert stray.stdout == b""


def test_a_trimmed_render_keeps_its_words_on_the_outputs_timeline(speech_clip, tmp_path, settings) -> None:
    whole = transcribe(decode(speech_clip))
    recipe = load_recipe({"trim": {"start": 1.0}, "loudnorm": False})
    done = do_render(speech_clip, tmp_path / "trimmed.mp4", recipe, settings)
    assert done.duration_s == pytest.approx(2.0, abs=0.15)
    source_times = {w.word.lower(): w.start for w in whole if w.start >= 0.9}
    shifts = [source_times[w.word.lower()] - w.start for w in done.transcript
              if w.word.lower() in source_times]
    assert len(shifts) >= 3, "a cut mid-word may blur the first word or two, not the rest"
    assert float(np.median(shifts)) == pytest.approx(1.0, abs=0.35)
    assert all(0 <= w.start <= w.end <= 2.0 for w in done.transcript)


def test_variable_frame_rate_video_becomes_constant_and_keeps_its_length(tmp_path, settings) -> None:
    vfr = tmp_path / "vfr.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=2",
                    "-f", "lavfi", "-i", "sine=duration=2", "-vf", r"select='lt(n\,20)+not(mod(n\,4))'",
                    "-vsync", "vfr", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-shortest", str(vfr)], check=True)
    assert probe(vfr).video.variable_rate
    done = do_render(vfr, tmp_path / "cfr.mp4", load_recipe(PLAIN), settings)
    made = probe(done.targets.output)
    assert made.video.fps == pytest.approx(30.0) and not made.video.variable_rate
    assert made.duration_s == pytest.approx(2.0, abs=0.15)
