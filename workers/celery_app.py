"""Celery as the job transport when `QUEUE_URL` names a broker (redis://… or amqp://…).

Celery only carries job ids. The job row stays the truth for state, progress and retries:
a delivered id is claimed with the same fenced lease as a local worker's claim and run by
the same runner, so a message delivered twice (a worker lost, a redelivery after the
visibility timeout) still completes its job once.

How an id comes back when the job must run later:
- a retry re-queues the row with `run_after`; the worker that recorded it sends the id
  again with a countdown to that time (capped, so RabbitMQ's consumer timeout never bites:
  an early arrival just sends itself on again);
- a message that finds another worker's lease still live is sent again for when that lease
  runs out, so a job whose worker died is taken up as soon as its lease expires;
- a sweeper in one worker per deployment re-sends due jobs whose message was lost
  (workers/sweeper.py).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from celery import Celery
from celery.signals import worker_process_init
from kombu import Queue
from sqlalchemy import select

from core.config import Settings
from core.db import Database
from core.jobs import DEFAULT_QUEUE, QUEUES
from core.models import Job, JobState, utcnow
from core.services import Services
from workers import runner, store
from workers.local import worker_id
from workers.tasks import load_tasks, spec_for

log = logging.getLogger(__name__)

RUN_JOB = "ettametta.run_job"
MAX_COUNTDOWN_S = 600.0
BUSY_RECHECK_S = 1.0
DEFAULT_TIME_LIMIT_S = 3600.0


def make_app(settings: Settings) -> Celery:
    """A Celery app for this deployment: late acks, one message at a time, our four queues."""
    app = Celery("ettametta", broker=settings.queue_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_queues=[Queue(broker_queue(settings, name), routing_key=broker_queue(settings, name))
                     for name in QUEUES],
        task_default_queue=broker_queue(settings, DEFAULT_QUEUE),
        ettametta_queue_prefix=settings.celery_queue_prefix,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": settings.celery_visibility_timeout},
        worker_hijack_root_logger=False,
        worker_enable_remote_control=True,
        worker_send_task_events=False,
    )
    app.task(name=RUN_JOB, acks_late=True, reject_on_worker_lost=True, ignore_result=True)(run_job)
    return app


def broker_queue(settings: Settings, queue: str) -> str:
    """The broker's name for one of our queues (`CELERY_QUEUE_PREFIX` lets deployments share a broker)."""
    return settings.celery_queue_prefix + queue


def hard_time_limit(kind: str) -> float:
    """Celery kills a job's process this long after it started; the task's own limit comes first.

    JobContext fails a job that overruns its kind's limit at its next progress report with a
    clear message; the hard limit only stops one that hangs without reporting.
    """
    spec = spec_for(kind)
    limit = spec.time_limit_s if spec else DEFAULT_TIME_LIMIT_S
    return limit + max(60.0, limit * 0.1)


def send(app: Celery, job_id: int, queue: str, kind: str, countdown: float = 0.0) -> None:
    countdown = min(max(0.0, countdown), MAX_COUNTDOWN_S)
    name = app.conf.ettametta_queue_prefix + queue
    app.send_task(RUN_JOB, args=(job_id,), queue=name, routing_key=name,
                  countdown=countdown or None, time_limit=hard_time_limit(kind))


class CeleryDispatcher:
    """Sends the id of a recorded job to the Celery queue of the same name."""

    name = "celery"

    def __init__(self, settings: Settings, app: Celery | None = None) -> None:
        self.settings = settings
        self.app = app or make_app(settings)
        self._db: Database | None = None

    def dispatch(self, job_id: int, queue: str) -> None:
        send(self.app, job_id, queue, self._kind(job_id))

    def _kind(self, job_id: int) -> str:
        """The kind sets the message's time limit; the job row is already committed."""
        if self._db is None:
            load_tasks()
            self._db = Database(self.settings)
        with self._db.session() as session:
            return session.scalar(select(Job.kind).where(Job.id == job_id)) or ""


@dataclass
class _WorkerState:
    """What one Celery worker process needs; services are built after the fork that made it."""

    app: Celery | None = None
    settings: Settings | None = None
    services: Services | None = None
    pid: int = 0


_STATE = _WorkerState()


def _app() -> Celery:
    if _STATE.app is None:
        raise RuntimeError("run_job runs only in a worker started by celery_worker_main")
    return _STATE.app


def _services() -> Services:
    if _STATE.settings is None:
        raise RuntimeError("run_job runs only in a worker started by celery_worker_main")
    if _STATE.services is None or _STATE.pid != os.getpid():
        settings = _STATE.settings
        _STATE.services = Services(settings, Database(settings), CeleryDispatcher(settings, _app()))
        _STATE.pid = os.getpid()
    return _STATE.services


def run_job(job_id: int) -> str:
    """The one Celery task: claim the job row, run its task function, record the outcome."""
    services = _services()
    lease = services.settings.job_lease_seconds
    with services.db.session() as session:
        claim = store.claim_job(session, job_id, worker_id(), lease)
        later = None if claim else _when_to_look_again(session, job_id)
    if claim is None:
        if later is not None:
            send(_app(), job_id, *later)
        return "skipped"
    log.info("celery worker %s runs job %s (%s), attempt %s", worker_id(), claim.job_id, claim.kind,
             claim.attempt)
    outcome = runner.execute(services, claim)
    if outcome == "retrying":
        with services.db.session() as session:
            later = _when_to_look_again(session, job_id)
        if later is not None:
            send(_app(), job_id, *later)
    return outcome


def _when_to_look_again(session: Any, job_id: int) -> tuple[str, str, float] | None:
    """(queue, kind, countdown) for a job that is not ours now but will be due; None if finished."""
    job = session.get(Job, job_id)
    if job is None or JobState(job.state).finished:
        return None
    now = utcnow()
    if job.state == JobState.queued:
        return job.queue, job.kind, _seconds_until(job.run_after, now) or BUSY_RECHECK_S
    until = job.lease_until or now
    return job.queue, job.kind, _seconds_until(until, now) + BUSY_RECHECK_S


def _seconds_until(moment: datetime, now: datetime) -> float:
    return max(0.0, (moment - now).total_seconds())


@worker_process_init.connect
def _forget_parent_connections(**_: Any) -> None:
    """A forked pool process must not reuse (and so close) its parent's DB connections."""
    from workers import sweeper

    sweeper.after_fork()
    _STATE.services = None


def node_name() -> str:
    return f"ettametta-{os.getpid()}@{socket.gethostname()}"


def celery_worker_main(
    settings: Settings,
    queues: Sequence[str],
    extra_modules: tuple[str, ...] = (),
) -> None:
    """`ettametta worker` on a broker: a Celery worker consuming only `queues`."""
    from workers import sweeper

    load_tasks(extra_modules)
    app = make_app(settings)
    _STATE.app, _STATE.settings = app, settings
    background = sweeper.Sweeper(settings, app, tuple(queues), node_name())
    background.start()
    try:
        app.worker_main([
            "worker",
            "--queues", ",".join(broker_queue(settings, q) for q in queues),
            "--concurrency", str(max(1, settings.workers)),
            "--prefetch-multiplier", "1",
            "--hostname", node_name(),
            "--loglevel", "INFO",
            "--without-mingle",
            "--without-gossip",
        ])
    finally:
        background.stop()
