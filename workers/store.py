"""The job rows as a durable queue: atomic claims, leases, and fenced finishes.

A claim stamps the row with a token (worker id + attempt). Every later write is
conditional on that token, so a worker whose lease expired — it hung, or was killed and
its job re-claimed — can never finish or report on a job that someone else now holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from core import outbox
from core.messages import Reply
from core.models import Job, JobState, Lease, utcnow

MAX_GIVE_UPS = 20


@dataclass(frozen=True)
class Claim:
    job_id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    token: str


def _due() -> Any:
    now = utcnow()
    return or_(
        and_(Job.state == JobState.queued, Job.run_after <= now),
        and_(Job.state == JobState.running, Job.lease_until < now),
    )


def _locking(session: Session, query: Any) -> Any:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def claim_next(session: Session, worker_id: str, queues: Sequence[str], lease_s: float) -> Claim | None:
    """Take the oldest due job on these queues, or one whose worker's lease ran out."""
    query = select(Job).where(_due(), Job.queue.in_(queues)).order_by(Job.run_after, Job.id).limit(1)
    for _ in range(MAX_GIVE_UPS):
        job = session.scalar(_locking(session, query))
        if job is None:
            return None
        if not _gave_up(session, job):
            return _take(session, job, worker_id, lease_s)
    return None


def claim_job(session: Session, job_id: int, worker_id: str, lease_s: float) -> Claim | None:
    """Take one named job if it is due (Celery delivers ids); None when it is not ours to run."""
    job = session.scalar(_locking(session, select(Job).where(Job.id == job_id, _due())))
    if job is None or _gave_up(session, job):
        return None
    return _take(session, job, worker_id, lease_s)


def _gave_up(session: Session, job: Job) -> bool:
    """A job whose worker vanished on its last allowed attempt fails instead of running again.

    Without this, a job that kills its worker every time (out of memory, a hard time limit,
    a crash in native code) would be re-claimed forever.
    """
    if job.state != JobState.running or job.attempts < job.max_attempts:
        return False
    job.state = JobState.failed
    job.error = (f"its worker stopped on attempt {job.attempts} of {job.max_attempts} "
                 "(killed, out of memory or over its time limit)")
    job.finished_at, job.lease_until = utcnow(), None
    session.flush()
    outbox.reply_to_job(session, job, Reply(text=f"Job #{job.id} ({job.kind}) failed: {job.error}",
                                            error=True))
    return True


def _take(session: Session, job: Job, worker_id: str, lease_s: float) -> Claim:
    now = utcnow()
    job.attempts += 1
    job.state = JobState.running
    job.worker_id = f"{worker_id}#{job.attempts}"
    job.lease_until = now + timedelta(seconds=lease_s)
    job.started_at = job.started_at or now
    session.flush()
    return Claim(job.id, job.kind, dict(job.payload or {}), job.attempts, job.max_attempts,
                 job.worker_id)


def renew(session: Session, claim: Claim, lease_s: float) -> bool:
    """Extend the lease; False means the job is no longer ours (cancelled or re-claimed)."""
    return bool(
        session.execute(
            update(Job)
            .where(Job.id == claim.job_id, Job.worker_id == claim.token, Job.state == JobState.running)
            .values(lease_until=utcnow() + timedelta(seconds=lease_s))
        ).rowcount
    )


def _finish(session: Session, claim: Claim, **values: Any) -> Job | None:
    done = session.execute(
        update(Job)
        .where(Job.id == claim.job_id, Job.worker_id == claim.token, Job.state == JobState.running)
        .values(lease_until=None, **values)
    ).rowcount
    return session.get(Job, claim.job_id) if done else None


def succeed(session: Session, claim: Claim, reply: Reply | None, result: dict[str, Any]) -> bool:
    job = _finish(session, claim, state=JobState.succeeded, result=result, progress=100.0,
                  finished_at=utcnow(), error=None)
    if job is not None and reply is not None:
        session.refresh(job)
        outbox.reply_to_job(session, job, reply)
    return job is not None


def fail(session: Session, claim: Claim, message: str) -> bool:
    job = _finish(session, claim, state=JobState.failed, error=message[:2000], finished_at=utcnow())
    if job is not None:
        session.refresh(job)
        outbox.reply_to_job(session, job, Reply(
            text=f"Job #{job.id} ({job.kind}) failed: {message}", error=True))
    return job is not None


def cancelled(session: Session, claim: Claim) -> bool:
    job = _finish(session, claim, state=JobState.cancelled, finished_at=utcnow())
    if job is not None:
        session.refresh(job)
        outbox.reply_to_job(session, job, Reply(text=f"Job #{job.id} ({job.kind}) was cancelled."))
    return job is not None


def retry(session: Session, claim: Claim, message: str, delay_s: float) -> bool:
    job = _finish(session, claim, state=JobState.queued, error=message[:2000],
                  run_after=utcnow() + timedelta(seconds=delay_s), worker_id=None)
    return job is not None


def backoff(base_s: float, attempt: int) -> float:
    """Exponential: base, 2×base, 4×base… capped at an hour."""
    return min(3600.0, base_s * 2 ** max(0, attempt - 1))


def heartbeat(session: Session, name: str, holder: str, ttl_s: float) -> None:
    """Record that a process is alive (workers, scheduler); /status and doctor read these."""
    lease = session.get(Lease, name)
    expires = utcnow() + timedelta(seconds=ttl_s)
    if lease is None:
        session.add(Lease(name=name, holder=holder, expires_at=expires))
    else:
        lease.holder, lease.expires_at = holder, expires


def drop_heartbeat(session: Session, name: str) -> None:
    lease = session.get(Lease, name)
    if lease is not None:
        session.delete(lease)
