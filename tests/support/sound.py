"""Test sound made on the spot (espeak-ng speech, lavfi tones) and measured with ffmpeg itself."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

from tests.support.media import speech_wav


def loudness_of(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) from the summary ffmpeg's ebur128 prints."""
    log = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-vn", "-af",
                          "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True,
                         check=True).stderr
    summary = log[log.rindex("Summary:"):]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    assert integrated and peak, summary
    return float(integrated.group(1)), float(peak.group(1))


def talk(out: Path, text: str, *, lead_s: float = 0.0, seconds: float, tone_hz: int = 0,
         tone_volume: float = 0.0, gain_db: float = 0.0, clicks: bool = False,
         size: str = "320x180") -> Path:
    """A black video with `text` spoken after `lead_s` of silence, optionally over a steady
    sine tone, raised or lowered by `gain_db`, with full-scale clicks every 1.3 s (peaky)."""
    wav = speech_wav(text, out.with_suffix(".speech.wav"))
    inputs = ["-f", "lavfi", "-i", f"color=c=black:size={size}:rate=30:duration={seconds}",
              "-i", str(wav),
              "-f", "lavfi", "-i", f"sine=frequency={tone_hz or 440}:sample_rate=48000:duration={seconds}",
              "-f", "lavfi", "-i", "aevalsrc=exprs='if(lt(mod(t,1.3),0.01),0.99*sin(2*PI*90*t),0)'"
                                   f":s=48000:d={seconds}"]
    delay = int(lead_s * 1000)
    graph = (f"[1]aresample=48000,adelay={delay}:all=1,apad,volume={gain_db}dB[s];"
             f"[2]volume={tone_volume if tone_hz else 0}[t];[3]volume={1 if clicks else 0}[c];"
             f"[s][t][c]amix=inputs=3:duration=first:normalize=0[a]")
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", *inputs, "-filter_complex", graph,
                    "-map", "0:v", "-map", "[a]", "-t", str(seconds), "-c:v", "libx264", "-preset",
                    "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k", str(out)],
                   check=True, capture_output=True)
    return out


def speech_onset(text: str, folder: Path) -> float:
    """Seconds of silence espeak-ng puts before `text` (its first sample above -40 dBFS)."""
    wav = speech_wav(text, folder / "onset.wav")
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-f", "f32le", "-ac", "1", "-ar",
                          "16000", "-"], capture_output=True, check=True).stdout
    samples = np.abs(np.frombuffer(raw, np.float32))
    return float(np.argmax(samples > 0.01) / 16000)
