"""The periodic work of analytics: enqueue due collections and due weekly digests.

Both run from the scheduler every few minutes and are cheap when nothing is due. Each
enqueued job carries an idempotency key for its slot (account + collection slot, or
subscription + week), so running them twice, or from two processes, never doubles work.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import jobs
from core.analytics.digest import last_occurrence
from core.analytics.history import live, zone
from core.models import Account, Job, Publication, Subscription, utcnow
from core.services import Services

log = logging.getLogger(__name__)

DIGEST = "digest"
CHECK_EVERY_MINUTES = 5


def collect_due_accounts(services: Services, now: datetime | None = None) -> list[Job]:
    """A `collect` job for every healthy account whose next reading is due: hourly while one of
    its shorts is younger than ANALYTICS_RECENT_HOURS, every ANALYTICS_DAILY_EVERY_HOURS after."""
    settings = services.settings
    now = now or utcnow()
    recent_s = settings.analytics_recent_every_minutes * 60
    daily_s = settings.analytics_daily_every_hours * 3600
    young_after = now - timedelta(hours=settings.analytics_recent_hours)
    started: list[Job] = []
    with services.db.session() as session:
        rows = session.execute(
            select(Account.id, Account.workspace_id, func.max(Publication.published_at))
            .join(Publication, Publication.account_id == Account.id)
            .where(Account.healthy.is_(True), live())
            .group_by(Account.id, Account.workspace_id)
        ).all()
        for account_id, workspace_id, newest in rows:
            every = recent_s if newest is not None and newest > young_after else daily_s
            slot = int(now.timestamp()) // every
            job = _enqueue_once(
                services, session, f"collect:{account_id}:{every}:{slot}", "collect",
                {"account_id": account_id}, jobs.Origin(workspace_id, None, None, None), jobs.IO_QUEUE,
            )
            if job is not None:
                started.append(job)
    for job in started:
        jobs.dispatch(services, job)
    return started


def post_due_digests(services: Services, now: datetime | None = None) -> list[Job]:
    """A `digest` job for every enabled digest whose weekly time has come since it last went out."""
    now = now or utcnow()
    started: list[Job] = []
    with services.db.session() as session:
        subscriptions = session.scalars(
            select(Subscription).where(Subscription.kind == DIGEST, Subscription.enabled.is_(True))
        ).all()
        for subscription in subscriptions:
            spec = subscription.spec or {}
            occurrence = last_occurrence(int(spec.get("weekday", 0)), int(spec.get("hour", 9)),
                                         zone(session, subscription.workspace_id), now)
            if occurrence < subscription.created_at:
                continue
            if subscription.last_sent_at is not None and subscription.last_sent_at >= occurrence:
                continue
            week_end = occurrence.astimezone(UTC)
            job = _enqueue_once(
                services, session, f"digest:{subscription.id}:{week_end:%Y%m%dT%H%M}", "digest",
                {"subscription_id": subscription.id, "week_end": week_end.isoformat()},
                jobs.Origin(subscription.workspace_id, subscription.created_by,
                            subscription.reply_front, subscription.reply_chat),
                jobs.DEFAULT_QUEUE,
            )
            if job is not None:
                started.append(job)
    for job in started:
        jobs.dispatch(services, job)
    return started


def _enqueue_once(
    services: Services, session: Session, key: str, kind: str, payload: dict[str, Any],
    origin: jobs.Origin, queue: str,
) -> Job | None:
    """A new job for this slot, or None when the slot already has one (whatever its state)."""
    if session.scalar(select(Job.id).where(Job.idempotency_key == key)) is not None:
        return None
    return jobs.enqueue(session, kind, payload, origin, queue=queue, idempotency_key=key,
                        default_attempts=services.settings.job_max_attempts)


def collect_due() -> None:
    """Scheduler entry point (called with no arguments)."""
    from core import scheduler

    collect_due_accounts(scheduler.services())


def digests_due() -> None:
    """Scheduler entry point (called with no arguments)."""
    from core import scheduler

    post_due_digests(scheduler.services())
