"""Commands about jobs: start a probe, list my jobs, cancel one."""

from __future__ import annotations

from sqlalchemy import or_, select

from core import jobs
from core.commands.registry import CommandError, Invocation, arg, command, flag
from core.media.inputs import input_file
from core.messages import Choice, Reply, format_duration
from core.models import Job, JobState, Role, utcnow
from core.services import Services

RECENT = 10


def origin(inv: Invocation) -> jobs.Origin:
    return jobs.Origin(inv.workspace_id, inv.member_id, inv.front, inv.chat_ref)


@command("probe", arg("path", "the media file (or attach it)", required=False), role=Role.editor)
def probe(inv: Invocation, svc: Services) -> Reply:
    """Inspect a media file and report its streams."""
    path = input_file(inv, inv["path"])
    job = jobs.start(svc, "probe", {"path": str(path)}, origin(inv), queue=jobs.IO_QUEUE)
    return jobs.started_reply(job, f"probe {path.name}")


@command("queue", flag("all", "everyone's jobs in this workspace, not only mine"))
def queue(inv: Invocation, svc: Services) -> Reply:
    """Show my jobs and how far they have got."""
    with svc.db.session() as session:
        query = select(Job).where(Job.workspace_id == inv.workspace_id)
        if not inv["all"]:
            query = query.where(Job.requested_by == inv.member_id)
        active = session.scalars(
            query.where(or_(Job.state == JobState.queued, Job.state == JobState.running))
            .order_by(Job.id)
        ).all()
        recent = session.scalars(
            query.where(Job.state.not_in([JobState.queued, JobState.running]))
            .order_by(Job.id.desc())
            .limit(RECENT)
        ).all()
    if not active and not recent:
        return Reply(text="No jobs yet. /help shows what you can start.")
    lines = [describe(job) for job in active] or ["Nothing running or waiting."]
    if recent:
        lines += ["Recently finished:", *(describe(job) for job in recent)]
    choices = [Choice(label=f"Cancel #{job.id}", command=f"/cancel {job.id}") for job in active]
    return Reply(text="\n".join(lines), choices=choices[:5])


def describe(job: Job) -> str:
    state = JobState(job.state)
    if state is JobState.running:
        detail = f"{job.progress:.0f}%" + (f" · {job.progress_text}" if job.progress_text else "")
    elif state is JobState.queued:
        wait = (job.run_after - utcnow()).total_seconds()
        detail = f"waiting (starts in {format_duration(wait)})" if wait > 1 else "waiting"
        if job.attempts:
            detail += f", attempt {job.attempts + 1} of {job.max_attempts}"
    elif state is JobState.failed:
        detail = f"failed: {job.error or 'no reason recorded'}"
    else:
        detail = state.value
    return f"#{job.id} {job.kind} — {detail}"


@command("cancel", arg("job", "the job number", type=int, lookup="job"), role=Role.editor)
def cancel(inv: Invocation, svc: Services) -> Reply:
    """Cancel one of my jobs (owners may cancel anyone's)."""
    with svc.db.session() as session:
        job = session.get(Job, inv["job"])
        if job is None or job.workspace_id != inv.workspace_id:
            raise CommandError(f"There is no job #{inv['job']} here. /queue lists your jobs.")
        if job.requested_by != inv.member_id and inv.role < Role.owner:
            raise CommandError(f"Job #{job.id} was started by someone else; only an owner can "
                               "cancel it.")
        message = jobs.request_cancel(session, job)
    return Reply(text=message)
