"""Publishing jobs: `publish` uploads one publication; `publish-approved` fans an approved proposal out."""

from __future__ import annotations

from pathlib import Path

from core import storage, workspace_settings
from core.commands.registry import CommandError
from core.jobs import IO_QUEUE, JobFailed, Origin, dispatch
from core.messages import Reply
from core.models import Job, Proposal, Publication, Render, Workspace
from core.publish import publications
from core.publish.publisher import publish
from workers.context import JobContext
from workers.tasks import task


class _Runner:
    """The running job as the publisher sees it: its id, fencing token and progress."""

    def __init__(self, ctx: JobContext) -> None:
        self.job_id, self.token, self.progress = ctx.job_id, ctx.claim.token, ctx.progress


@task("publish", queue=IO_QUEUE, time_limit_s=3 * 3600)
def run_publish(ctx: JobContext) -> Reply | None:
    publication_id = int(ctx.payload["publication_id"])
    _render_file_here(ctx, publication_id)
    return publish(ctx.services, publication_id, _Runner(ctx), check=bool(ctx.payload.get("check")))


def _render_file_here(ctx: JobContext, publication_id: int) -> None:
    """With a shared MEDIA_STORE the render may have been written on another machine: fetch it."""
    if not ctx.services.settings.media_store:
        return
    with ctx.services.db.session() as session:
        publication = session.get(Publication, publication_id)
        proposal = session.get(Proposal, publication.proposal_id) if publication else None
        render = session.get(Render, proposal.render_id) if proposal else None
        path = render.output_path if render else None
    if path:
        storage.ensure_local(ctx.services.settings, Path(path))


@task("publish-approved", queue=IO_QUEUE, time_limit_s=120)
def run_publish_approved(ctx: JobContext) -> Reply | None:
    """Auto-publish: one publication per connected account the workspace's publish_targets names."""
    services = ctx.services
    with services.db.session() as session:
        job = session.get_one(Job, ctx.job_id)
        try:
            proposal = publications.approved_proposal(session, job.workspace_id or 0,
                                                       int(ctx.payload["proposal_id"]))
        except CommandError as exc:
            raise JobFailed(str(exc)) from None
        workspace = session.get_one(Workspace, proposal.workspace_id)
        target = str(workspace_settings.get(workspace, "publish_targets"))
        accounts = publications.accounts_for(session, workspace.id, target)
        origin = publications.reply_origin(
            proposal, Origin(workspace.id, job.requested_by, job.reply_front, job.reply_chat))
        queued = []
        for account in accounts:
            publication = publications.prepare(session, proposal, account, None)
            if publication.state not in publications.FINISHED:
                queued.append(publications.enqueue(session, publication, origin))
    for publish_job in queued:
        dispatch(services, publish_job)
    if not accounts:
        return Reply(text=f"Proposal #{proposal.id} is approved, but no {target} account is connected: "
                          f"/connect youtube or /connect tiktok, then /publish {proposal.id}.")
    return None
