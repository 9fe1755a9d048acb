"""Real test media made on the spot: lavfi video and espeak-ng speech (no binary fixtures)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def speech_wav(text: str, out: Path, *, voice: str = "en-us", speed: int = 150) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True,
                   capture_output=True)
    return out


def video(
    out: Path,
    *,
    seconds: float = 3.0,
    size: str = "640x360",
    rate: int = 30,
    speech: str | None = None,
    audio: bool = True,
    source: str = "testsrc2",
) -> Path:
    """A video with a moving test pattern and, optionally, spoken words as its audio track."""
    argv = ["ffmpeg", "-y", "-loglevel", "error",
            "-f", "lavfi", "-i", f"{source}=size={size}:rate={rate}:duration={seconds}"]
    if speech is not None:
        wav = speech_wav(speech, out.with_suffix(".speech.wav"))
        argv += ["-i", str(wav), "-af", "apad", "-t", str(seconds)]
    elif audio:
        argv += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if speech is not None or audio:
        argv += ["-c:a", "aac", "-shortest"]
    argv += [str(out)]
    subprocess.run(argv, check=True, capture_output=True)
    return out
