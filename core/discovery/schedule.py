"""Watches on the scheduler: one APScheduler job per active watch, firing `fire_watch(watch_id)`.

A firing enqueues a `scan` job a few seconds ahead (`SCAN_GATHER_SECONDS`); watches that
fire meanwhile join the same job, so watches due together share their API calls. A
conditional update of `last_fired_at` makes a due watch fire once per period even if two
schedulers overlapped for a moment.
"""

from __future__ import annotations

import logging
from datetime import timedelta

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


def schedule_watch(services: Services, session: Session, watch: Watch) -> None:
    """(Re)write the watch's schedule; a paused watch has none."""
    if watch.paused:
        scheduler.remove_job(services, job_id(watch.id))
        return
    scheduler.add_job(services, job_id(watch.id), FIRE, trigger_for(session, watch), args=(watch.id,))


def unschedule(services: Services, watch_id: int) -> None:
    scheduler.remove_job(services, job_id(watch_id))


def reconcile(services: Services) -> None:
    """Make the job store match the watches table (run when a scheduler takes the lease)."""
    store = scheduler.writer(services)
    stored = {job.id for job in store.get_jobs() if job.id.startswith("watch:")}
    with services.db.session() as session:
        watches = list(session.scalars(select(Watch).where(Watch.paused.is_(False))))
        wanted = {job_id(w.id) for w in watches}
        for watch in watches:
            if job_id(watch.id) not in stored:
                schedule_watch(services, session, watch)
    for orphan in stored - wanted:
        store.remove_job(orphan)


def fire_watch(watch_id: int) -> None:
    """The scheduled job: claim this period's firing, then enqueue (or join) a scan job."""
    services = scheduler.services()
    now = utcnow()
    with services.db.session() as session:
        watch = session.get(Watch, watch_id)
        if watch is None:
            unschedule(services, watch_id)
            return
        if watch.paused:
            return
        gap = timedelta(seconds=scheduler.period_seconds(trigger_for(session, watch)) / 2)
        claimed = session.execute(
            update(Watch).where(Watch.id == watch_id,
                                or_(Watch.last_fired_at.is_(None), Watch.last_fired_at < now - gap))
            .values(last_fired_at=now)
        ).rowcount
        if not claimed:
            log.info("watch %s already fired this period", watch_id)
            return
        job = enqueue_scan(session, services, watch.workspace_id, [watch_id])
    jobs.dispatch(services, job)


def enqueue_scan(session: Session, services: Services, workspace_id: int, watch_ids: list[int]) -> Job:
    """A scheduled scan job for the workspace, joining one that has not started yet."""
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
        return waiting
    return jobs.enqueue(session, "scan", {"workspace_id": workspace_id, "watch_ids": sorted(watch_ids),
                         "scheduled": True},
                        jobs.Origin(workspace_id, None, None, None), queue=jobs.IO_QUEUE,
                        run_after=now + timedelta(seconds=gather),
                        default_attempts=services.settings.job_max_attempts)
