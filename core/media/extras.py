"""What comes with every render: a small preview clip that fits every chat's upload limit,
a thumbnail, and (when punch-ins follow the edit) the source's scene cuts.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ffmpeg

from core.media import ffrun
from core.media.transcribe import Word

PREVIEW_SECONDS = 8.0
PREVIEW_SIZE = (480, 854)
PREVIEW_MAX_BYTES = 8_000_000
THUMB_SIZE = (720, 1280)
SCENE_THRESHOLD = 0.35
_QUIET = ("-hide_banner", "-nostdin", "-loglevel", "error")


def preview_start(words: Sequence[Word], duration: float) -> float:
    """Start just before the first word, so the preview shows the captions working."""
    if duration <= PREVIEW_SECONDS:
        return 0.0
    first = words[0].start - 0.3 if words else 0.0
    return round(max(0.0, min(first, duration - PREVIEW_SECONDS)), 3)


def make_preview(render: Path, out: Path, start: float) -> Path:
    """~8 s at 480x854, bitrate-capped so it always stays under 8 MB."""
    width, height = PREVIEW_SIZE
    stream = ffmpeg.input(str(render), ss=f"{start:.3f}", t=f"{PREVIEW_SECONDS:g}")
    video = stream.video.filter("scale", w=width, h=height)
    cmd = ffmpeg.output(video, stream.audio, str(out), vcodec="libx264", preset="veryfast", crf=28,
                        maxrate="3M", bufsize="6M", pix_fmt="yuv420p", acodec="aac",
                        audio_bitrate="96k", movflags="+faststart")
    ffrun.run(cmd.global_args(*_QUIET).overwrite_output().compile(), PREVIEW_SECONDS)
    return out


def thumbnail_time(words: Sequence[Word], duration: float) -> float:
    """A frame after speech starts (captions on screen), else a third of the way in."""
    wanted = words[0].end + 0.1 if words else duration / 3
    return round(max(0.0, min(wanted, duration - 0.1)), 3)


def make_thumbnail(render: Path, out: Path, at: float) -> Path:
    width, height = THUMB_SIZE
    cmd = (
        ffmpeg.input(str(render), ss=f"{at:.3f}")
        .filter("scale", w=width, h=height)
        .output(str(out), vframes=1)
        .global_args(*_QUIET)
        .overwrite_output()
    )
    ffrun.run(cmd.compile(), 0)
    return out


def scene_changes(video: Any) -> Any:
    """Only the frames that start a new shot, judged on a 160-pixel-wide copy (fast)."""
    return video.filter("scale", w=160, h=-2).filter("select", expr=f"gt(scene,{SCENE_THRESHOLD})")


def scene_cuts(source: Path, start: float, duration: float) -> list[float]:
    """Scene cut times on the output timeline, from a fast low-resolution look at the window."""
    video = scene_changes(ffmpeg.input(str(source), ss=f"{start:.3f}", t=f"{duration:.3f}").video)
    video = video.filter("showinfo")
    argv = ffmpeg.output(video, "-", format="null").global_args("-hide_banner", "-nostdin").compile()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=max(120.0, duration * 2),
                          check=False)
    return [round(float(t), 3) for t in re.findall(r"pts_time:([0-9.]+)", done.stderr)]
