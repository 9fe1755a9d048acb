"""Loudness as promised: −14 LUFS integrated (±1 LU), true peak ≤ −1 dBTP, on the output.

Single-pass `loudnorm` undershoots on speech (renders measured −16.4 to −16.6 LUFS): its
dynamic mode cannot lift speech whose peaks sit 18 dB above its loudness. So the level is
measured, not guessed (EBU R128 / ITU-R BS.1770-4, ffmpeg's `ebur128` filter):

1. the speech level of the kept window is estimated from the 16 kHz decode transcription
   already made (`speech_level`), and a gain brings it to the level the compressor is set
   for, so a quiet and a loud source are compressed alike;
2. a gentle compressor tames the peaks, and an audio-only ffmpeg pass measures the window
   after it, which gives the make-up gain to −14 LUFS (`plan`); when that gain would push
   peaks into the limiter, a second pass measures the whole chain and the gain is corrected
   by what the limiter took (0.4 LU on synthetic speech);
3. the render applies the same chain: gain, compressor, make-up gain, and a limiter on 4x
   oversampled audio so the true peak stays under −1 dBTP after the AAC encode (`normalised`);
4. the output file is measured (`measure`) and the figures are what the summary states;
   `problem` says when they break the promise.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from core.media import ffrun

Chain = Callable[[Any], Any]  # an ffmpeg-python audio stream in, the filtered stream out
TARGET_LUFS = -14.0
TOLERANCE_LU = 1.0
MAX_TRUE_PEAK_DBTP = -1.0
LIMIT_DBFS = -1.5  # the limiter's ceiling: AAC adds up to ~0.4 dB of overshoot
OVERSAMPLED_RATE = 192_000
COMPRESSOR_INPUT_LUFS = -20.0  # the level the compressor below is set for
COMPRESSOR = {"threshold": "-24dB", "ratio": 3, "attack": 5, "release": 80}
MAX_GAIN_DB = 40.0  # a near-silent track is raised at most this much, and the summary says so
SILENT_LUFS = -70.0  # BS.1770's absolute gate: anything quieter measures as silence
BLOCK_S, BLOCK_HOP_S, RELATIVE_GATE_LU = 0.4, 0.1, 10.0


@dataclass(frozen=True)
class Loudness:
    """A measurement: integrated loudness (LUFS) and true peak (dBTP; -inf for silence)."""

    integrated_lufs: float
    true_peak_dbtp: float

    @property
    def silent(self) -> bool:
        """Nothing above BS.1770's absolute gate (also true of audio under 0.4 s, one block)."""
        return self.integrated_lufs <= SILENT_LUFS

    def __str__(self) -> str:
        if self.silent:
            return "silent audio" if self.true_peak_dbtp < SILENT_LUFS else "audio too short to measure"
        return f"loudness {_signed(self.integrated_lufs)} LUFS, true peak {_signed(self.true_peak_dbtp)} dBTP"


@dataclass(frozen=True)
class Leveling:
    """The gains (dB) of a render's loudness chain and the loudness they lead to (LUFS)."""

    input_gain_db: float
    makeup_gain_db: float
    expected_lufs: float

    @property
    def shortfall(self) -> str:
        """What a summary must add when the audio is too quiet to reach the target, else ''."""
        if self.expected_lufs >= TARGET_LUFS - TOLERANCE_LU:
            return ""
        return (f"The audio is too quiet to reach {TARGET_LUFS:g} LUFS: it was raised by the "
                f"most allowed ({MAX_GAIN_DB:+.0f} dB).").replace("-", "−")


def promise() -> str:
    """What every normalised render delivers, in words (`/preset show`)."""
    return (f"loudness {TARGET_LUFS:g} LUFS (±{TOLERANCE_LU:g} LU), true peak ≤ "
            f"{MAX_TRUE_PEAK_DBTP:g} dBTP, measured on the output").replace("-", "−")


def speech_level(samples: Any, rate: int) -> float | None:
    """Approximate loudness (LUFS-like, unweighted) of mono samples: BS.1770 gating of 400 ms
    blocks, +3 dB for the two channels the decode averaged. None when silent."""
    signal = np.asarray(samples, dtype=np.float64)
    size, hop = int(BLOCK_S * rate), int(BLOCK_HOP_S * rate)
    if len(signal) < size:
        return None
    power = np.mean(np.lib.stride_tricks.sliding_window_view(signal, size)[::hop] ** 2, axis=1)
    level = -0.691 + 10 * np.log10(power + 1e-20) + 3.0
    gated = power[level > SILENT_LUFS]
    if not len(gated):
        return None
    relative = -0.691 + 10 * np.log10(np.mean(gated)) + 3.0 - RELATIVE_GATE_LU
    kept = power[level > max(SILENT_LUFS, relative)]
    return float(-0.691 + 10 * np.log10(np.mean(kept)) + 3.0)


