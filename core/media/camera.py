"""The virtual camera: where a fixed-size crop sits in every output frame, moved like an operator.

Inside a stretch that follows one face the crop
  * ignores small head movements (a dead zone around where the face should be),
  * moves with limited speed and acceleration, starting a little ahead of the face (the whole
    path is known in advance, so it anticipates instead of lagging),
  * keeps the face centred across and in the upper-middle of the frame, clear of the captions.
Between stretches (a scene cut, or a change of subject) it *cuts*: the first frame of the new
stretch is already in place; it never pans across a cut.

Positions are crop centres in source display pixels. The path becomes two ffmpeg expressions
of the frame number `n` (`crop=x=…:y=…`): piecewise-linear ramps plus steps at the cuts,
simplified to within half a pixel, so it runs inside the one filter graph of the render pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FACE_HEIGHT_AT = 0.38  # the face centre sits this far down the crop (leaves the caption zone free)
SMALL_JUMP = 0.08  # of the crop width: a change of subject closer than this pans instead of cutting
TOLERANCE_PX = 0.5
MAX_TERMS = 1500  # ~35 kB of expression per axis: the whole graph stays one command-line argument


@dataclass(frozen=True)
class Motion:
    """How the camera moves; distances in crop widths, times in seconds."""

    dead_zone: float = 0.05
    max_speed: float = 1.2
    max_accel: float = 3.0
    response: float = 0.3
    lookahead: float = 0.25
    smoothing: float = 0.5


@dataclass(frozen=True)
class Box:
    """A crop of `crop_w` x `crop_h` moving inside a `frame_w` x `frame_h` picture (pixels)."""

    frame_w: int
    frame_h: int
    crop_w: int
    crop_h: int

    def centre(self) -> tuple[float, float]:
        return self.frame_w / 2, self.frame_h / 2

    def place(self, face_x: float, face_y: float) -> tuple[float, float]:
        """The crop centre that puts a face at (face_x, face_y) across the middle, upper part."""
        return face_x, face_y + (0.5 - FACE_HEIGHT_AT) * self.crop_h


@dataclass(frozen=True)
class Stretch:
    """Frames [first, last) following `aim` (crop centres wanted per frame, shape (n, 2)), or
    holding still when `aim` is None; `new_shot` when a scene cut starts it."""

    first: int
    last: int
    aim: np.ndarray | None
    new_shot: bool


@dataclass(frozen=True)
class Path:
    """Crop top-left corners per output frame (pixels) and the frames where the crop jumps."""

    x: np.ndarray
    y: np.ndarray
    cuts: tuple[int, ...]

    def x_expression(self) -> str:
        return expression(self.x, self.cuts)

    def y_expression(self) -> str:
        return expression(self.y, self.cuts)


def follow(stretches: Sequence[Stretch], box: Box, fps: float, motion: Motion = Motion()) -> Path:
    """The crop's path through all stretches (they cover the frames in order, without gaps)."""
    frames = stretches[-1].last if stretches else 0
    centres = np.zeros((frames, 2))
    cuts: list[int] = []
    position = np.array(box.centre())
    velocity = np.zeros(2)
    for stretch in stretches:
        count = stretch.last - stretch.first
        if count <= 0:
            continue
        aim = _clamp(stretch.aim, box) if stretch.aim is not None else None
        if aim is None:
            start = np.array(box.centre()) if stretch.new_shot else position
            jump = stretch.new_shot
            centres[stretch.first:stretch.last] = start
            velocity = np.zeros(2)
        else:
            aim = _smooth(aim, max(1, round(motion.smoothing * fps)))
            jump = stretch.new_shot or abs(aim[0, 0] - position[0]) > SMALL_JUMP * box.crop_w
            start = aim[0] if jump else position
            if jump:
                velocity = np.zeros(2)
            centres[stretch.first:stretch.last], velocity = _operate(aim, start, velocity, box, fps, motion)
        if jump and stretch.first > 0 and not np.allclose(start, position):
            cuts.append(stretch.first)
        position = centres[stretch.last - 1]
    x = np.clip(centres[:, 0] - box.crop_w / 2, 0, box.frame_w - box.crop_w)
    y = np.clip(centres[:, 1] - box.crop_h / 2, 0, box.frame_h - box.crop_h)
    return Path(x, y, tuple(cuts))


def _clamp(aim: np.ndarray, box: Box) -> np.ndarray:
    low = np.array([box.crop_w / 2, box.crop_h / 2])
    high = np.array([box.frame_w - box.crop_w / 2, box.frame_h - box.crop_h / 2])
    return np.clip(aim, low, high)


