"""The decoded audio prepared for finding speech in it: steady sounds removed, voice located.

A steady tone or hum under speech (a test tone, mains hum, a fan) hides the start of speech
from the voice-activity detector: with a loud 1 kHz tone the first 0.9 s of speech was
dropped and the first caption came ~1 s late. `steady_removed` takes out whatever keeps a
constant level in each frequency band (spectral subtraction of each band's quiet-time level),
which leaves speech, whose level in any band comes and goes, nearly untouched.

`voiced` says where the (cleaned) audio is loud enough to be speech, so word times can be
tightened to it (whisper starts the first word of a stretch of speech up to 0.4 s early).
numpy only; all times in seconds, samples 16 kHz mono float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FRAME = 512  # 32 ms at 16 kHz
HOP = FRAME // 2
BLOCK_FRAMES = 1875  # each ~30 s block gets its own estimate of what is steady
STEADY_PERCENTILE = 20  # a band's level exceeded 80% of the time is taken as its steady part
OVER_SUBTRACTION = 2.0
GAIN_FLOOR = 0.001  # at most −30 dB

LEVEL_FRAME_S = 0.02
LEVEL_HOP_S = 0.01
VOICE_BELOW_PEAK_DB = 35.0  # quieter than the loud speech by more than this is not voice
VOICE_ABOVE_FLOOR_DB = 6.0  # ... and so is anything this close to the quietest tenth
MIN_CONTRAST_DB = 15.0  # with less between the quiet and the loud (music under the voice), no pauses are told
CLOSURE_S = 0.1  # a shorter quiet stretch is a consonant's closure inside speech

_WINDOW = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FRAME) / FRAME)).astype(np.float32)


def steady_removed(samples: Any) -> np.ndarray:
    """The samples with each frequency band's steady level subtracted (STFT, 32 ms frames,
    square-root Hann windows at 50% overlap, so an untouched spectrum comes back unchanged)."""
    signal = np.asarray(samples, dtype=np.float32)
    padded = np.concatenate([np.zeros(FRAME, np.float32), signal, np.zeros(FRAME + HOP, np.float32)])
    frames = np.lib.stride_tricks.sliding_window_view(padded, FRAME)[::HOP]
    out = np.zeros(len(padded), np.float32)
    for first in range(0, len(frames), BLOCK_FRAMES):
        block = frames[first:first + BLOCK_FRAMES] * _WINDOW
        spectrum = np.fft.rfft(block, axis=1)
        power = spectrum.real ** 2 + spectrum.imag ** 2
        steady = np.percentile(power, STEADY_PERCENTILE, axis=0)
        gain = np.sqrt(np.maximum(1 - OVER_SUBTRACTION * steady / np.maximum(power, 1e-20), GAIN_FLOOR))
        back = np.fft.irfft(spectrum * gain, n=FRAME, axis=1).astype(np.float32) * _WINDOW
        at = first * HOP  # overlap-add: first halves end to end, second halves one hop later
        out[at:at + len(back) * HOP] += back[:, :HOP].reshape(-1)
        out[at + HOP:at + (len(back) + 1) * HOP] += back[:, HOP:].reshape(-1)
    return out[FRAME:FRAME + len(signal)]


def voiced(samples: Any, rate: int) -> list[tuple[float, float]]:
    """(start, end) seconds of each stretch loud enough to be speech, quiet gaps shorter
    than CLOSURE_S bridged; [] when nothing stands out clearly from the quietest tenth of the
    audio (silence, or music under the voice: pauses cannot be told by loudness there).
    "Loud enough" is relative to the louder frames heard, so a few seconds of speech in a
    long silence are found as well as a talk without pauses."""
    signal = np.asarray(samples, dtype=np.float32)
    size, hop = int(LEVEL_FRAME_S * rate), int(LEVEL_HOP_S * rate)
    if len(signal) < size:
        return []
    frames = np.lib.stride_tricks.sliding_window_view(signal, size)[::hop]
    level = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    floor = np.percentile(level, 10)
    heard = level[level > floor + VOICE_ABOVE_FLOOR_DB]
    if not len(heard) or np.percentile(heard, 90) - floor < MIN_CONTRAST_DB:
        return []
    threshold = max(np.percentile(heard, 90) - VOICE_BELOW_PEAK_DB, floor + VOICE_ABOVE_FLOOR_DB)
    stretches: list[tuple[float, float]] = []
    for index in np.flatnonzero(level > threshold):
        start, end = index * LEVEL_HOP_S, index * LEVEL_HOP_S + LEVEL_FRAME_S
        if stretches and start - stretches[-1][1] < CLOSURE_S:
            stretches[-1] = (stretches[-1][0], end)
        else:
            stretches.append((start, end))
    return [(round(a, 3), round(b, 3)) for a, b in stretches]
