"""Faces in one picture, and how much each mouth moved since the last look.

Detection is MediaPipe's BlazeFace full-range model (`mediapipe==0.10.14`, whose wheel carries
its weights; see docs/rendering.md for why this one). The model sees a 192x192 letterboxed
copy of what it is given, so a wide frame is cut into overlapping squarish tiles first: on a
16:9 frame it then finds faces down to ~6% of the frame height (a whole frame at once: ~12%).

Positions are fractions of the frame (0–1, display pixels), so they do not depend on the
resolution the analysis decoded at. Each face carries BlazeFace's six landmarks; the mouth
and the eyes place two small patches, and a face's `mouth` value is how much its mouth patch
changed since the previous sample beyond what its eye patch changed (head motion and light
change both alike; talking changes the mouth only).
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from core.media.probe import MediaError

MIN_SCORE = 0.5
TILE_ASPECT = 1.25  # widest tile (width / height) given to the detector
SINGLE_TILE_ASPECT = 1.4  # up to this aspect the whole frame is one tile
TILE_OVERLAP = 0.5  # of the frame height: a face this wide is whole in some tile
_DETECTING = threading.Lock()
MOUTH_GRID, EYE_GRID = (10, 16), (8, 24)  # (rows, columns) of the patches compared


class FaceDetectionUnavailable(MediaError):
    """The face detector could not be loaded (mediapipe missing or broken on this machine)."""


@dataclass(frozen=True)
class Face:
    """A face box (centre, size) as fractions of the frame, with its detector score and, when
    the same face was seen in the previous sample, its mouth movement since then (≥ 0)."""

    cx: float
    cy: float
    w: float
    h: float
    score: float
    mouth: float | None = None

    def to_json(self) -> list[float | None]:
        return [round(self.cx, 4), round(self.cy, 4), round(self.w, 4), round(self.h, 4),
                round(self.score, 3), None if self.mouth is None else round(self.mouth, 3)]

    @classmethod
    def from_json(cls, row: Sequence[Any]) -> Face:
        cx, cy, w, h, score, mouth = row
        return cls(cx, cy, w, h, score, mouth)

    @property
    def area(self) -> float:
        return self.w * self.h


def iou(a: Face, b: Face) -> float:
    """Intersection over union of two face boxes (0–1)."""
    width = min(a.cx + a.w / 2, b.cx + b.w / 2) - max(a.cx - a.w / 2, b.cx - b.w / 2)
    height = min(a.cy + a.h / 2, b.cy + b.h / 2) - max(a.cy - a.h / 2, b.cy - b.h / 2)
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / (a.area + b.area - inter)


@dataclass(frozen=True)
class _Seen:
    """A detection in pixels with the patches that measure its mouth."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    score: float
    mouth_patch: np.ndarray
    eye_patch: np.ndarray


