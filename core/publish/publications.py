"""Publications: one approved proposal going to one account, created once and claimed by one worker.

The idempotency key is the (proposal, account) pair, so asking twice reuses the row. A
worker claims a publication with a lease named after it, held by its job's fencing token:
a second worker is refused while the first still holds its job, and takes over at once
when that job was re-claimed (its worker died).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import jobs, leases
from core.commands.registry import CommandError
from core.models import Account, Job, JobState, Lease, Proposal, ProposalState, Publication, utcnow

PLATFORMS = ("youtube", "tiktok")
PUBLISH_ATTEMPTS = 12
CLAIM_TTL_S = 15 * 60.0
FINISHED = ("published", "inbox", "failed")
CHECK_KEY_PREFIX = "publish-check:"


def accounts_for(session: Session, workspace_id: int, target: str) -> list[Account]:
    platforms = PLATFORMS if target == "all" else (target,)
    return list(session.scalars(
        select(Account).where(Account.workspace_id == workspace_id, Account.platform.in_(platforms))
        .order_by(Account.platform, Account.id)))


def approved_proposal(session: Session, workspace_id: int, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.workspace_id != workspace_id:
        raise CommandError(f"There is no proposal #{proposal_id} here.")
    if proposal.state != ProposalState.approved:
        raise CommandError(f"Proposal #{proposal_id} is {proposal.state}; only an approved proposal is "
                           f"published. Approve it first with /approve {proposal_id}.")
    return proposal


def prepare(
    session: Session, proposal: Proposal, account: Account, publish_at: datetime | None
) -> Publication:
    """The publication of this proposal on this account: new, or the existing one (a failed one re-armed)."""
    publication = session.scalar(select(Publication).where(
        Publication.proposal_id == proposal.id, Publication.account_id == account.id))
    if publication is None:
        publication = Publication(
            workspace_id=proposal.workspace_id, proposal_id=proposal.id, account_id=account.id,
            platform=account.platform, idempotency_key=f"pub:{proposal.id}:{account.id}",
            publish_at=publish_at, data={"round": 0},
        )
        session.add(publication)
        session.flush()
    elif publication.state == "failed":
        publication.state, publication.error = "queued", None
        publication.upload_session, publication.bytes_sent = None, 0
        publication.publish_at = publish_at
        kept = {name: value for name, value in publication.data.items() if name != "moderation"}
        publication.data = {**kept, "round": int(publication.data.get("round", 0)) + 1}
    return publication


def enqueue(session: Session, publication: Publication, origin: jobs.Origin) -> Job:
    """The publication's job; one per round, so asking again while it runs starts nothing new.

    A round whose job gave up (retries exhausted, cancelled) while the publication is unfinished
    gets a new round: its recorded upload state makes the new job continue, not start over.
    """
    key = f"publish:{publication.id}:{publication.data.get('round', 0)}"
    previous = session.scalar(select(Job).where(Job.idempotency_key == key))
    if previous is not None and JobState(previous.state).finished and publication.state not in FINISHED:
        publication.data = {**publication.data, "round": int(publication.data.get("round", 0)) + 1}
        key = f"publish:{publication.id}:{publication.data['round']}"
    run_after = publication.publish_at if publication.platform == "tiktok" else None
    return jobs.enqueue(
        session, "publish", {"publication_id": publication.id}, origin, queue=jobs.IO_QUEUE,
        max_attempts=PUBLISH_ATTEMPTS, run_after=run_after, idempotency_key=key,
    )


def enqueue_check(session: Session, publication: Publication, job_id: int, number: int,
                  delay_s: float) -> Job:
    """A later job that only asks the platform about the recorded upload (TikTok's moderation).

    The key names the round, so a re-armed publication never meets an old check's key.
    """
    current = session.get_one(Job, job_id)
    origin = jobs.Origin(current.workspace_id, current.requested_by, current.reply_front, current.reply_chat)
    return jobs.enqueue(
        session, "publish", {"publication_id": publication.id, "check": number}, origin, queue=jobs.IO_QUEUE,
        max_attempts=PUBLISH_ATTEMPTS, run_after=utcnow() + timedelta(seconds=delay_s),
        idempotency_key=f"{CHECK_KEY_PREFIX}{publication.id}:{publication.data.get('round', 0)}:{number}",
    )


def reply_origin(proposal: Proposal, fallback: jobs.Origin) -> jobs.Origin:
    """Results go to the chat that approved the proposal, else where the request came from."""
    if proposal.reply_front and proposal.reply_chat:
        return jobs.Origin(proposal.workspace_id, fallback.member_id, proposal.reply_front,
                           proposal.reply_chat)
    return fallback


def claim(session: Session, publication_id: int, job_id: int, token: str) -> bool:
    """Take the publication for this job; False while another live job holds it."""
    name, holder = _lease(publication_id, job_id, token)
    if leases.acquire(session, name, holder, CLAIM_TTL_S):
        return True
    current = session.scalar(select(Lease.holder).where(Lease.name == name))
    if current is None or _holder_alive(session, current):
        return False
    leases.release(session, name, current)
    return leases.acquire(session, name, holder, CLAIM_TTL_S)


def holds(session: Session, publication_id: int, job_id: int, token: str) -> bool:
    """Whether this job still holds the publication; holding it renews the claim."""
    name, holder = _lease(publication_id, job_id, token)
    return leases.acquire(session, name, holder, CLAIM_TTL_S)


def release(session: Session, publication_id: int, job_id: int, token: str) -> None:
    leases.release(session, *_lease(publication_id, job_id, token))


def _lease(publication_id: int, job_id: int, token: str) -> tuple[str, str]:
    """The lease's name and holder: the holder is the job and its fencing token."""
    return f"publication:{publication_id}", f"{job_id}|{token}"


def _holder_alive(session: Session, holder: str) -> bool:
    job_id, _, token = holder.partition("|")
    job = session.get(Job, int(job_id)) if job_id.isdigit() else None
    return job is not None and job.state == JobState.running and job.worker_id == token
