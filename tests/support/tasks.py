"""Job kinds for the queue tests and bench, loaded with `extra_modules=("tests.support.tasks",)`.

Each run leaves a trace under `payload["dir"]`: `runs/<job id>` gets one line per execution
(so a test can see a job ran twice after its worker was killed), and the side effect proper
is `done/<job id>`, created once — the task checks it first, as real tasks check recorded
state, and the exclusive create would raise on a duplicate.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from core.messages import Reply
from workers.context import JobContext
from workers.tasks import task


def _trace(ctx: JobContext, folder: str) -> Path:
    path = Path(ctx.payload["dir"]) / folder
    path.mkdir(parents=True, exist_ok=True)
    return path / str(ctx.job_id)


def _record_run(ctx: JobContext) -> None:
    with _trace(ctx, "runs").open("a") as handle:
        handle.write(f"{os.getpid()} {ctx.attempt} {time.time():.3f}\n")


def _side_effect_once(ctx: JobContext) -> None:
    marker = _trace(ctx, "done")
    if marker.exists():
        return
    fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.close(fd)


@task("test.noop")
def noop(ctx: JobContext) -> None:
    return None


@task("test.touch")
def touch(ctx: JobContext) -> Reply:
    _record_run(ctx)
    _side_effect_once(ctx)
    return Reply(text=f"touched {ctx.job_id}")


@task("test.slow", time_limit_s=120)
def slow(ctx: JobContext) -> Reply:
    """Works for `seconds`, reporting progress often (where cancellation is noticed)."""
    _record_run(ctx)
    _trace(ctx, "started").write_text(str(os.getpid()))
    seconds = float(ctx.payload.get("seconds", 3))
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        ctx.progress(100 * elapsed / seconds, "working")
        time.sleep(0.05)
    _side_effect_once(ctx)
    return Reply(text=f"slow job {ctx.job_id} done")


@task("test.flaky")
def flaky(ctx: JobContext) -> Reply:
    """Fails with an unexpected error on its first `failures` attempts."""
    _record_run(ctx)
    if ctx.attempt <= int(ctx.payload.get("failures", 0)):
        raise RuntimeError(f"flaky failure on attempt {ctx.attempt}")
    _side_effect_once(ctx)
    return Reply(text=f"flaky job {ctx.job_id} made it on attempt {ctx.attempt}")


@task("test.hang", time_limit_s=1)
def hang(ctx: JobContext) -> None:
    """Stops responding (no progress reports) far beyond its one-second limit."""
    _record_run(ctx)
    time.sleep(60)
