"""Recording jobs: long work never runs in a chat handler; it is a row that a worker claims."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.messages import Reply
from core.models import Job, JobState, utcnow
from core.services import Services

DEFAULT_QUEUE = "default"
IO_QUEUE = "io"
RENDER_CPU_QUEUE = "render-cpu"
RENDER_GPU_QUEUE = "render-gpu"
QUEUES = (DEFAULT_QUEUE, IO_QUEUE, RENDER_CPU_QUEUE, RENDER_GPU_QUEUE)


class JobFailed(Exception):
    """The job cannot succeed as asked (corrupt file, dead link…): fail now, tell the person why."""


class RetryLater(Exception):
    """A passing problem (rate limit, quota, network): run the job again after `delay` seconds."""

    def __init__(self, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay


class JobCancelled(Exception):
    """Someone cancelled the job; it stops at its next progress report."""


@dataclass(frozen=True)
class Origin:
    """Where a job came from, so results go back to that chat."""

    workspace_id: int | None
    member_id: int | None
    front: str | None
    chat_ref: str | None


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    origin: Origin,
    *,
    queue: str = DEFAULT_QUEUE,
    max_attempts: int | None = None,
    run_after: datetime | None = None,
    idempotency_key: str | None = None,
    default_attempts: int = 3,
) -> Job:
    """Record a job in the caller's transaction; dispatch it with `dispatch` after commit."""
    if idempotency_key:
        existing = session.scalar(select(Job).where(Job.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        queue=queue,
        payload=payload,
        max_attempts=max_attempts or default_attempts,
        run_after=run_after or utcnow(),
        idempotency_key=idempotency_key,
        workspace_id=origin.workspace_id,
        requested_by=origin.member_id,
        reply_front=origin.front,
        reply_chat=origin.chat_ref,
    )
    session.add(job)
    session.flush()
    return job


def start(
    services: Services,
    kind: str,
    payload: dict[str, Any],
    origin: Origin,
    *,
    queue: str = DEFAULT_QUEUE,
    **kw: Any,
) -> Job:
    """Record a job in its own transaction and hand it to the dispatcher."""
    with services.db.session() as session:
        job = enqueue(
            session,
            kind,
            payload,
            origin,
            queue=queue,
            default_attempts=services.settings.job_max_attempts,
            **kw,
        )
    dispatch(services, job)
    return job


def dispatch(services: Services, job: Job) -> None:
    services.dispatcher.dispatch(job.id, job.queue)


def request_cancel(session: Session, job: Job) -> str:
    """Cancel a queued job at once; ask a running one to stop at its next progress report."""
    if JobState(job.state).finished:
        return f"Job #{job.id} has already {job.state}; there is nothing to cancel."
    cancelled = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.state == JobState.queued)
        .values(state=JobState.cancelled, cancel_requested=True, finished_at=utcnow())
    ).rowcount
    if cancelled:
        return f"Job #{job.id} ({job.kind}) was cancelled before it started."
    session.execute(update(Job).where(Job.id == job.id).values(cancel_requested=True))
    return f"Job #{job.id} ({job.kind}) will stop at its next progress report."


def queue_depth(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Job.state, func.count()).where(
            Job.state.in_([JobState.queued, JobState.running])
        ).group_by(Job.state)
    ).all()
    return {state: count for state, count in rows}


def active_jobs(session: Session, workspace_id: int) -> list[Job]:
    """Jobs still to do now (scheduled ones that are not yet due don't count)."""
    return list(
        session.scalars(
            select(Job).where(
                Job.workspace_id == workspace_id,
                Job.state.in_([JobState.queued, JobState.running]),
                Job.run_after <= utcnow(),
            )
        )
    )


def started_reply(job: Job, what: str) -> Reply:
    return Reply(
        text=f"Started job #{job.id}: {what}. Progress will follow here; /cancel {job.id} stops it.",
        job_id=job.id,
    )
