"""`fit=track` and `fit=split`: from what the analysis saw to the crops the render pass draws.

`track` follows one person with a 9:16 crop (the speaker, else the most prominent face);
`split` stacks two 1080x960 crops, one person each, while two faces are both in shot and too
far apart for one 9:16 frame, and follows one person otherwise. With no face in the window
both fall back to the centre crop, and the render summary says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ffmpeg
import numpy as np

from core.media import camera, tracking
from core.media.analysis import Analysis
from core.media.recipe import OUTPUT_HEIGHT, OUTPUT_WIDTH

HALF = (OUTPUT_WIDTH, OUTPUT_HEIGHT // 2)  # each part of a split: 1080x960
HALF_FACE_SHARE = 0.3  # a face fills about this much of a split part's height
EXTEND_S = 0.4  # a face keeps its speed this long past its first and last sample
SPLIT_APART = 0.75  # of the 9:16 crop's width: two faces farther apart than this get a split


@dataclass(frozen=True)
class Crop:
    """A crop of w x h source pixels whose corner moves with the frame number (ffmpeg expressions)."""

    w: int
    h: int
    x: str
    y: str

    def apply(self, stream: Any) -> Any:
        return stream.filter("crop", w=self.w, h=self.h, x=self.x, y=self.y, exact=1)


@dataclass(frozen=True)
class Framing:
    """What the render pass draws: a moving 9:16 crop, and for split two moving halves shown
    while `stacked` (an expression of n; None means throughout)."""

    fit: str
    single: Crop | None
    halves: tuple[Crop, Crop] | None = None
    stacked: str | None = None
    people: int = 0
    note: str = ""

    def compose(self, stream: Any) -> Any:
        """The split layout at 1080x1920: two halves stacked, over the single crop when the
        layout changes during the clip."""
        assert self.halves is not None
        count = 3 if self.stacked is not None else 2
        parts = stream.filter_multi_output("split", count)
        top, bottom = (half.apply(parts.stream(i)).filter("scale", w=HALF[0], h=HALF[1], flags="bicubic")
                       for i, half in enumerate(self.halves))
        stacked = ffmpeg.filter([top, bottom], "vstack", inputs=2)
        if self.stacked is None:
            return stacked
        assert self.single is not None
        single = self.single.apply(parts.stream(2)).filter("scale", w=OUTPUT_WIDTH, h=OUTPUT_HEIGHT,
                                                             flags="bicubic")
        return ffmpeg.overlay(single, stacked, x=0, y=0, enable=self.stacked)


def centre(note: str) -> Framing:
    """The fixed centre crop, with the line the summary shows about it."""
    return Framing("centre", None, note=note)


def plan(analysis: Analysis, words: Sequence[tuple[float, float]], *, fit: str, frame: tuple[int, int],
         crop: tuple[int, int], fps: float) -> Framing:
    """The framing of one render window: `analysis` on the output's timeline (0 = first frame),
    `words` the (start, end) of each spoken word, `frame` the source's display size and `crop`
    the 9:16 crop size, in pixels; `fps` the output rate."""
    tracks = tracking.build_tracks(analysis)
    people = tracking.people(analysis.samples)
    if not tracks or people == 0:
        return centre(f"Fit: {fit} — no face found — centre crop.")
    width, height = frame
    apart = SPLIT_APART * crop[0] / width if fit == "split" else None
    segments = tracking.plan(analysis, tracks, tracking.speech_spans(words), split_apart=apart)
    if not any(s.subjects for s in segments):
        return centre(f"Fit: {fit} — no face found — centre crop.")
    frames = max(1, round(analysis.end * fps))
    by_id = {track.id: track for track in tracks}
    new_shots = {0.0, *analysis.cuts}
    single_box = camera.Box(width, height, *crop)
    single = _path(segments, by_id, single_box, fps, frames, new_shots, slot=None)
    split_frames = sum(_frame(s.end, fps, frames) - _frame(s.start, fps, frames) for s in segments if s.split)
    note = _note(fit, people, segments, split_frames / fps, analysis.end)
    single_crop = Crop(crop[0], crop[1], single.x_expression(), single.y_expression())
    if not split_frames:
        return Framing("track", single_crop, people=people, note=note)
    half_box = _half_box(segments, by_id, width, height)
    halves = tuple(_path(segments, by_id, half_box, fps, frames, new_shots, slot=slot) for slot in (0, 1))
    crops = tuple(Crop(half_box.crop_w, half_box.crop_h, p.x_expression(), p.y_expression()) for p in halves)
    stacked = None if split_frames >= frames else _when(segments, fps, frames)
    return Framing("split", single_crop if stacked else None, (crops[0], crops[1]), stacked, people, note)


def _path(segments: list[tracking.Segment], tracks: dict[int, tracking.Track], box: camera.Box, fps: float,
          frames: int, new_shots: set[float], slot: int | None) -> camera.Path:
    """The camera path of the single crop (slot None: segments with one subject) or of one half
    of the split (slot 0 top, 1 bottom: split segments); other segments hold still."""
    stretches = []
    for segment in segments:
        first, last = _frame(segment.start, fps, frames), _frame(segment.end, fps, frames)
        if last <= first:
            continue
        if slot is None:
            wanted = segment.subjects[0] if len(segment.subjects) == 1 else None
        else:
            wanted = segment.subjects[slot] if segment.split else None
        aim = _aim(tracks[wanted], box, first, last, fps) if wanted is not None else None
        new_shot = any(abs(segment.start - cut) < 1e-6 for cut in new_shots)
        stretches.append(camera.Stretch(first, last, aim, new_shot))
    return camera.follow(stretches, box, fps)


def _aim(track: tracking.Track, box: camera.Box, first: int, last: int, fps: float) -> np.ndarray:
    """Where the crop centre should be in each frame to frame this face: its samples
    interpolated, and carried on at the same speed for a moment past its first and last sample."""
    times = np.asarray(track.times)
    xs = np.asarray([f.cx * box.frame_w for f in track.faces])
    ys = np.asarray([f.cy * box.frame_h for f in track.faces])
    if len(times) >= 2:
        times = np.concatenate([[times[0] - EXTEND_S], times, [times[-1] + EXTEND_S]])
        xs, ys = (np.concatenate([[v[0] - (v[1] - v[0]) / (times[2] - times[1]) * EXTEND_S], v,
                                  [v[-1] + (v[-1] - v[-2]) / (times[-2] - times[-3]) * EXTEND_S]])
                  for v in (xs, ys))
    wanted = np.arange(first, last) / fps
    return np.stack(box.place(np.interp(wanted, times, xs), np.interp(wanted, times, ys)), axis=1)


def _half_box(segments: list[tracking.Segment], tracks: dict[int, tracking.Track], width: int,
              height: int) -> camera.Box:
    """One size for both halves of a split: the faces fill about HALF_FACE_SHARE of the height,
    and each half spans at most half the picture's width (one person each)."""
    faces = [f.h for s in segments if s.split for i in s.subjects for f in tracks[i].faces]
    crop_h = min(height, max(0.45 * height, float(np.median(faces)) * height / HALF_FACE_SHARE))
    crop_w = min(crop_h * HALF[0] / HALF[1], width / 2)
    crop_h = crop_w * HALF[1] / HALF[0]
    return camera.Box(width, height, int(crop_w) // 2 * 2, int(crop_h) // 2 * 2)


def _when(segments: list[tracking.Segment], fps: float, frames: int) -> str:
    spans = [(_frame(s.start, fps, frames), _frame(s.end, fps, frames)) for s in segments if s.split]
    return camera.balanced_sum([f"between(n,{a},{b - 1})" for a, b in spans if b > a])


def _frame(t: float, fps: float, frames: int) -> int:
    return min(frames, max(0, round(t * fps)))


def _note(fit: str, people: int, segments: list[tracking.Segment], split_s: float, duration: float) -> str:
    found = f"{people} {'person' if people == 1 else 'people'} found"
    who = "followed the speaker" if any(s.speaking for s in segments) else \
        "followed the most prominent face"
    cuts = len(segments) - 1
    moves = f"; cut {cuts} time{'s' if cuts != 1 else ''}, at a change of shot or person" if cuts else ""
    if fit == "split" and split_s >= duration - 0.05:
        return f"Fit: split — {found}, two stacked top and bottom throughout{moves}."
    if fit == "split" and split_s > 0:
        return (f"Fit: split — {found}; two stacked for {split_s:.1f} of {duration:.1f} s, "
                f"otherwise {who}{moves}.")
    if fit == "split":
        return f"Fit: split — {found}, never two far apart at once, so {who} (track){moves}."
    return f"Fit: track — {found}, {who}{moves}."
