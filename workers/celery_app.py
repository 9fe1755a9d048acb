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

Time limits are per job kind (TaskSpec.time_limit_s), enforced in the worker where the kind is
known: JobContext at each progress report, and a watchdog for a job that stops responding.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from celery import Celery
from celery.signals import worker_process_init
from kombu import Queue

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
HARD_LIMIT_EXIT = 75
SEND_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1.0}


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


class Watchdog:
    """The hard time limit of one job, per kind: a job that overran its kind's limit and stopped
    reporting progress (where JobContext would fail it cleanly) is recorded as failed, and its
    pool process exits so Celery starts a fresh one. The redelivered message then finds the job
    finished and is dropped."""

    def __init__(self, services: Services, claim: store.Claim) -> None:
        spec = spec_for(claim.kind)
        limit = spec.time_limit_s if spec else DEFAULT_TIME_LIMIT_S
        self.services, self.claim, self.limit_s = services, claim, limit
        self._timer = threading.Timer(limit + min(300.0, max(2.0, 0.1 * limit)), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        limit = f"{self.limit_s:.0f}-second" if self.limit_s < 120 else f"{self.limit_s / 60:.0f}-minute"
        message = f"it ran longer than its {limit} limit and stopped responding"
        try:
            with self.services.db.session() as session:
                store.fail(session, self.claim, message)
        finally:
            log.error("job %s (%s) overran its time limit; ending its worker process",
                      self.claim.job_id, self.claim.kind)
            os._exit(HARD_LIMIT_EXIT)


def send(app: Celery, job_id: int, queue: str, countdown: float = 0.0) -> None:
    countdown = min(max(0.0, countdown), MAX_COUNTDOWN_S)
    name = app.conf.ettametta_queue_prefix + queue
    app.send_task(RUN_JOB, args=(job_id,), queue=name, routing_key=name, countdown=countdown or None,
                  retry=True, retry_policy=SEND_RETRY)


class CeleryDispatcher:
    """Sends the id of a recorded job to the Celery queue of the same name."""

    name = "celery"

    def __init__(self, settings: Settings, app: Celery | None = None) -> None:
        self.settings = settings
        self.app = app or make_app(settings)

    def dispatch(self, job_id: int, queue: str) -> None:
        """Hand the id over; if the broker is down the job stays recorded and the sweeper sends it."""
        try:
            send(self.app, job_id, queue)
        except Exception as exc:
            log.warning("could not hand job %s to the broker (%s: %s); it will be sent when a worker's "
                        "sweeper finds it", job_id, type(exc).__name__, exc)


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
    with Watchdog(services, claim):
        outcome = runner.execute(services, claim)
    if outcome == "retrying":
        with services.db.session() as session:
            later = _when_to_look_again(session, job_id)
        if later is not None:
            send(_app(), job_id, *later)
    return outcome


def _when_to_look_again(session: Any, job_id: int) -> tuple[str, float] | None:
    """(queue, countdown) for a job that is not ours now but will be due; None if finished."""
    job = session.get(Job, job_id)
    if job is None or JobState(job.state).finished:
        return None
    now = utcnow()
    if job.state == JobState.queued:
        return job.queue, _seconds_until(job.run_after, now) or BUSY_RECHECK_S
    until = job.lease_until or now
    return job.queue, _seconds_until(until, now) + BUSY_RECHECK_S


def _seconds_until(moment: datetime, now: datetime) -> float:
    return max(0.0, (moment - now).total_seconds())


@worker_process_init.connect
def _fresh_services(**_: Any) -> None:
    """A forked pool process opens its own connections (the main process keeps none open)."""
    _STATE.services = None


def _require_migrated(settings: Settings) -> None:
    """Refuse to consume jobs from a database the code does not match (the engine is closed again
    before the pool forks)."""
    db = Database(settings)
    try:
        migrated = db.has_tables() and db.is_migrated()
    finally:
        db.dispose()
    if not migrated:
        raise SystemExit("The database is not migrated: run `ettametta db upgrade` first.")


def node_name() -> str:
    return f"ettametta-{os.getpid()}@{socket.gethostname()}"


def celery_worker_main(
    settings: Settings,
    queues: Sequence[str],
    extra_modules: tuple[str, ...] = (),
) -> None:
    """`ettametta worker` on a broker: a Celery worker consuming only `queues`."""
    from workers import sweeper

    _require_migrated(settings)
    load_tasks(extra_modules)
    app = make_app(settings)
    _STATE.app, _STATE.settings = app, settings
    companion = sweeper.start(settings, tuple(queues), node_name())
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
        sweeper.stop(companion)
