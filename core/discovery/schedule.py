"""Watches on the scheduler: one APScheduler job per active watch, firing `fire_watch(watch_id)`.

A firing enqueues a `scan` job a few seconds ahead (`SCAN_GATHER_SECONDS`); watches that
fire meanwhile join the same job, so watches due together share their API calls. A
conditional update of `last_fired_at` makes a due watch fire once per period even if two
schedulers overlapped for a moment.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core import jobs, scheduler, workspace_settings
from core.models import Job, JobState, Watch, Workspace, utcnow
from core.services import Services

log = logging.getLogger(__name__)

DEFAULT_EVERY_SECONDS = 6 * 3600
FIRE = "core.discovery.schedule:fire_watch"


def job_id(watch_id: int) -> str:
    return f"watch:{watch_id}"


def trigger_for(session: Session, watch: Watch) -> BaseTrigger:
    if watch.cron:
        workspace = session.get_one(Workspace, watch.workspace_id)
        return scheduler.cron_trigger(watch.cron, workspace_settings.get(workspace, "timezone"))
    return scheduler.interval_trigger(watch.every_seconds or DEFAULT_EVERY_SECONDS)


def schedule_watch(services: Services, watch_id: int) -> None:
    """(Re)write the watch's schedule from its row; a paused or removed watch has none.

    Call it after the transaction that changed the watch has committed: the job store
    writes through its own connection.
    """
    with services.db.session() as session:
        watch = session.get(Watch, watch_id)
        trigger = trigger_for(session, watch) if watch is not None and not watch.paused else None
    if trigger is None:
        scheduler.remove_job(services, job_id(watch_id))
    else:
        scheduler.add_job(services, job_id(watch_id), FIRE, trigger, args=(watch_id,))


def unschedule(services: Services, watch_id: int) -> None:
    scheduler.remove_job(services, job_id(watch_id))


def reconcile(services: Services) -> None:
    """Make the job store match the watches table (run when a scheduler takes the lease)."""
    store = scheduler.writer(services)
    stored = {job.id for job in store.get_jobs() if job.id.startswith("watch:")}
    with services.db.session() as session:
        active = list(session.scalars(select(Watch.id).where(Watch.paused.is_(False))))
    wanted = {job_id(w): w for w in active}
    for missing in wanted.keys() - stored:
        schedule_watch(services, wanted[missing])
    for orphan in stored - wanted.keys():
        store.remove_job(orphan)


def fire_watch(watch_id: int) -> None:
    """The scheduled job: claim this period's firing, then enqueue (or join) a scan job."""
    services = scheduler.services()
    now = utcnow()
    with services.db.session() as session:
        watch = session.get(Watch, watch_id)
        active = watch is not None and not watch.paused
        job = _claim_and_enqueue(session, services, watch, now) if active else None
    if watch is None:
        unschedule(services, watch_id)
    if job is not None:
        jobs.dispatch(services, job)


def _claim_and_enqueue(session: Session, services: Services, watch: Watch, now: datetime) -> Job | None:
    """Claim this period's firing of the watch; returns a new scan job to dispatch, if any."""
    gap = timedelta(seconds=scheduler.period_seconds(trigger_for(session, watch)) / 2)
    claimed = session.execute(
        update(Watch).where(Watch.id == watch.id,
                            or_(Watch.last_fired_at.is_(None), Watch.last_fired_at < now - gap))
        .values(last_fired_at=now)
    ).rowcount
    if not claimed:
        log.info("watch %s already fired this period", watch.id)
        return None
    job, created = enqueue_scan(session, services, watch.workspace_id, [watch.id])
    return job if created else None


def enqueue_scan(session: Session, services: Services, workspace_id: int,
                 watch_ids: list[int]) -> tuple[Job, bool]:
    """A scheduled scan job for the workspace, joining one that has not started yet;
    the flag says whether the job is new (and so must be dispatched)."""
    gather = services.settings.scan_gather_seconds
    now = utcnow()
    waiting = session.scalar(
        select(Job).where(Job.kind == "scan", Job.workspace_id == workspace_id,
                          Job.state == JobState.queued, Job.reply_chat.is_(None),
                          Job.run_after > now + timedelta(seconds=min(1.0, gather / 2)))
        .order_by(Job.id).limit(1).with_for_update()
    )
    if waiting is not None:
        ids = sorted(set(waiting.payload.get("watch_ids", [])) | set(watch_ids))
        waiting.payload = {**waiting.payload, "watch_ids": ids}
        return waiting, False
    return jobs.enqueue(session, "scan", {"workspace_id": workspace_id, "watch_ids": sorted(watch_ids),
                         "scheduled": True},
                        jobs.Origin(workspace_id, None, None, None), queue=jobs.IO_QUEUE,
                        run_after=now + timedelta(seconds=gather),
                        default_attempts=services.settings.job_max_attempts), True
