"""Run ffmpeg with `-progress pipe:1` and turn its reports into percent + ETA callbacks.

stderr is drained on a thread so neither pipe can fill up and deadlock; its last lines
become the error message. If the progress callback raises (a cancelled job), ffmpeg is
killed before the exception goes on.
"""

from __future__ import annotations

import collections
import contextlib
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from core.media.probe import MediaError

Progress = Callable[[float, float | None], None]  # (fraction 0–1, eta seconds)


class FfmpegFailed(MediaError):
    """ffmpeg exited non-zero; the message is its last error line."""


def parse_out_time(line: str) -> float | None:
    """Seconds encoded so far from one progress line; `out_time_ms` is really microseconds."""
    key, _, value = line.strip().partition("=")
    if key != "out_time_ms" or not value or value == "N/A":
        return None
    try:
        return max(0.0, int(value) / 1_000_000)
    except ValueError:
        return None


def run(argv: Sequence[str], duration_s: float, on_progress: Progress | None = None) -> float:
    """Run ffmpeg to the end; returns the wall time it took. Raises FfmpegFailed on failure."""
    started = time.monotonic()
    with _running(argv, bufsize=0) as process:
        assert process.stdout is not None
        for raw in process.stdout:
            seconds = parse_out_time(raw.decode("utf-8", "replace"))
            if seconds is None or on_progress is None or duration_s <= 0:
                continue
            fraction = min(1.0, seconds / duration_s)
            elapsed = time.monotonic() - started
            eta = elapsed * (1 - fraction) / fraction if fraction > 0.02 else None
            on_progress(fraction, eta)
    return time.monotonic() - started


def frames(argv: Sequence[str], frame_bytes: int) -> Iterator[bytes]:
    """Run ffmpeg writing raw frames to stdout and yield them one by one (`frame_bytes` each).

    Stopping early (closing the generator, or an exception in the consumer) kills ffmpeg.
    Raises FfmpegFailed when ffmpeg exits non-zero.
    """
    with _running(argv, bufsize=frame_bytes) as process:
        assert process.stdout is not None
        while len(frame := process.stdout.read(frame_bytes)) == frame_bytes:
            yield frame


@contextlib.contextmanager
def _running(argv: Sequence[str], bufsize: int) -> Iterator[subprocess.Popen[bytes]]:
    """ffmpeg started with its stderr drained on a thread; killed if the caller stops early;
    FfmpegFailed (its last error line) if it exits non-zero."""
    try:
        process = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, bufsize=bufsize)
    except FileNotFoundError:
        raise MediaError("ffmpeg is not installed: run scripts/setup.sh (Debian package ffmpeg).") from None
    errors: collections.deque[str] = collections.deque(maxlen=20)
    drain = threading.Thread(target=_drain, args=(process, errors), daemon=True)
    drain.start()
    try:
        yield process
        code = process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        drain.join(5)
    if code != 0:
        lines = [line.strip() for line in errors if line.strip()]
        raise FfmpegFailed(f"ffmpeg failed: {lines[-1] if lines else f'exit code {code}'}"[:400])


def _drain(process: subprocess.Popen[bytes], sink: collections.deque[str]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        sink.append(line.decode("utf-8", "replace"))
