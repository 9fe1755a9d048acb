"""Is a probed file something we can render? Refuse early, in one line, before any work starts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.media.encoders import codec_names
from core.media.probe import MediaError, MediaInfo
from core.media.recipe import MAX_FPS, MIN_FPS

COMMON_RATES = (24.0, 25.0, 30.0, 50.0, 60.0)


@dataclass(frozen=True)
class Usable:
    """The facts the render graph needs, with rotation already applied to width and height."""

    path: Path
    width: int
    height: int
    fps: float
    duration_s: float
    has_audio: bool
    variable_rate: bool
    codec: str

    @property
    def out_fps(self) -> float:
        """Platforms want at least 23 fps; above 60 costs size for nothing."""
        if self.fps < MIN_FPS:
            return 30.0
        if self.variable_rate:  # an average like 29.47 becomes the rate the phone aimed for
            return min(COMMON_RATES, key=lambda rate: abs(rate - self.fps))
        return min(self.fps, MAX_FPS)

    @property
    def vertical(self) -> bool:
        return abs(self.width / self.height - 9 / 16) < 0.01


def usable(info: MediaInfo, *, max_mb: int, max_minutes: int) -> Usable:
    """The file's render facts, or a MediaError that says plainly why it can't be used."""
    name = Path(info.path).name
    video = info.video
    if video is None:
        raise MediaError(f"{name}: there is no video stream in this file (audio only?).")
    if video.codec not in decoders():
        raise MediaError(f"{name}: the video codec {video.codec!r} is not supported by this ffmpeg.")
    duration = info.duration_s or video.duration_s
    if not duration or duration <= 0:
        raise MediaError(f"{name}: its duration is zero or unreadable; the file looks damaged.")
    if info.size_bytes > max_mb * 1_000_000:
        raise MediaError(f"{name}: {info.size_bytes / 1_000_000:.0f} MB is over the {max_mb} MB limit "
                         "(MAX_INPUT_MB).")
    if duration > max_minutes * 60:
        raise MediaError(f"{name}: {duration / 60:.1f} minutes is over the {max_minutes}-minute limit "
                         "(MAX_INPUT_MINUTES); trim it first.")
    if not video.width or not video.height:
        raise MediaError(f"{name}: the video has no readable frame size.")
    width, height = video.width, video.height
    if video.rotation in (90, 270):
        width, height = height, width
    return Usable(
        path=Path(info.path),
        width=width,
        height=height,
        fps=video.fps or 30.0,
        duration_s=float(duration),
        has_audio=info.audio is not None,
        variable_rate=video.variable_rate,
        codec=video.codec,
    )


@lru_cache(maxsize=1)
def decoders(ffmpeg: str = "ffmpeg") -> frozenset[str]:
    """Video decoders this ffmpeg has, plus the names ffprobe gives codecs whose decoders differ."""
    return codec_names("decoders", ffmpeg) | _ALIASES


# ffprobe names some codecs differently from their decoders
_ALIASES = frozenset({"h264", "hevc", "av1", "vp8", "vp9", "mpeg4", "mpeg2video", "mjpeg", "prores"})
