"""One render, start to finish: probe, transcribe, choose the window, one ffmpeg pass, extras.

Used by the render job and by `ettametta render`; it knows nothing of jobs or chats, it
only reports progress through a callback (which may raise to cancel).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core.config import Settings
from core.media import analysis, captions, encoders, extras, ffrun, framing, graph, loudness
from core.media.best_moment import best_window
from core.media.faces import FaceDetectionUnavailable
from core.media.probe import MediaError, probe
from core.media.recipe import Recipe
from core.media.transcribe import SAMPLE_RATE, Word, decode, transcribe
from core.media.validate import Usable, usable

log = logging.getLogger(__name__)

Report = Callable[[float, str, "float | None"], None]  # (percent, what, eta seconds)
PASS_FROM, PASS_TO = 15.0, 92.0
FACES_FROM = 8.0


@dataclass(frozen=True)
class Targets:
    """Where the three files of a render go."""

    output: Path
    preview: Path
    thumbnail: Path

    @classmethod
    def in_dir(cls, directory: Path) -> Targets:
        return cls(directory / "render.mp4", directory / "preview.mp4", directory / "thumbnail.png")

    @classmethod
    def beside(cls, output: Path) -> Targets:
        stem = output.with_suffix("")
        return cls(output, Path(f"{stem}.preview.mp4"), Path(f"{stem}.thumbnail.png"))


@dataclass(frozen=True)
class RenderResult:
    targets: Targets
    duration_s: float
    size_bytes: int
    width: int
    height: int
    encoder: str
    transcript: list[Word]
    captions: bool
    start: float
    end: float
    wall_s: float
    transcribe_s: float
    pass_s: float
    speech: str = ""
    notes: list[str] = field(default_factory=list)
    sound: loudness.Loudness | None = None  # measured on the output
    fit: str = ""  # the fit drawn: crop, blur, track, split, or centre (track/split found no face)
    people: int | None = None  # faces found at once (fit=track/split only)

    @property
    def realtime_factor(self) -> float:
        return self.duration_s / self.wall_s if self.wall_s else 0.0

    def summary(self) -> str:
        text = (f"Rendered {self.duration_s:.1f} s at {self.width}x{self.height}, "
                f"{self.size_bytes / 1_000_000:.1f} MB, {self.encoder}, "
                f"{self.realtime_factor:.1f}x realtime, {self.speech}"
                f"{f', {self.sound}' if self.sound else ''}.")
        return " ".join([text, *self.notes])


def render(source: Path, targets: Targets, recipe: Recipe, settings: Settings, report: Report,
           choice: encoders.EncoderChoice | None = None) -> RenderResult:
    """Render `source` with `recipe` into `targets`; MediaError says plainly what went wrong."""
    began = time.monotonic()
    report(1, "checking the video", None)
    src = usable(probe(source), max_mb=settings.max_input_mb, max_minutes=settings.max_input_minutes)
    notes: list[str] = []
    start, end = _window(src, recipe)
    words: list[Word] = []
    samples = None
    t0 = time.monotonic()
    if src.has_audio:  # even without captions: the transcript feeds the title proposals
        report(4, "transcribing speech", None)
        samples = decode(src.path)
        words, start, end = _speech(samples, src, recipe, settings, start, end, notes)
    transcribe_s = time.monotonic() - t0
    if end - start > recipe.max_seconds:
        end = start + recipe.max_seconds
        notes.append(f"Cut to {recipe.max_seconds / 60:.0f} min, the {recipe.target} limit.")
    duration = end - start
    timeline = [_clip(w, start, end) for w in words if w.end > start and w.start < end]
    speech = _speech_note(src, recipe, timeline)
    framed, seen_cuts = None, None
    if recipe.reframe.mode in ("track", "split") and not src.vertical:
        framed, seen_cuts = _framing(src, recipe, settings, start, end, timeline, report)
        notes.append(framed.note)
    targets.output.parent.mkdir(parents=True, exist_ok=True)
    choice = choice or encoders.select(settings)
    leveling = _leveling(src, recipe, samples, start, duration, report, notes)
    with tempfile.TemporaryDirectory(prefix="ettametta-render-") as work:
        ass = None
        if recipe.captions.enabled and timeline:
            ass = captions.write_ass(timeline, recipe.captions, Path(work) / "captions.ass")
        cuts: tuple[float, ...] = ()
        if recipe.interrupts.at_scene_cuts:
            report(PASS_FROM - 1, "finding scene cuts", None)
            cuts = seen_cuts if seen_cuts is not None else tuple(extras.scene_cuts(src.path, start, duration))
        job = graph.Pass(src, recipe, start, duration, targets.output, {}, ass,
                         captions.fonts_dir(recipe.captions.font), cuts, leveling, framed)
        pass_s, encoder = _encode(job, choice, settings, report, notes)
    report(PASS_TO, "making the preview", None)
    extras.make_preview(targets.output, targets.preview, extras.preview_start(timeline, duration))
    report(97, "making the thumbnail", None)
    extras.make_thumbnail(targets.output, targets.thumbnail, extras.thumbnail_time(timeline, duration))
    heard = _sound_check(targets.output, leveling)
    made = probe(targets.output)
    video = made.video
    assert video is not None
    return RenderResult(
        targets=targets, duration_s=made.duration_s or duration, size_bytes=made.size_bytes,
        width=video.width or 0, height=video.height or 0, encoder=encoder, transcript=timeline,
        captions=ass is not None, start=start, end=end, wall_s=time.monotonic() - began,
        transcribe_s=transcribe_s, pass_s=pass_s, speech=speech, notes=notes, sound=heard,
        fit=framed.fit if framed else recipe.reframe.mode, people=framed.people if framed else None,
    )


def _window(src: Usable, recipe: Recipe) -> tuple[float, float]:
    start = recipe.trim.start
    if start >= src.duration_s:
        raise MediaError(f"the trim starts at {start:g} s but the video is only {src.duration_s:.1f} s long.")
    end = min(recipe.trim.end or src.duration_s, src.duration_s)
    return start, end


def _speech(samples: Any, src: Usable, recipe: Recipe, settings: Settings, start: float, end: float,
            notes: list[str]) -> tuple[list[Word], float, float]:
    """Transcribe the window (or everything, to choose the best moment); words on source time."""
    if recipe.trim.auto_seconds:
        words = transcribe(samples, model_name=settings.whisper_model)
        moment = best_window(words, recipe.trim.auto_seconds, src.duration_s)
        notes.append(f"Kept {moment.start:.1f}–{moment.end:.1f} s ({moment.reason}).")
        return words, moment.start, moment.end
    window = samples[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)]
    return transcribe(window, model_name=settings.whisper_model, offset=start), start, end


def _framing(src: Usable, recipe: Recipe, settings: Settings, start: float, end: float,
             words: list[Word], report: Report) -> tuple[framing.Framing, tuple[float, ...] | None]:
    """Faces and scene cuts of the window (looked at once per source, then cached), and the
    moving crops that follow them; the scene cuts are returned for punch-ins to reuse."""
    def looked(fraction: float) -> None:
        report(FACES_FROM + (PASS_FROM - 1 - FACES_FROM) * fraction, "finding faces", None)

    report(FACES_FROM, "finding faces", None)
    try:
        seen = analysis.analyse(src, start, end, settings.data_dir, looked).window(start, end)
    except FaceDetectionUnavailable as exc:
        log.warning("face detection unavailable: %s", exc)
        return framing.centre(f"Fit: {recipe.reframe.mode} unavailable ({exc}) — centre crop."), None
    w, h, _x, _y = graph.crop_box(src.width, src.height, recipe.zoom)
    framed = framing.plan(seen, [(word.start, word.end) for word in words], fit=recipe.reframe.mode,
                          frame=(src.width, src.height), crop=(w, h), fps=src.out_fps)
    return framed, seen.cuts


def _leveling(src: Usable, recipe: Recipe, samples: Any, start: float, duration: float,
              report: Report, notes: list[str]) -> loudness.Leveling | None:
    """The measured loudness chain for the kept window (None: audio as recorded, or silent)."""
    if samples is None or not recipe.loudnorm:
        return None
    report(PASS_FROM - 2, "measuring loudness", None)
    window = samples[int(start * SAMPLE_RATE):int((start + duration) * SAMPLE_RATE)]
    leveling = loudness.plan(src.path, start, duration, loudness.speech_level(window, SAMPLE_RATE))
    if leveling is not None and leveling.shortfall:
        notes.append(leveling.shortfall)
    return leveling


def _sound_check(output: Path, leveling: loudness.Leveling | None) -> loudness.Loudness:
    """The output's measured loudness; MediaError if it breaks the loudness promise."""
    heard = loudness.measure(output)
    trouble = loudness.problem(heard, leveling) if leveling is not None else None
    if trouble:
        raise MediaError(f"the render failed its sound check: {trouble}.")
    return heard


