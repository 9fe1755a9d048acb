"""The scheduler: APScheduler 3 with its SQLAlchemy job store in our database, one per deployment.

Schedules live in the `apscheduler_jobs` table, so they survive restarts; misfires are
coalesced into one catch-up run. Every process that adds schedules (a `/watch add` in the
bot) writes them through a paused APScheduler instance; only the process holding the
`scheduler` lease (a row in `leases`, renewed while it lives) runs jobs, so two
`ettametta run` processes never both fire. Job functions take ids only and enqueue our
jobs; they find the process's services with `services()`.

Other capabilities add deployment-wide periodic jobs with `register_system_job`:

    register_system_job("analytics:collect", "core.analytics.jobs:collect", trigger="interval", hours=6)

at import time of a module under `core/commands/` or `workers/tasks/` (both are imported
before the scheduler starts), or at any time after.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core import leases
from core.models import utcnow
from core.services import Services

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}


@dataclass(frozen=True)
class SystemJob:
    id: str
    func: str
    trigger: dict[str, Any]


_SYSTEM_JOBS: dict[str, SystemJob] = {}
_WRITERS: dict[str, BackgroundScheduler] = {}
_WRITERS_LOCK = threading.Lock()
_SERVICES: Services | None = None
_RUNNING: list[Scheduler] = []


def services() -> Services:
    """The running scheduler's services, for job functions (which receive ids only)."""
    if _SERVICES is None:
        raise RuntimeError("no scheduler runs in this process")
    return _SERVICES


def interval_trigger(seconds: int) -> IntervalTrigger:
    """Intervals aligned to a fixed epoch: every 6h means 00:00, 06:00… UTC for every watch,
    so watches due together are scanned together (and batch their API calls)."""
    return IntervalTrigger(seconds=seconds, start_date=EPOCH, timezone=UTC)


def cron_trigger(expression: str, timezone: str = "UTC") -> CronTrigger:
    return CronTrigger.from_crontab(expression, timezone=timezone)


def period_seconds(trigger: BaseTrigger) -> float:
    """The time between two firings (for a cron, the next two after now)."""
    now = utcnow()
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(microseconds=1)) if first else None
    return (second - first).total_seconds() if first and second else 3600.0


def paused_scheduler(services_: Services) -> BackgroundScheduler:
    """An APScheduler on our job store, started paused: adding a job writes it to the store at once."""
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(engine=services_.db.engine)},
                                    job_defaults=JOB_DEFAULTS, timezone=UTC)
    scheduler.start(paused=True)
    return scheduler


def writer(services_: Services) -> BackgroundScheduler:
    """The process's (never running) APScheduler that writes schedules for this database."""
    key = services_.settings.db_url
    with _WRITERS_LOCK:
        if key not in _WRITERS:
            _WRITERS[key] = paused_scheduler(services_)
        return _WRITERS[key]


def add_job(services_: Services, job_id: str, func: str, trigger: BaseTrigger, *,
            args: tuple[Any, ...] = ()) -> None:
    writer(services_).add_job(func, trigger=trigger, args=args, id=job_id, name=job_id,
                              replace_existing=True)
    _wake_running()


def _wake_running() -> None:
    """A leader in this process notices a new schedule now, not at its next lease beat."""
    for running in list(_RUNNING):
        if running.leader:
            running.wake()


def remove_job(services_: Services, job_id: str) -> None:
    scheduler = writer(services_)
    if scheduler.get_job(job_id) is not None:
        scheduler.remove_job(job_id)


def next_run(services_: Services, job_id: str) -> datetime | None:
    job = writer(services_).get_job(job_id)
    return job.next_run_time if job is not None else None


def register_system_job(job_id: str, func: str, **trigger: Any) -> None:
    """A deployment-wide periodic job: `func` is "module:function" (called with no arguments);
    `trigger` is APScheduler's, e.g. trigger="interval", hours=6 or trigger="cron", hour=9."""
    spec = SystemJob(job_id, func, dict(trigger))
    _SYSTEM_JOBS[job_id] = spec
    if _SERVICES is not None:
        _add_system_job(_SERVICES, spec)


def _add_system_job(services_: Services, spec: SystemJob) -> None:
    options = dict(spec.trigger)
    kind = options.pop("trigger", "interval")
    if kind == "interval":
        options.setdefault("start_date", EPOCH)
    options.setdefault("timezone", UTC)
    writer(services_).add_job(spec.func, trigger=kind, id=spec.id, name=spec.id,
                              replace_existing=True, **options)


def shutdown_writers() -> None:
    """Stop this process's APSchedulers (tests, and the end of `ettametta run`)."""
    with _WRITERS_LOCK:
        for scheduler in _WRITERS.values():
            scheduler.shutdown(wait=False)
        _WRITERS.clear()


class Scheduler:
    """Runs scheduled jobs while this process holds the deployment's scheduler lease."""

    def __init__(self, services_: Services, *, holder: str | None = None) -> None:
        self.services = services_
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.ttl = services_.settings.scheduler_lease_seconds
        self.leader = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler-lease", daemon=True)

    def start(self) -> None:
        global _SERVICES
        from core.commands.registry import load_commands

        load_commands()
        _SERVICES = self.services
        self._scheduler = paused_scheduler(self.services)
        _RUNNING.append(self)
        for spec in list(_SYSTEM_JOBS.values()):
            _add_system_job(self.services, spec)
        self.beat()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        if self in _RUNNING:
            _RUNNING.remove(self)
        self._scheduler.shutdown(wait=True)
        if self.leader:
            self.leader = False
            with self.services.db.session() as session:
                leases.release(session, LEASE_NAME, self.holder)

    def wake(self) -> None:
        self._scheduler.wakeup()

    def _run(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self.beat()
            except Exception:
                log.warning("scheduler lease check failed", exc_info=True)

    def beat(self) -> None:
        """Take or renew the lease; run jobs while holding it, stand by otherwise."""
        held = acquire_lease(self.services, self.holder, self.ttl)
        if held and not self.leader:
            log.info("scheduler: this process (%s) now runs scheduled jobs", self.holder)
            from core.discovery.schedule import reconcile

            reconcile(self.services)
            self._scheduler.resume()
        elif not held and self.leader:
            log.info("scheduler: lease lost; standing by")
            self._scheduler.pause()
        self.leader = held
        if held:
            self._scheduler.wakeup()


def acquire_lease(services_: Services, holder: str, ttl: float) -> bool:
    """Take the scheduler lease if it is free or expired, or renew it if we hold it."""
    with services_.db.session() as session:
        return leases.acquire(session, LEASE_NAME, holder, ttl)