class FaceFinder:
    """Finds faces in successive RGB frames of one video and measures mouth movement between them."""

    def __init__(self) -> None:
        self._detector = _detector()
        self._previous: list[_Seen] = []

    def reset(self) -> None:
        """Forget the previous frame (at a scene cut nothing is compared across it)."""
        self._previous = []

    def find(self, rgb: np.ndarray) -> tuple[Face, ...]:
        """The faces in an (H, W, 3) uint8 RGB frame, most confident first."""
        height, width = rgb.shape[:2]
        seen = [_measure(rgb, box, score, points) for box, score, points in
                _suppress(list(self._detect(rgb)))]
        faces = []
        for face in seen:
            before = _same(face, self._previous)
            mouth = None
            if before is not None:
                moved = float(np.abs(face.mouth_patch - before.mouth_patch).mean())
                head = float(np.abs(face.eye_patch - before.eye_patch).mean())
                mouth = max(0.0, moved - head)
            x0, y0, x1, y1 = face.box
            faces.append(Face((x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width,
                              (y1 - y0) / height, face.score, mouth))
        self._previous = seen
        return tuple(faces)

    def _detect(self, rgb: np.ndarray) -> Iterator[tuple[tuple[float, float, float, float], float,
                                                          list[tuple[float, float]]]]:
        height = rgb.shape[0]
        for left, right in tiles(rgb.shape[1], height):
            tile = np.ascontiguousarray(rgb[:, left:right])
            with _DETECTING:  # one MediaPipe graph per process, not safe to share between threads
                found = self._detector.process(tile).detections or ()
            span = right - left
            for detection in found:
                box = detection.location_data.relative_bounding_box
                x0 = left + box.xmin * span
                y0 = box.ymin * height
                points = [(left + p.x * span, p.y * height)
                          for p in detection.location_data.relative_keypoints]
                yield (x0, y0, x0 + box.width * span, y0 + box.height * height), \
                    float(detection.score[0]), points


def tiles(width: int, height: int) -> list[tuple[int, int]]:
    """Column ranges [left, right) of the tiles a width x height frame is cut into for detection."""
    if width <= SINGLE_TILE_ASPECT * height:
        return [(0, width)]
    tile = round(TILE_ASPECT * height)
    count = math.ceil((width - TILE_OVERLAP * height) / (tile - TILE_OVERLAP * height))
    lefts = np.linspace(0, width - tile, max(2, count)).round().astype(int)
    return [(int(left), int(left) + tile) for left in lefts]


def _suppress(found: list[tuple[tuple[float, float, float, float], float, list[tuple[float, float]]]]
              ) -> list[tuple[tuple[float, float, float, float], float, list[tuple[float, float]]]]:
    """One detection per face: where tiles overlap the same face is found twice."""
    kept: list[tuple[tuple[float, float, float, float], float, list[tuple[float, float]]]] = []
    for item in sorted(found, key=lambda item: -item[1]):
        if all(_box_iou(item[0], other[0]) < 0.3 and not _centre_inside(item[0], other[0])
               for other in kept):
            kept.append(item)
    return kept


def _box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _centre_inside(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    return b[0] <= cx <= b[2] and b[1] <= cy <= b[3]


def _same(face: _Seen, previous: list[_Seen]) -> _Seen | None:
    """The previous sample's detection of this face: the one overlapping it most, if any."""
    best = max(previous, key=lambda other: _box_iou(face.box, other.box), default=None)
    return best if best is not None and _box_iou(face.box, best.box) > 0.3 else None


def _measure(rgb: np.ndarray, box: tuple[float, float, float, float], score: float,
             points: list[tuple[float, float]]) -> _Seen:
    """Patches at the mouth and across the eyes, sized by the distance between the eyes."""
    (rx, ry), (lx, ly), _nose, (mx, my) = points[:4]
    eyes = max(2.0, math.hypot(lx - rx, ly - ry))
    left = max(0, int(min(rx, lx, mx) - 1.2 * eyes))
    top = max(0, int(min(ry, ly) - 1.2 * eyes))
    grey = rgb[top:int(my + 1.5 * eyes) + 2, left:int(max(rx, lx, mx) + 1.2 * eyes) + 2].mean(
        axis=2, dtype=np.float32)
    if grey.shape[0] < 2 or grey.shape[1] < 2:
        grey = np.zeros((2, 2), np.float32)
    mouth = _patch(grey, mx - left, my - top + 0.1 * eyes, 1.1 * eyes, 0.7 * eyes, MOUTH_GRID)
    eye = _patch(grey, (rx + lx) / 2 - left, (ry + ly) / 2 - top, 1.8 * eyes, 0.6 * eyes, EYE_GRID)
    return _Seen(box, score, mouth, eye)


def _patch(grey: np.ndarray, cx: float, cy: float, width: float, height: float,
           grid: tuple[int, int]) -> np.ndarray:
    """A rows x columns bilinear sample of the region, brightness and contrast normalised."""
    rows = np.clip(np.linspace(cy - height / 2, cy + height / 2, grid[0]), 0, grey.shape[0] - 1.001)
    cols = np.clip(np.linspace(cx - width / 2, cx + width / 2, grid[1]), 0, grey.shape[1] - 1.001)
    top, left = rows.astype(int)[:, None], cols.astype(int)[None, :]
    down, right = rows[:, None] - top, cols[None, :] - left
    patch = ((grey[top, left] * (1 - right) + grey[top, left + 1] * right) * (1 - down)
             + (grey[top + 1, left] * (1 - right) + grey[top + 1, left + 1] * right) * down)
    return (patch - patch.mean()) / (patch.std() + 8.0)


@lru_cache(maxsize=1)
def _detector() -> Any:
    """BlazeFace full-range, loaded once per process (its start-up chatter kept off the terminal)."""
    # mediapipe 0.10.14 calls a protobuf API that newer protobuf releases mark deprecated
    warnings.filterwarnings("ignore", message=r"SymbolDatabase\.GetPrototype\(\) is deprecated")
    try:
        from mediapipe.python.solutions.face_detection import FaceDetection

        with _quiet_stderr():
            detector = FaceDetection(model_selection=1, min_detection_confidence=MIN_SCORE)
            detector.process(np.zeros((64, 64, 3), np.uint8))
    except (ImportError, OSError, RuntimeError) as exc:
        raise FaceDetectionUnavailable(f"mediapipe could not be loaded: {exc}"[:300]) from None
    return detector


def check() -> str:
    """Load the detector (as a render would); raises FaceDetectionUnavailable, else says which."""
    _detector()
    return "MediaPipe BlazeFace full-range (bundled in the mediapipe wheel)"


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """TensorFlow Lite prints INFO lines straight to file descriptor 2 when the model loads."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
