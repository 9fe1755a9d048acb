"""Look at a source once: faces a few times a second and every scene cut, cached by its content.

One ffmpeg process decodes the window once (skipping the frames nothing refers to, and the
deblocking, which a detector does not need) and feeds two branches: `SAMPLE_FPS` frames a
second scaled to `ANALYSIS_HEIGHT` for the face finder, and a 160-pixel copy of every decoded
frame for scene-cut detection (the same test `extras.scene_cuts` uses). The result is kept in
the source cache (`core/media/source_cache.py`) as spans of source time, so a second render of
any part of an analysed span, or the clip finder after a render, decodes nothing.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from core.media import extras, ffrun, source_cache
from core.media.faces import Face, FaceFinder
from core.media.validate import Usable

log = logging.getLogger(__name__)

SAMPLE_FPS = 4.0
ANALYSIS_HEIGHT = 480
CACHE_NAME = "faces-v1"
_EDGE = 0.02  # seconds of slack when matching a window to a cached span

Progress = Callable[[float], None]  # fraction 0–1 of the window looked at (may raise to stop)


@dataclass(frozen=True)
class Sample:
    """The faces seen at time `t` (seconds)."""

    t: float
    faces: tuple[Face, ...]


@dataclass(frozen=True)
class Analysis:
    """What one look at [start, end] of a source found: face samples and scene cut times, in
    seconds of the source's own timeline (0 = its first frame)."""

    start: float
    end: float
    samples: tuple[Sample, ...]
    cuts: tuple[float, ...]

    def window(self, start: float, end: float) -> Analysis:
        """The part inside [start, end], with times moved so that `start` is 0 (the output's timeline)."""
        samples = tuple(Sample(round(s.t - start, 3), s.faces) for s in self.samples if start <= s.t < end)
        cuts = tuple(round(c - start, 3) for c in self.cuts if start < c < end)
        return Analysis(0.0, round(end - start, 3), samples, cuts)

    def covers(self, start: float, end: float) -> bool:
        return self.start <= start + _EDGE and self.end >= end - _EDGE

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "cuts": list(self.cuts),
                "samples": [[s.t, [f.to_json() for f in s.faces]] for s in self.samples]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Analysis:
        samples = tuple(Sample(t, tuple(Face.from_json(f) for f in faces)) for t, faces in data["samples"])
        return cls(data["start"], data["end"], samples, tuple(data["cuts"]))


def analyse(src: Usable, start: float, end: float, data_dir: Path,
            progress: Progress | None = None) -> Analysis:
    """Faces and scene cuts of [start, end] of the source (seconds), from the cache when a
    previous look covered it. Raises MediaError (ffmpeg's) when the video cannot be decoded."""
    key = source_cache.source_key(src.path)
    spans = [Analysis.from_json(span) for span in
             (source_cache.read(data_dir, key, CACHE_NAME) or {}).get("spans", [])]
    for span in spans:
        if span.covers(start, end):
            return span
    began = time.monotonic()
    found = _look(src, start, end, progress)
    log.info("analysed %.1f s of %s in %.1f s: %d samples, %d cuts", end - start, src.path.name,
             time.monotonic() - began, len(found.samples), len(found.cuts))
    kept = [span for span in spans if not (start <= span.start and span.end <= end)]
    source_cache.write(data_dir, key, CACHE_NAME, {"spans": [s.to_json() for s in [*kept, found]]})
    return found


def analysis_size(src: Usable) -> tuple[int, int]:
    """The (width, height) frames are analysed at: `ANALYSIS_HEIGHT` high (or the source's own
    height when smaller), same shape as the picture, even numbers."""
    height = min(ANALYSIS_HEIGHT, src.height) // 2 * 2
    width = max(2, round(height * src.width / src.height / 2) * 2)
    return width, height


def _look(src: Usable, start: float, end: float, progress: Progress | None) -> Analysis:
    width, height = analysis_size(src)
    finder = FaceFinder()
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="ettametta-analysis-") as work:
        cuts_file = Path(work) / "cuts.txt"
        argv = _argv(src.path, start, end - start, width, height, cuts_file)
        for index, raw in enumerate(ffrun.frames(argv, width * height * 3)):
            frame = np.frombuffer(raw, np.uint8).reshape(height, width, 3)
            samples.append(Sample(round(start + index / SAMPLE_FPS, 3), finder.find(frame)))
            if progress is not None and index % 8 == 0:
                progress(min(1.0, index / SAMPLE_FPS / max(end - start, 1e-3)))
        cuts = tuple(round(start + t, 3) for t in _cut_times(cuts_file))
    return Analysis(start, end, _around_cuts(samples, cuts, src.fps), cuts)


def _argv(path: Path, start: float, duration: float, width: int, height: int, cuts_file: Path) -> list[str]:
    options: dict[str, Any] = {"skip_frame": "noref", "skip_loop_filter": "all", "t": f"{duration:.3f}"}
    if start > 0:
        options["ss"] = f"{start:.3f}"
    video = ffmpeg.input(str(path), **options).video.filter("setpts", expr="PTS-STARTPTS")
    branches = video.filter_multi_output("split", 2)
    sampled = (branches.stream(0).filter("fps", fps=f"{SAMPLE_FPS:g}")
               .filter("scale", w=width, h=height, flags="area"))
    scenes = extras.scene_changes(branches.stream(1)).filter("metadata", mode="print",
                                                             file=str(cuts_file))
    outputs = ffmpeg.merge_outputs(ffmpeg.output(sampled, "pipe:", format="rawvideo", pix_fmt="rgb24"),
                                   ffmpeg.output(scenes, "-", format="null"))
    return outputs.global_args("-hide_banner", "-nostdin", "-loglevel", "error").compile()


def _cut_times(cuts_file: Path) -> list[float]:
    try:
        text = cuts_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [float(t) for t in re.findall(r"pts_time:([0-9.]+)", text) if float(t) > 0]


def _around_cuts(samples: list[Sample], cuts: tuple[float, ...], fps: float) -> tuple[Sample, ...]:
    """Drop samples too close to a cut to say which shot they show, and forget the mouth
    movement measured across a cut (it compares two different shots)."""
    frame = 1.0 / max(fps, 1.0)
    kept: list[Sample] = []
    for index, sample in enumerate(samples):
        if any(abs(sample.t - cut) < frame for cut in cuts):
            continue
        previous = samples[index - 1].t if index else sample.t
        if any(previous < cut <= sample.t for cut in cuts):
            sample = Sample(sample.t, tuple(Face(f.cx, f.cy, f.w, f.h, f.score, None) for f in sample.faces))
        kept.append(sample)
    return tuple(kept)