def _speech_note(src: Usable, recipe: Recipe, timeline: list[Word]) -> str:
    if not src.has_audio:
        return "no captions (the video has no audio; a silent track was added)"
    if not recipe.captions.enabled:
        return "captions off"
    if not timeline:
        return "no captions (no speech found)"
    return f"captions from {len(timeline)} words"


def _clip(word: Word, start: float, end: float) -> Word:
    """A word on the output's timeline (0 = the first kept frame)."""
    return Word(word.word, max(0.0, word.start - start), min(end, word.end) - start)


def _encode(job: graph.Pass, choice: encoders.EncoderChoice, settings: Settings, report: Report,
            notes: list[str]) -> tuple[float, str]:
    """The single pass; if NVENC fails mid-way, once more on x264, and the result says so."""
    def on_progress(fraction: float, eta: float | None) -> None:
        report(PASS_FROM + (PASS_TO - PASS_FROM) * fraction, f"encoding with {choice.name}", eta)

    if choice.name == "nvenc":
        slots = encoders.gpu_slots(settings.gpu_slots)
        while not slots.acquire(timeout=2):
            report(PASS_FROM, "waiting for a free GPU encoder", None)
        try:
            return _run_pass(job, choice, settings, on_progress), encoders.FFMPEG_CODEC["nvenc"]
        except ffrun.FfmpegFailed as exc:
            log.warning("NVENC failed (%s); rendering again with libx264", exc)
            notes.append(f"NVENC failed ({exc}); rendered again on the CPU with libx264.")
            choice = encoders.choose("x264", encoders.Capabilities(frozenset(), False))
        finally:
            slots.release()
    elif "VIDEO_ENCODER=nvenc" in choice.reason:
        notes.append(f"Encoded with {choice.reason}.")
    return _run_pass(job, choice, settings, on_progress), encoders.FFMPEG_CODEC[choice.name]


def _run_pass(job: graph.Pass, choice: encoders.EncoderChoice, settings: Settings,
              on_progress: ffrun.Progress) -> float:
    job = replace(job, video_args=encoders.video_args(choice, settings))
    return ffrun.run(graph.argv(job), job.duration, on_progress)
