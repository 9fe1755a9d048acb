"""The propose job: write (or rewrite) a render's proposal and post it to the chat.

Payload `{"render_id"}` makes the render's proposal (the render engine enqueues it when a
render finishes); `{"proposal_id", "generation", "hint"}` regenerates one. Both are
idempotent: a rerun finds what the first run recorded.
"""

from __future__ import annotations

from core.commands.registry import CommandError
from core.jobs import IO_QUEUE, JobFailed
from core.messages import Reply
from core.models import Job, Render
from core.proposals import making
from core.proposals.replies import proposal_reply
from workers.context import JobContext
from workers.tasks import task


@task("propose", queue=IO_QUEUE, time_limit_s=900)
def run_propose(ctx: JobContext) -> Reply:
    payload = ctx.payload
    services = ctx.services
    with services.db.session() as session:
        job = session.get_one(Job, ctx.job_id)
        render = session.get(Render, int(payload["render_id"]))
        if render is None:
            raise JobFailed(f"render #{payload['render_id']} no longer exists")
        workspace_id = job.workspace_id or render.workspace_id
        reply_to = making.ReplyTo(job.reply_front, job.reply_chat)
        member_id = job.requested_by
    ctx.progress(10, "writing titles")
    try:
        if "proposal_id" in payload:
            proposal = making.regenerate(services, workspace_id, int(payload["proposal_id"]),
                                         int(payload["generation"]), str(payload.get("hint") or ""),
                                         member_id=member_id)
        else:
            proposal = making.propose(services, workspace_id, render.id, reply_to, member_id=member_id)
    except CommandError as exc:
        raise JobFailed(str(exc)) from None
    ctx.progress(100, "proposal ready")
    return proposal_reply(proposal, render)
