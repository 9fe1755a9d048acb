"""Waiting for TikTok's checks: once every byte is accepted, only the recorded publish id is asked about.

TikTok documents that processing usually ends within a minute but that moderation "may take a
few hours", and a FILE_UPLOAD post answers `PROCESSING_UPLOAD` all that time. The publish job
polls for about a minute; if TikTok is still checking, the job ends and a check job is queued,
each one later than the last (about as long as the video has been waiting: 1 minute, then
2, 4 … up to 30 minutes between checks), until TikTok answers or WINDOW has passed. The person
is told once that the video is being checked, then the outcome. Nothing is uploaded again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import jobs
from core.messages import Reply
from core.models import Job, JobState, Publication, utcnow
from core.publish import publications
from core.publish.outcome import Runner
from core.publish.post import Post
from core.services import Services

FIRST_CHECK_S = 60.0
MAX_CHECK_S = 30 * 60.0
WINDOW = timedelta(hours=24)


def wait(services: Services, post: Post, runner: Runner, state: str) -> Reply | None:
    """Queue the next check of the recorded upload; the first time, tell the person why it waits."""
    now = utcnow()
    with services.db.session() as session:
        publication = session.get_one(Publication, post.publication_id)
        waiting = dict((publication.data or {}).get("moderation") or {})
        since = datetime.fromisoformat(waiting["since"]) if waiting.get("since") else now
        checks = int(waiting.get("checks") or 0)
        told = bool(waiting.get("since"))
        publication.data = {**(publication.data or {}),
                            "moderation": {"since": since.isoformat(), "checks": checks + 1}}
        next_job = None
        if now - since > WINDOW:
            publication.data = {**publication.data, "moderation": {"checks": checks + 1}}
            reply = _gave_up(publication, since)
        else:
            delay = min(MAX_CHECK_S, max(FIRST_CHECK_S, (now - since).total_seconds()))
            if not _check_queued(session, publication.id, runner.job_id):
                next_job = publications.enqueue_check(session, publication, runner.job_id, checks + 1, delay)
            reply = None if told else _in_moderation(publication, state)
        publications.release(session, post.publication_id, runner.job_id, runner.token)
    if next_job is not None:
        jobs.dispatch(services, next_job)
    return reply


def is_waiting(publication: Publication) -> bool:
    """All bytes are with TikTok and it has not answered yet."""
    return publication.state == "uploaded" and bool(((publication.data or {}).get("moderation") or {})
                                                    .get("since"))


def _check_queued(session: Session, publication_id: int, current_job_id: int) -> bool:
    """Another check of this publication is already queued (asking twice would double the polling)."""
    found = session.scalar(select(Job.id).where(
        Job.idempotency_key.startswith(f"{publications.CHECK_KEY_PREFIX}{publication_id}:"),
        Job.state == JobState.queued, Job.id != current_job_id).limit(1))
    return found is not None


def _in_moderation(publication: Publication, state: str) -> Reply:
    return Reply(
        text=(f"TikTok has all of proposal #{publication.proposal_id} and is checking it ({state}). "
              "That usually takes a minute and sometimes a few hours; I'll post the result here. "
              "It will not be uploaded again."),
        subject=f"publication:{publication.id}")


def _gave_up(publication: Publication, since: datetime) -> Reply:
    hours = WINDOW.total_seconds() / 3600
    return Reply(
        text=(f"TikTok has been checking proposal #{publication.proposal_id} since {since:%Y-%m-%d %H:%M} "
              f"UTC and still has not said whether it is published; I stopped asking after {hours:.0f} "
              f"hours. Look in the TikTok app; /publish {publication.proposal_id} tiktok asks again (it "
              "never uploads a second copy)."),
        subject=f"publication:{publication.id}", error=True)
