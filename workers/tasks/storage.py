"""The `storage-sweep` job: the daily media clean-up, run now because an owner asked (/storage clean)."""

from __future__ import annotations

from core.jobs import IO_QUEUE
from core.messages import Reply
from core.retention.sweep import sweep
from workers.context import JobContext
from workers.tasks import task


@task("storage-sweep", queue=IO_QUEUE, time_limit_s=3600)
def run_storage_sweep(ctx: JobContext) -> Reply:
    report = sweep(ctx.services)
    return Reply(text=f"Clean-up done: {report.summary()}. /storage shows what is left.")