def plan(source: Path, start: float, duration: float, level: float | None) -> Leveling | None:
    """The chain's gains for `duration` s of `source` from `start` (`level` from
    `speech_level`), measured in one or two audio-only passes; None when the audio is silent."""
    if level is None:
        return None
    input_gain = _clamp(COMPRESSOR_INPUT_LUFS - level)
    compressed = measure(source, start=start, duration=duration,
                         chain=lambda stream: _compressed(stream, input_gain))
    if compressed.silent:
        return None
    leveling = _leveling(input_gain, TARGET_LUFS - compressed.integrated_lufs)
    if compressed.true_peak_dbtp + leveling.makeup_gain_db <= LIMIT_DBFS:
        return leveling
    limited = measure(source, start=start, duration=duration,
                      chain=lambda stream: normalised(stream, leveling))
    taken = leveling.expected_lufs - limited.integrated_lufs
    return _leveling(input_gain, leveling.makeup_gain_db + taken)


def _leveling(input_gain: float, wanted_makeup: float) -> Leveling:
    makeup = _clamp(wanted_makeup, MAX_GAIN_DB - input_gain)
    return Leveling(round(input_gain, 2), round(makeup, 2), round(TARGET_LUFS - (wanted_makeup - makeup), 2))


def normalised(stream: Any, leveling: Leveling, rate: int = 48_000) -> Any:
    """The audio stream (ffmpeg-python) through the chain: gain, compressor, make-up gain,
    true-peak limiter; resampled to `rate` Hz."""
    stream = _compressed(stream, leveling.input_gain_db)
    stream = stream.filter("volume", f"{leveling.makeup_gain_db:.2f}dB")
    stream = stream.filter("aresample", OVERSAMPLED_RATE)
    stream = stream.filter("alimiter", limit=f"{10 ** (LIMIT_DBFS / 20):.4f}", attack=1, release=50,
                           level=0, latency=1)
    return stream.filter("aresample", rate)


def measure(path: Path, *, start: float = 0.0, duration: float | None = None,
            chain: Chain | None = None) -> Loudness:
    """EBU R128 integrated loudness and true peak of a file's first audio stream (ffmpeg's
    `ebur128` filter, true-peak mode), optionally of a window (seconds) and through a `chain`
    of filters. Raises ffrun.FfmpegFailed if ffmpeg cannot read it."""
    options: dict[str, str] = {"ss": f"{start:.3f}"} if start > 0 else {}
    if duration is not None:
        options["t"] = f"{duration:.3f}"
    audio = ffmpeg.input(str(path), **options).audio
    if chain is not None:
        audio = chain(audio)
    with tempfile.TemporaryDirectory(prefix="ettametta-loudness-") as work:
        log = Path(work) / "r128.txt"
        audio = audio.filter("ebur128", peak="true", metadata=1).filter("ametadata", mode="print",
                                                                        file=str(log))
        argv = (ffmpeg.output(audio, "-", format="null")
                .global_args("-hide_banner", "-nostdin", "-loglevel", "error", "-nostats",
                             "-progress", "pipe:1")
                .compile())
        ffrun.run(argv, duration or 0.0)
        return _read(log.read_text(encoding="utf-8") if log.exists() else "")


def problem(measured: Loudness, leveling: Leveling) -> str | None:
    """Why `measured` (the output) breaks the promise `leveling` made, or None when it keeps it."""
    if abs(measured.integrated_lufs - leveling.expected_lufs) > TOLERANCE_LU:
        return (f"the audio measured {_signed(measured.integrated_lufs)} LUFS instead of "
                f"{_signed(leveling.expected_lufs)} ± {TOLERANCE_LU:g} LU")
    if measured.true_peak_dbtp > MAX_TRUE_PEAK_DBTP:
        return (f"the audio peaks at {_signed(measured.true_peak_dbtp)} dBTP, above "
                f"{_signed(MAX_TRUE_PEAK_DBTP)} dBTP")
    return None


def _compressed(stream: Any, input_gain_db: float) -> Any:
    return stream.filter("volume", f"{input_gain_db:.2f}dB").filter("acompressor", **COMPRESSOR)


def _read(log: str) -> Loudness:
    integrated = re.findall(r"lavfi\.r128\.I=(-?[\d.]+|-?inf)", log)
    peaks = [float(value) for value in re.findall(r"lavfi\.r128\.true_peak=([\d.]+)", log)]
    lufs = float(integrated[-1]) if integrated else SILENT_LUFS
    peak = max(peaks, default=0.0)
    return Loudness(max(lufs, SILENT_LUFS), 20 * math.log10(peak) if peak > 0 else -math.inf)


def _clamp(gain: float, most: float = MAX_GAIN_DB) -> float:
    return max(-MAX_GAIN_DB, min(gain, most))


def _signed(value: float) -> str:
    return f"{value:.1f}".replace("-", "−")
