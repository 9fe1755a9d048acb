"""Test videos with real faces: public-domain portraits from scikit-image moved over a background.

`skimage.data.astronaut()` (Eileen Collins, NASA) and `skimage.data.camera()` (the cameraman)
ship inside the scikit-image wheel, so nothing is downloaded. Each person is the head and
shoulders cut out with a soft oval edge and pasted onto a background of vertical stripes whose
brightness varies from column to column at random, so the horizontal position of any crop of
it can be found again by matching (`stripes_offset`). After a hard cut the stripes change.
A talking face opens and closes its mouth a few times a second.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from tests.support.media import speech_wav

HEAD_BOX = {"astronaut": (10, 250, 115, 335), "camera": (40, 250, 150, 330)}  # rows, columns
MOUTH = (222, 158)  # the astronaut's mouth (x, y) in the 512x512 photo
FACE_IN_HEAD = {"astronaut": 0.43, "camera": 0.36}  # face height ÷ head cut-out height


@dataclass(frozen=True)
class Person:
    """Who (a scikit-image portrait), where (centre as fractions of the frame, x may move with
    time), how big (head height ÷ frame height) and whether the mouth moves."""

    x: Callable[[float], float]
    y: float = 0.42
    height: float = 0.5
    who: str = "astronaut"
    talking: bool = False
    mirrored: bool = False


def walking(start: float, speed: float, cut_at: float | None = None, after_cut: float = 0.5,
            ) -> Callable[[float], float]:
    """x at `speed` frame widths a second from `start`, bouncing at the edges; after a hard cut
    the person is at `after_cut` and walks on from there."""
    def x(t: float) -> float:
        if cut_at is not None and t >= cut_at:
            return _bounce(after_cut + speed * (t - cut_at))
        return _bounce(start + speed * t)
    return x


def still(x: float) -> Callable[[float], float]:
    return lambda _t: x


def _bounce(x: float) -> float:
    low, high = 0.12, 0.88
    span = high - low
    phase = (x - low) % (2 * span)
    return low + (phase if phase <= span else 2 * span - phase)


def scene_video(out: Path, people: Sequence[Person], *, seconds: float = 4.0,
                size: tuple[int, int] = (640, 360), rate: int = 30, cut_at: float | None = None,
                speech: str | None = None, preset: str = "ultrafast", photo: bool = False,
                grain: int = 0, bitrate: str | None = None) -> Path:
    """Render the scene frame by frame into an H.264 file (with espeak speech, or a quiet tone).

    `photo` puts the people in front of photographs (scikit-image's rocket launch, then its
    coffee cup after the cut) instead of the stripes; `grain` adds a camera's moving noise of
    that strength, as real footage has (which is what makes a still crop cost the encoder work);
    `bitrate` (like "4M") encodes at that rate, as a download is, instead of at constant quality."""
    width, height = size
    backgrounds = [_photo(name, width, height) for name in ("rocket", "coffee")] if photo else \
        [stripes(width, height, seed) for seed in (1, 2)]
    heads = {(p.who, p.height, p.mirrored): _heads(p.who, round(p.height * height), p.mirrored)
             for p in people}
    argv = ["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
            "-s", f"{width}x{height}", "-r", str(rate), "-i", "-"]
    if speech is not None:
        argv += ["-i", str(speech_wav(speech, out.with_suffix(".speech.wav"))), "-af", "apad"]
    else:
        argv += ["-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}", "-af", "volume=0.05"]
    if grain:
        argv += ["-vf", f"noise=alls={grain}:allf=t"]
    rate_args = ["-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate] if bitrate else ["-crf", "20"]
    argv += ["-t", f"{seconds}", "-c:v", "libx264", "-preset", preset, *rate_args, "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-shortest", str(out)]
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None
    for index in range(round(seconds * rate)):
        t = index / rate
        frame = backgrounds[1 if cut_at is not None and t >= cut_at else 0].copy()
        for person in people:
            closed, opened = heads[(person.who, person.height, person.mirrored)]
            head = opened if person.talking and int(t / 0.15) % 2 else closed
            _paste(frame, head, person.x(t) * width, person.y * height)
        process.stdin.write(frame.tobytes())
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError(process.stderr.read().decode() if process.stderr else "ffmpeg failed")
    return out


def stripes(width: int, height: int, seed: int) -> np.ndarray:
    """Vertical stripes of random brightness (smoothed a little so the codec keeps them)."""
    rng = np.random.default_rng(seed)
    low, high, tint = (40, 215, (1.0, 0.85, 0.7)) if seed % 2 else (10, 120, (0.3, 0.8, 1.0))
    columns = np.convolve(rng.uniform(low, high, width + 8), np.ones(5) / 5, mode="same")[4:width + 4]
    shade = np.linspace(0.9, 1.0, height)[:, None, None]
    return (columns[None, :, None] * np.array(tint)[None, None, :] * shade).clip(0, 255).astype(np.uint8)


def stripes_offset(bands: np.ndarray, width: int, height: int, seed: int, scale: float) -> np.ndarray:
    """Where (source column) each crop of `stripes(width, height, seed)` starts, to half a pixel.

    `bands` are rows of output frames (frames, rows, W, 3); `scale` is output pixels per source pixel."""
    profiles = bands.mean(axis=(1, 3))
    source = stripes(width, height, seed).mean(axis=(0, 2))
    xs = np.arange(profiles.shape[1]) / scale
    lefts = np.arange(0, width - xs[-1] - 1, 0.5)
    refs = np.stack([np.interp(left + xs, np.arange(width), source) for left in lefts])
    refs = (refs - refs.mean(axis=1, keepdims=True)) / refs.std(axis=1, keepdims=True)
    shown = (profiles - profiles.mean(axis=1, keepdims=True)) / (profiles.std(axis=1, keepdims=True) + 1e-9)
    return lefts[np.argmax(shown @ refs.T, axis=1)]


def _photo(name: str, width: int, height: int) -> np.ndarray:
    from skimage import data, transform

    picture = transform.resize(getattr(data, name)(), (height, width), anti_aliasing=True)
    return (picture * 255).astype(np.uint8)


@lru_cache(maxsize=8)
def _heads(who: str, height: int, mirrored: bool) -> tuple[np.ndarray, np.ndarray]:
    """The RGBA head cut-out at `height` pixels, mouth closed and mouth open."""
    from skimage import data, transform

    photo = data.astronaut() if who == "astronaut" else np.repeat(data.camera()[:, :, None], 3, axis=2)
    versions = [photo, _open_mouth(photo)] if who == "astronaut" else [photo, photo]
    top, bottom, left, right = HEAD_BOX[who]
    cut = []
    for version in versions:
        head = version[top:bottom, left:right].astype(float)
        rows, cols = head.shape[:2]
        yy, xx = np.mgrid[0:rows, 0:cols]
        oval = ((xx - cols / 2) / (cols / 2)) ** 2 + ((yy - rows / 2) / (rows / 2)) ** 2
        alpha = np.clip((1.0 - oval) * 6, 0, 1)[:, :, None]
        rgba = np.concatenate([head / 255, alpha], axis=2)
        width = max(2, round(height * cols / rows))
        scaled = transform.resize(rgba, (height, width), anti_aliasing=True)
        cut.append(scaled[:, ::-1] if mirrored else scaled)
    return cut[0], cut[1]


def _open_mouth(photo: np.ndarray, gap: int = 12) -> np.ndarray:
    """The lower lip and chin pulled down `gap` pixels over a dark mouth: the jaw opens."""
    out = photo.copy()
    x, y = MOUTH
    rows = slice(y, 230)
    out[y + gap:230 + gap, x - 40:x + 40] = photo[rows, x - 40:x + 40]
    yy, xx = np.mgrid[y:y + gap + 2, x - 20:x + 20]
    inside = ((xx - x) / 20) ** 2 + ((yy - y - gap / 2) / (gap / 2 + 1)) ** 2 <= 1
    region = out[y:y + gap + 2, x - 20:x + 20]
    region[inside] = (60, 20, 25)
    return out


def _paste(frame: np.ndarray, head: np.ndarray, cx: float, cy: float) -> None:
    rows, cols = head.shape[:2]
    top, left = round(cy - rows / 2), round(cx - cols / 2)
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(frame.shape[0], top + rows), min(frame.shape[1], left + cols)
    if y1 <= y0 or x1 <= x0:
        return
    part = head[y0 - top:y1 - top, x0 - left:x1 - left]
    alpha = part[:, :, 3:]
    region = frame[y0:y1, x0:x1].astype(float)
    frame[y0:y1, x0:x1] = (region * (1 - alpha) + part[:, :, :3] * 255 * alpha).astype(np.uint8)
