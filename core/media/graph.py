"""The whole edit as ONE ffmpeg filter graph (ffmpeg-python), so the video is decoded and
encoded exactly once.

Order matters for speed: colour work (eq, curves, lut3d) runs at the source's crop size,
then a single scale (or the punch-in zoompan, which scales as it zooms) brings it to
1080x1920, and the captions are drawn last at full resolution so they stay crisp.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from core.media import loudness
from core.media.framing import Framing
from core.media.recipe import OUTPUT_HEIGHT, OUTPUT_WIDTH, Grade, Interrupts, Recipe
from core.media.validate import Usable

AUDIO_RATE = 48_000

# named looks, as eq settings and per-channel curves
LOOK_EQ: dict[str, dict[str, float]] = {
    "warm": {"saturation": 1.08},
    "punchy": {"contrast": 1.12, "saturation": 1.35},
    "cinematic": {"contrast": 1.08, "saturation": 0.85},
    "mono": {"saturation": 0.0, "contrast": 1.1},
}
LOOK_CURVES: dict[str, dict[str, str]] = {
    "warm": {"r": "0/0 0.5/0.56 1/1", "b": "0/0 0.5/0.44 1/1"},
    "cool": {"r": "0/0 0.5/0.45 1/1", "b": "0/0 0.5/0.56 1/1"},
    "cinematic": {"r": "0/0 0.25/0.22 0.75/0.80 1/1", "b": "0/0.04 0.25/0.30 0.75/0.70 1/0.95"},
    "vintage": {"preset": "vintage"},
}


@dataclass(frozen=True)
class Pass:
    """Everything one render pass needs, already decided (window, captions file, encoder)."""

    source: Usable
    recipe: Recipe
    start: float
    duration: float
    output: Path
    video_args: dict[str, Any]
    ass_path: Path | None = None
    fonts_dir: str | None = None
    scene_cuts: tuple[float, ...] = ()
    leveling: loudness.Leveling | None = None  # None: the audio as recorded
    framing: Framing | None = None  # fit=track/split: the moving crops (None: a fixed centre crop)


def argv(job: Pass, ffmpeg_bin: str = "ffmpeg") -> list[str]:
    """The ffmpeg command line for the pass, with machine-readable progress on stdout."""
    src = job.source
    inp = ffmpeg.input(str(src.path), **({"ss": f"{job.start:.3f}"} if job.start > 0 else {}),
                       t=f"{job.duration:.3f}")
    video = _video(inp.video, job)
    audio = _audio(inp, job)
    out = ffmpeg.output(
        video, audio, str(job.output),
        acodec="aac", audio_bitrate="160k", ar=AUDIO_RATE, ac=2, t=f"{job.duration:.3f}",
        r=f"{src.out_fps:.6g}", movflags="+faststart", **job.video_args,
    )
    out = out.global_args("-hide_banner", "-nostdin", "-loglevel", "error", "-nostats",
                          "-progress", "pipe:1")
    return out.overwrite_output().compile(cmd=ffmpeg_bin)


def _video(stream: Any, job: Pass) -> Any:
    src, recipe = job.source, job.recipe
    stream = stream.filter("fps", fps=f"{src.out_fps:.6g}")
    framing = job.framing
    if framing is not None and framing.halves is not None:
        stream = _pixels(framing.compose(stream), recipe)
        if recipe.interrupts.enabled:
            stream = _punch_ins(stream, recipe.interrupts, job)
    elif recipe.reframe.mode != "blur" or src.vertical:
        stream = _crop(stream, src, recipe.zoom, framing)
        stream = _pixels(stream, recipe)
        stream = _to_output_size(stream, recipe.interrupts, job)
    else:
        stream = _pixels(stream, recipe)
        stream = _blur_fit(stream, src, recipe.zoom)
        if recipe.interrupts.enabled:
            stream = _punch_ins(stream, recipe.interrupts, job)
    if job.ass_path is not None:
        options = {"filename": str(job.ass_path)}
        if job.fonts_dir:
            options["fontsdir"] = job.fonts_dir
        stream = stream.filter("ass", **options)
    return stream


def crop_box(width: int, height: int, zoom: float) -> tuple[int, int, int, int]:
    """The centred 9:16 window (w, h, x, y) inside a width x height frame, tightened by `zoom`."""
    if width / height > 9 / 16:
        crop_h = height / zoom
        crop_w = crop_h * 9 / 16
    else:
        crop_w = width / zoom
        crop_h = crop_w * 16 / 9
    w, h = _even(crop_w), _even(crop_h)
    return w, h, (width - w) // 2, (height - h) // 2


def _crop(stream: Any, src: Usable, zoom: float, framing: Framing | None) -> Any:
    if framing is not None and framing.single is not None:
        return framing.single.apply(stream)
    w, h, x, y = crop_box(src.width, src.height, zoom)
    if (w, h) == (src.width, src.height):
        return stream
    return stream.filter("crop", w=w, h=h, x=x, y=y)


def _pixels(stream: Any, recipe: Recipe) -> Any:
    if recipe.mirror:
        stream = stream.filter("hflip")
    return _grade(stream, recipe.grade)


def _grade(stream: Any, grade: Grade) -> Any:
    if grade.look in LOOK_EQ:
        stream = stream.filter("eq", **LOOK_EQ[grade.look])
    if grade.look in LOOK_CURVES:
        stream = stream.filter("curves", **LOOK_CURVES[grade.look])
    if grade.lut:
        # lut3d interpolates in float far faster than on packed 8-bit RGB
        stream = stream.filter("format", pix_fmts="gbrpf32le").filter("lut3d", file=grade.lut)
        stream = stream.filter("format", pix_fmts="yuv420p")
    return stream


def _to_output_size(stream: Any, interrupts: Interrupts, job: Pass) -> Any:
    if interrupts.enabled:
        return _punch_ins(stream, interrupts, job)
    return stream.filter("scale", w=OUTPUT_WIDTH, h=OUTPUT_HEIGHT, flags="bicubic")


def _blur_fit(stream: Any, src: Usable, zoom: float) -> Any:
    """The whole frame, fitted to the width, over a blurred, cropped copy of itself."""
    parts = stream.filter_multi_output("split", 2)
    w, h, x, y = crop_box(src.width, src.height, zoom)
    background = (
        parts.stream(0)
        .filter("crop", w=w, h=h, x=x, y=y)
        .filter("scale", w=OUTPUT_WIDTH // 4, h=OUTPUT_HEIGHT // 4)
        .filter("boxblur", luma_radius=12, luma_power=2)
        .filter("scale", w=OUTPUT_WIDTH, h=OUTPUT_HEIGHT)
    )
    fit_h = min(OUTPUT_HEIGHT, _even(OUTPUT_WIDTH * src.height / src.width * zoom))
    fit_w = min(OUTPUT_WIDTH, _even(fit_h * src.width / src.height))
    foreground = parts.stream(1).filter("scale", w=fit_w, h=fit_h)
    return ffmpeg.overlay(background, foreground, x=(OUTPUT_WIDTH - fit_w) // 2,
                          y=(OUTPUT_HEIGHT - fit_h) // 2)


def _punch_ins(stream: Any, interrupts: Interrupts, job: Pass) -> Any:
    """Hard punch-in zooms (smooth zooms jitter); zoompan's fps must match the source's."""
    zoom = punch_expression(interrupts, job.scene_cuts)
    return stream.filter(
        "zoompan", z=zoom, x="iw/2-(iw/zoom/2)", y="ih/2-(ih/zoom/2)", d=1,
        s=f"{OUTPUT_WIDTH}x{OUTPUT_HEIGHT}", fps=f"{job.source.out_fps:.6g}",
    )


def punch_expression(interrupts: Interrupts, scene_cuts: Sequence[float]) -> str:
    """zoompan's zoom: `strength` while inside a punch-in window, else 1 (`it` = input time)."""
    length, strength = interrupts.duration_s, interrupts.strength
    terms = []
    if interrupts.every_s:
        every = interrupts.every_s
        terms.append(f"gte(it,{every:g})*lt(mod(it,{every:g}),{length:g})")
    if interrupts.at_scene_cuts:
        terms += [f"between(it,{cut:.3f},{cut + length:.3f})" for cut in scene_cuts]
    if not terms:
        return "1"
    return f"if(gt({'+'.join(terms)},0),{strength:g},1)"


def _audio(inp: Any, job: Pass) -> Any:
    if not job.source.has_audio:
        # platforms reject video with no audio track: add silence
        return ffmpeg.input(f"anullsrc=channel_layout=stereo:sample_rate={AUDIO_RATE}", f="lavfi",
                            t=f"{job.duration:.3f}").audio
    audio = inp.audio
    if job.leveling is not None:
        audio = loudness.normalised(audio, job.leveling, AUDIO_RATE)
    return audio


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)
