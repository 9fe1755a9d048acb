"""ffprobe a media file and describe its streams, or say plainly why it can't be used."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class MediaError(Exception):
    """The file can't be used; the message tells the person why in one line."""


@dataclass(frozen=True)
class Stream:
    index: int
    kind: str
    codec: str
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    rotation: int = 0
    sample_rate: int | None = None
    channels: int | None = None
    duration_s: float | None = None
    variable_rate: bool = False
    cover_art: bool = False

    def describe(self) -> str:
        if self.kind == "video":
            fps = f" {self.fps:.3g} fps" if self.fps else ""
            rot = f", rotated {self.rotation}°" if self.rotation else ""
            return f"#{self.index} video {self.codec} {self.width}x{self.height}{fps}{rot}"
        if self.kind == "audio":
            return f"#{self.index} audio {self.codec} {self.sample_rate} Hz, {self.channels} ch"
        return f"#{self.index} {self.kind} {self.codec}"


@dataclass(frozen=True)
class MediaInfo:
    path: str
    format_name: str
    duration_s: float | None
    size_bytes: int
    bit_rate: int | None
    streams: tuple[Stream, ...] = field(default_factory=tuple)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def video(self) -> Stream | None:
        return next((s for s in self.streams if s.kind == "video" and not s.cover_art), None)

    @property
    def audio(self) -> Stream | None:
        return next((s for s in self.streams if s.kind == "audio"), None)

    def report(self) -> str:
        duration = f"{self.duration_s:.2f} s" if self.duration_s else "unknown duration"
        size = f"{self.size_bytes / 1_000_000:.1f} MB"
        lines = [f"{Path(self.path).name}: {self.format_name}, {duration}, {size}"]
        lines += [f"  {stream.describe()}" for stream in self.streams]
        return "\n".join(lines)


def probe(path: str | Path, ffprobe: str = "ffprobe") -> MediaInfo:
    """Read a file's container and streams. The path goes to ffprobe as one argv item, no shell."""
    file = Path(path)
    if not file.exists():
        raise MediaError(f"{file.name}: no such file.")
    if not file.is_file():
        raise MediaError(f"{file.name}: is not a file.")
    if file.stat().st_size == 0:
        raise MediaError(f"{file.name}: the file is empty.")
    argv = [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
            "--", str(file)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        raise MediaError("ffprobe is not installed: run scripts/setup.sh (Debian package ffmpeg).") from None
    except subprocess.TimeoutExpired:
        raise MediaError(f"{file.name}: ffprobe took over a minute; the file looks damaged.") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["unreadable"])[-1]
        raise MediaError(f"{file.name}: not a readable media file ({_short(reason, file)}).")
    return parse(str(file), json.loads(done.stdout or "{}"))


def parse(path: str, data: dict[str, Any]) -> MediaInfo:
    fmt = data.get("format", {})
    streams = tuple(_stream(raw) for raw in data.get("streams", []))
    if not streams:
        raise MediaError(f"{Path(path).name}: the file has no audio or video streams.")
    return MediaInfo(
        path=path,
        format_name=fmt.get("format_name", "unknown"),
        duration_s=_float(fmt.get("duration")),
        size_bytes=int(fmt.get("size") or Path(path).stat().st_size),
        bit_rate=_int(fmt.get("bit_rate")),
        streams=streams,
        tags={str(k).lower(): str(v) for k, v in (fmt.get("tags") or {}).items()},
    )


def _stream(raw: dict[str, Any]) -> Stream:
    kind = raw.get("codec_type", "data")
    return Stream(
        index=int(raw.get("index", 0)),
        kind=kind,
        codec=raw.get("codec_name", "unknown"),
        width=_int(raw.get("width")),
        height=_int(raw.get("height")),
        fps=(_rate(raw.get("avg_frame_rate")) or _rate(raw.get("r_frame_rate")))
        if kind == "video"
        else None,
        rotation=_rotation(raw),
        sample_rate=_int(raw.get("sample_rate")),
        channels=_int(raw.get("channels")),
        duration_s=_float(raw.get("duration")),
        variable_rate=kind == "video" and _variable(raw),
        cover_art=bool((raw.get("disposition") or {}).get("attached_pic")),
    )


def _variable(raw: dict[str, Any]) -> bool:
    """Phone video often has a nominal rate far from its average: treat it as variable."""
    nominal, average = _rate(raw.get("r_frame_rate")), _rate(raw.get("avg_frame_rate"))
    return bool(nominal and average and abs(nominal - average) / nominal > 0.01)


def _rotation(raw: dict[str, Any]) -> int:
    for side in raw.get("side_data_list") or []:
        if "rotation" in side:
            return int(float(side["rotation"])) % 360
    rotate = (raw.get("tags") or {}).get("rotate")
    return int(float(rotate)) % 360 if rotate else 0


def _rate(text: str | None) -> float | None:
    if not text or text in ("0/0", "N/A"):
        return None
    num, _, den = text.partition("/")
    try:
        value = float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return None
    return value or None


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _short(reason: str, file: Path) -> str:
    return reason.replace(str(file), file.name).removeprefix(f"{file.name}: ")
