"""Discovery jobs: scanning watches, and downloading a chosen candidate."""

from __future__ import annotations

from core.discovery.download import download_candidate
from core.discovery.scan import scan_watches
from core.jobs import IO_QUEUE
from core.messages import Choice, Reply
from workers.context import JobContext
from workers.tasks import task


@task("scan", queue=IO_QUEUE, time_limit_s=1800)
def run_scan(ctx: JobContext) -> Reply | None:
    """Scan the payload's watches; a scheduled scan reports to each watch's chat only."""
    payload = ctx.payload
    ctx.progress(1, f"scanning {len(payload['watch_ids'])} watches")
    report = scan_watches(ctx.services, payload["workspace_id"], payload["watch_ids"], ctx.progress)
    return Reply(text=report.text(), subject="scan")


@task("download", queue=IO_QUEUE, time_limit_s=3600)
def run_download(ctx: JobContext) -> Reply:
    candidate_id = int(ctx.payload["candidate_id"])
    ctx.progress(0, "starting")
    path = download_candidate(ctx.services, candidate_id, ctx.progress)
    size = path.stat().st_size / 2**20
    return Reply(text=f"Candidate #{candidate_id} is downloaded ({size:.1f} MB).",
                 choices=[Choice(label="Render this", command=f"/render {candidate_id}", emoji="🎬")],
                 subject=f"candidate:{candidate_id}")
