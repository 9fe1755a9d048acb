"""The probe job: ffprobe a media file and report its streams."""

from __future__ import annotations

from pathlib import Path

from core.jobs import IO_QUEUE
from core.media.probe import probe
from core.messages import Reply
from workers.context import JobContext
from workers.tasks import task


@task("probe", queue=IO_QUEUE, time_limit_s=120)
def run_probe(ctx: JobContext) -> Reply:
    path = Path(ctx.payload["path"])
    ctx.progress(10, f"reading {path.name}")
    info = probe(path)
    ctx.progress(100, "done")
    return Reply(text=info.report(), subject=f"probe:{path.name}")
