"""Which H.264 encoder a render uses: NVENC when a GPU really encodes, libx264 otherwise.

`h264_nvenc` is listed by Debian's ffmpeg even on machines with no GPU, so the only honest
test is a real one-frame encode. It runs once per process and the answer is cached.
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from core.config import Settings

EncoderName = Literal["nvenc", "x264"]
FFMPEG_CODEC = {"nvenc": "h264_nvenc", "x264": "libx264"}


@dataclass(frozen=True)
class Capabilities:
    """What this machine's ffmpeg can do: which encoders it lists, and whether NVENC really ran."""

    listed: frozenset[str]
    nvenc_works: bool
    nvenc_error: str = ""


@dataclass(frozen=True)
class EncoderChoice:
    name: EncoderName
    reason: str

    @property
    def codec(self) -> str:
        return FFMPEG_CODEC[self.name]


def choose(setting: str, caps: Capabilities) -> EncoderChoice:
    """Pick the encoder for `VIDEO_ENCODER` (auto|nvenc|x264) given what the machine can do."""
    if setting == "x264":
        return EncoderChoice("x264", "libx264 (VIDEO_ENCODER=x264)")
    if "h264_nvenc" not in caps.listed:
        why = "this ffmpeg has no h264_nvenc"
    elif not caps.nvenc_works:
        why = f"NVENC is listed but a test encode failed ({caps.nvenc_error or 'no usable GPU'})"
    else:
        return EncoderChoice("nvenc", "NVENC (GPU, test encode passed)")
    if setting == "nvenc":
        return EncoderChoice("x264", f"libx264 — VIDEO_ENCODER=nvenc but {why}")
    return EncoderChoice("x264", f"libx264 ({why})")


def video_args(choice: EncoderChoice, settings: Settings) -> dict[str, str | int]:
    """ffmpeg output options for the encoder (keyword form, as ffmpeg-python takes them)."""
    if choice.name == "nvenc":
        return {"vcodec": "h264_nvenc", "preset": "p4", "rc": "vbr", "cq": settings.x264_crf + 2,
                "b:v": 0, "pix_fmt": "yuv420p"}
    return {"vcodec": "libx264", "preset": settings.x264_preset, "crf": settings.x264_crf,
            "pix_fmt": "yuv420p"}


def codec_names(listing: str, ffmpeg: str = "ffmpeg") -> frozenset[str]:
    """Video codec names from `ffmpeg -encoders` or `-decoders` (listing is "encoders"/"decoders")."""
    out = _run([ffmpeg, "-hide_banner", f"-{listing}"])[1]
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 6 and parts[0][0] == "V":
            names.add(parts[1])
    return frozenset(names)


def nvenc_test_encode(ffmpeg: str = "ffmpeg") -> tuple[bool, str]:
    """Encode one real frame with h264_nvenc; (worked, last error line)."""
    code, _out, err = _run([ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi",
                            "-i", "color=black:size=256x256:duration=0.1", "-frames:v", "1",
                            "-c:v", "h264_nvenc", "-f", "null", "-"], timeout=30)
    lines = [line for line in err.strip().splitlines() if line.strip()]
    return code == 0, (_after_tag(lines[0])[:200] if lines else "")


@lru_cache(maxsize=1)
def capabilities(ffmpeg: str = "ffmpeg") -> Capabilities:
    """Probed once per process: encoders listed, and a real NVENC test encode if it is listed."""
    listed = codec_names("encoders", ffmpeg)
    if "h264_nvenc" not in listed:
        return Capabilities(listed, False, "not compiled in")
    works, error = nvenc_test_encode(ffmpeg)
    return Capabilities(listed, works, error)


def select(settings: Settings) -> EncoderChoice:
    """The encoder this process uses; x264 is chosen without probing the GPU at all."""
    if settings.video_encoder == "x264":
        return choose("x264", Capabilities(frozenset(), False))
    return choose(settings.video_encoder, capabilities())


_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def gpu_slots(count: int) -> threading.BoundedSemaphore:
    """The per-process limit of concurrent NVENC encodes (`GPU_SLOTS`); consumer GPUs cap sessions."""
    with _slots_lock:
        return _slots.setdefault(count, threading.BoundedSemaphore(count))


def _run(argv: list[str], timeout: float = 30) -> tuple[int, str, str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, "", str(exc)
    return done.returncode, done.stdout, done.stderr


def _after_tag(line: str) -> str:
    """`[h264_nvenc @ 0x55…] Cannot load libcuda.so.1` → `Cannot load libcuda.so.1`."""
    return line.split("] ", 1)[1] if line.startswith("[") and "] " in line else line