def _smooth(aim: np.ndarray, width: int) -> np.ndarray:
    """A centred moving average (the detector's jitter gone), edges held."""
    if width <= 1 or len(aim) < 2:
        return aim
    padded = np.pad(aim, ((width // 2, width - 1 - width // 2), (0, 0)), mode="edge")
    kernel = np.ones(width) / width
    return np.stack([np.convolve(padded[:, axis], kernel, mode="valid") for axis in range(2)], axis=1)


def _operate(aim: np.ndarray, start: np.ndarray, velocity: np.ndarray, box: Box, fps: float,
             motion: Motion) -> tuple[np.ndarray, np.ndarray]:
    """Move like an operator toward the aim a little ahead, each axis on its own (see _axis)."""
    low, high = (box.crop_w / 2, box.crop_h / 2), (box.frame_w - box.crop_w / 2, box.frame_h - box.crop_h / 2)
    axes = [_axis(aim[:, i].tolist(), float(start[i]), float(velocity[i]), low[i], high[i], float(box.crop_w),
                  fps, motion) for i in (0, 1)]
    return np.stack([axes[0][0], axes[1][0]], axis=1), np.array([axes[0][1], axes[1][1]])


def _axis(aim: list[float], position: float, velocity: float, low: float, high: float, scale: float,
          fps: float, motion: Motion) -> tuple[np.ndarray, float]:
    """Start once the face leaves the dead zone, re-centre it, stop; never faster than max_speed
    nor changing speed faster than max_accel. Returns the positions and the final velocity."""
    dt = 1.0 / fps
    dead, speed, step = motion.dead_zone * scale, motion.max_speed * scale, motion.max_accel * scale * dt
    ahead, last = max(0, round(motion.lookahead * fps)), len(aim) - 1
    moving = False
    out = []
    for index in range(len(aim)):
        error = aim[min(index + ahead, last)] - position
        if abs(error) > dead:
            moving = True
        elif abs(error) < dead * 0.2 and abs(velocity) < 2 * step:
            moving = False
        wanted = max(-speed, min(speed, error / motion.response)) if moving else 0.0
        velocity += max(-step, min(step, wanted - velocity))
        position += velocity * dt
        if not low <= position <= high:
            position, velocity = max(low, min(high, position)), 0.0
        out.append(position)
    return np.asarray(out), velocity


def expression(values: np.ndarray, cuts: Sequence[int]) -> str:
    """`values[n]` as an ffmpeg expression of the frame number n: ramps between the key frames
    of a simplified path plus a step at each cut (within TOLERANCE_PX, coarser only for very long
    paths, to keep under MAX_TERMS). ffmpeg refuses a flat sum of ~100 terms, so the terms are
    added as a balanced tree of parentheses."""
    if len(values) == 0:
        return "0"
    tolerance = TOLERANCE_PX
    while len(keys := _key_frames(values, cuts, tolerance)) > MAX_TERMS:
        tolerance *= 2
    terms = [f"{values[0]:.1f}"]
    for a, b in zip(keys, keys[1:], strict=False):
        change = values[b] - values[a]
        if abs(change) < 0.05:
            continue
        if b in cuts:
            terms.append(f"{change:.1f}*gte(n,{b})")
        else:
            terms.append(f"{change / (b - a):.4f}*clip(n-{a},0,{b - a})")
    return balanced_sum(terms)


def balanced_sum(terms: list[str]) -> str:
    """Terms added as a balanced tree: ffmpeg refuses a flat sum of about 100 terms."""
    if len(terms) == 1:
        return terms[0]
    middle = len(terms) // 2
    return f"({balanced_sum(terms[:middle])}+{balanced_sum(terms[middle:])})"


def _key_frames(values: np.ndarray, cuts: Sequence[int], tolerance: float) -> list[int]:
    """Frame numbers where the simplified path bends: the ends, each cut and the frame before it,
    and what Ramer–Douglas–Peucker keeps between them."""
    edges = sorted({0, len(values) - 1, *cuts, *(c - 1 for c in cuts)})
    keys = set(edges)
    for first, last in zip(edges, edges[1:], strict=False):
        if last not in cuts:
            keys |= _simplify(values, first, last, tolerance)
    return sorted(keys)


def _simplify(values: np.ndarray, first: int, last: int, tolerance: float) -> set[int]:
    """Ramer–Douglas–Peucker on values[first..last]: the frames a straight-line path must keep."""
    keep = {first, last}
    stack = [(first, last)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        span = np.arange(a + 1, b)
        line = values[a] + (values[b] - values[a]) * (span - a) / (b - a)
        errors = np.abs(values[a + 1:b] - line)
        worst = int(np.argmax(errors))
        if errors[worst] > tolerance:
            middle = a + 1 + worst
            keep.add(middle)
            stack += [(a, middle), (middle, b)]
    return keep
