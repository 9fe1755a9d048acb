"""Recipes, presets, captions layout, best-moment choice and encoder choice (no video needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.media import captions, encoders, ffrun, graph, presets
from core.media.best_moment import best_window
from core.media.probe import MediaError, MediaInfo, Stream
from core.media.recipe import CaptionStyle, Recipe, RecipeError, load_recipe
from core.media.transcribe import Word
from core.media.validate import usable


def words(text: str, start: float = 0.0, pace: float = 0.4, gap: float = 0.05) -> list[Word]:
    out, t = [], start
    for token in text.split():
        out.append(Word(token, t, t + pace - gap))
        t += pace
    return out


# recipes and presets

def test_every_builtin_preset_is_a_valid_recipe_and_survives_json() -> None:
    assert {"clean", "bold-captions", "cinematic", "podcast"} <= set(presets.BUILTIN)
    for preset in presets.BUILTIN.values():
        assert load_recipe(preset.recipe.to_json()) == preset.recipe


def test_a_bad_recipe_names_each_wrong_value() -> None:
    with pytest.raises(RecipeError) as caught:
        load_recipe({"zoom": 5, "captions": {"highlight": "yellow"}, "sparkle": True})
    message = str(caught.value)
    assert "zoom" in message and "'yellow' is not a colour like #FFD400" in message
    assert "sparkle: is not a recipe setting" in message


def test_a_trim_must_end_after_it_starts() -> None:
    with pytest.raises(RecipeError, match="must be after its start"):
        load_recipe({"trim": {"start": 5, "end": 2}})


def test_a_lut_must_be_an_existing_cube_file(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="not a .cube file"):
        load_recipe({"grade": {"lut": str(tmp_path / "look.png")}})
    with pytest.raises(RecipeError, match="does not exist"):
        load_recipe({"grade": {"lut": str(tmp_path / "look.cube")}})


def test_options_adjust_a_preset_and_are_validated_again() -> None:
    base = presets.BUILTIN["bold-captions"].recipe
    changed = presets.with_overrides(base, {"mirror": "no", "auto-trim": "30", "captions": False,
                                            "look": "warm", "zoom": None})
    assert changed.mirror is False and changed.trim.auto_seconds == 30
    assert changed.captions.enabled is False and changed.grade.look == "warm"
    assert changed.zoom == base.zoom
    with pytest.raises(RecipeError, match="mirror must be yes or no"):
        presets.with_overrides(base, {"mirror": "maybe"})
    with pytest.raises(RecipeError, match="grade.look"):
        presets.with_overrides(base, {"look": "sepia-ish"})


def test_a_preset_explains_itself_in_plain_lines() -> None:
    text = presets.explain(presets.BUILTIN["bold-captions"].recipe)
    assert "mirrored" in text and "punch-ins: every 4 s" in text and "loudness −14 LUFS" in text


# captions

def test_captions_keep_to_the_word_and_line_limits() -> None:
    style = CaptionStyle(max_words_per_line=3, max_lines=2)
    grouped = captions.pages(words("one two three four five six seven eight"), style)
    assert [[len(line) for line in page] for page in grouped] == [[3, 3], [2]]


def test_captions_break_at_a_pause_and_a_sentence_end() -> None:
    spoken = words("Stop. Look here") + words("later words", start=5.0)
    grouped = captions.pages(spoken, CaptionStyle(max_words_per_line=4))
    assert [[w.word for line in page for w in line] for page in grouped] == [
        ["Stop."], ["Look", "here"], ["later", "words"]]


def test_the_ass_file_highlights_each_word_in_turn_by_colour() -> None:
    style = CaptionStyle(highlight="#FFD400", colour="#FFFFFF")
    document = captions.ass_document(words("hello big world"), style)
    events = [line for line in document.splitlines() if line.startswith("Dialogue:")]
    assert len(events) == 3
    assert "{\\c&H0000D4FF&}hello{\\r} big world" in events[0]
    assert "hello {\\c&H0000D4FF&}big{\\r} world" in events[1]
    assert events[0].startswith("Dialogue: 0,0:00:00.00,0:00:00.40,")
    assert "PlayResX: 1080" in document and "PlayResY: 1920" in document


# best moment

def test_auto_trim_prefers_dense_speech_that_opens_with_a_hook() -> None:
    filler = words("so um yeah and then", start=0.0, pace=1.5)
    hook = words("why does nobody tell you this secret? it changes how you edit forever.", start=20.0)
    moment = best_window(filler + hook, length=6.0, total=40.0)
    assert 19.0 <= moment.start <= 20.0 and moment.end == pytest.approx(moment.start + 6.0)
    assert "hook in the first 3 s" in moment.reason and "starts a sentence" in moment.reason


def test_auto_trim_without_speech_keeps_the_opening_and_says_why() -> None:
    moment = best_window([], length=10.0, total=60.0)
    assert (moment.start, moment.end) == (0.0, 10.0) and "no speech" in moment.reason


# probe validation

def info(**streams: object) -> MediaInfo:
    video = Stream(0, "video", "h264", width=1920, height=1080, fps=30.0)
    audio = Stream(1, "audio", "aac", sample_rate=48000, channels=2)
    parts = {"video": video, "audio": audio, **streams}
    chosen = tuple(s for s in parts.values() if s is not None)
    return MediaInfo("/m/clip.mp4", "mp4", 10.0, 1_000_000, None, chosen)  # type: ignore[arg-type]


def test_a_file_without_video_is_refused_plainly() -> None:
    with pytest.raises(MediaError, match="no video stream"):
        usable(info(video=None), max_mb=100, max_minutes=10)


def test_size_and_length_caps_name_their_setting() -> None:
    big = info()
    with pytest.raises(MediaError, match="MAX_INPUT_MB"):
        usable(MediaInfo(big.path, "mp4", 10.0, 50_000_000, None, big.streams), max_mb=10, max_minutes=10)
    with pytest.raises(MediaError, match="MAX_INPUT_MINUTES"):
        usable(MediaInfo(big.path, "mp4", 700.0, 1, None, big.streams), max_mb=10, max_minutes=10)


def test_zero_duration_and_unknown_codecs_are_refused() -> None:
    base = info()
    with pytest.raises(MediaError, match="duration is zero or unreadable"):
        usable(MediaInfo(base.path, "mp4", 0.0, 1, None, base.streams), max_mb=10, max_minutes=10)
    odd = info(video=Stream(0, "video", "made-up-codec", width=10, height=10))
    with pytest.raises(MediaError, match="not supported"):
        usable(odd, max_mb=10, max_minutes=10)


def test_rotated_phone_video_swaps_width_and_height_and_counts_as_vertical() -> None:
    phone = info(video=Stream(0, "video", "h264", width=1920, height=1080, fps=29.97, rotation=90))
    found = usable(phone, max_mb=10, max_minutes=10)
    assert (found.width, found.height, found.vertical) == (1080, 1920, True)


def test_low_frame_rates_are_raised_to_what_platforms_accept() -> None:
    slow = usable(info(video=Stream(0, "video", "h264", width=640, height=360, fps=12.0)),
                  max_mb=10, max_minutes=10)
    assert slow.out_fps == 30.0
    assert usable(info(), max_mb=10, max_minutes=10).out_fps == 30.0


def test_the_crop_is_centred_even_sized_and_9_by_16_even_for_odd_sources() -> None:
    w, h, x, y = graph.crop_box(1921, 1081, 1.0)
    assert (w % 2, h % 2) == (0, 0) and abs(w / h - 9 / 16) < 0.01
    assert x == (1921 - w) // 2 and y == 0
    zoomed = graph.crop_box(1920, 1080, 1.25)
    assert zoomed[1] == 864


def test_punch_ins_follow_the_interval_and_the_scene_cuts() -> None:
    recipe = load_recipe({"interrupts": {"every_s": 4, "at_scene_cuts": True, "duration_s": 0.5}})
    expression = graph.punch_expression(recipe.interrupts, [2.5])
    assert "mod(it,4)" in expression and "between(it,2.500,3.000)" in expression


# progress parsing and encoder choice

def test_progress_reads_microseconds_from_out_time_ms() -> None:
    assert ffrun.parse_out_time("out_time_ms=2500000\n") == 2.5
    assert ffrun.parse_out_time("out_time_ms=N/A") is None
    assert ffrun.parse_out_time("progress=continue") is None


LISTED = frozenset({"libx264", "h264_nvenc"})


def test_auto_uses_nvenc_only_when_a_real_test_encode_worked() -> None:
    working = encoders.choose("auto", encoders.Capabilities(LISTED, True))
    assert working.name == "nvenc" and working.codec == "h264_nvenc"
    failing = encoders.choose("auto", encoders.Capabilities(LISTED, False, "Cannot load libcuda.so.1"))
    assert failing.name == "x264" and "Cannot load libcuda.so.1" in failing.reason
    absent = encoders.choose("auto", encoders.Capabilities(frozenset({"libx264"}), False))
    assert absent.name == "x264" and "no h264_nvenc" in absent.reason


def test_forcing_nvenc_without_a_gpu_falls_back_and_says_so() -> None:
    choice = encoders.choose("nvenc", encoders.Capabilities(LISTED, False, "no device"))
    assert choice.name == "x264" and "VIDEO_ENCODER=nvenc but" in choice.reason


def test_x264_is_used_when_asked_even_if_a_gpu_works() -> None:
    assert encoders.choose("x264", encoders.Capabilities(LISTED, True)).name == "x264"


def test_x264_settings_come_from_the_configuration(settings) -> None:
    tuned = settings.model_copy(update={"x264_preset": "fast", "x264_crf": 18})
    args = encoders.video_args(encoders.choose("x264", encoders.Capabilities(LISTED, True)), tuned)
    assert args["preset"] == "fast" and args["crf"] == 18 and args["vcodec"] == "libx264"


def test_recipes_default_to_youtube_shorts_limits() -> None:
    assert Recipe().max_seconds == 180 and Recipe(target="tiktok").max_seconds == 600
