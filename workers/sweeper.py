"""The companion process of a Celery worker: its heartbeat, and (in one worker) the sweeper.

Celery messages can be lost where job rows cannot: the broker was down when a job was
recorded, a worker died after re-queuing a retry but before sending it, or Redis keeps a
dead worker's unacknowledged message until its visibility timeout. The worker holding the
`celery:sweeper` lease re-sends the ids of jobs that are due but have not been taken up. A
duplicate is harmless: the claim lets one delivery run the job and drops the others.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from datetime import timedelta
from multiprocessing.process import BaseProcess
from typing import Any

from sqlalchemy import and_, or_, select

from core import leases
from core.config import Settings
from core.db import Database
from core.jobs import RENDER_GPU_QUEUE
from core.models import Job, JobState, utcnow
from workers import store
from workers.celery_app import make_app, send
from workers.local import HEARTBEAT_SECONDS

log = logging.getLogger(__name__)

SWEEPER_LEASE = "celery:sweeper"
BATCH = 500
class Sweeper:
    """Runs in its own spawned process beside the Celery worker: the worker's main process forks
    its pool and must hold no database connection when it does (SQLite's locks and psycopg's
    sockets do not survive a fork)."""

    def __init__(self, settings: Settings, queues: tuple[str, ...], name: str) -> None:
        self.settings, self.queues, self.name = settings, queues, name
        lease = settings.job_lease_seconds
        self.interval = max(0.5, min(HEARTBEAT_SECONDS / 2, lease / 2))
        self.stale_after = max(10.0, 3.0 * lease)
        self.resend_after = max(60.0, 10.0 * lease)
        self._sent: dict[tuple[int, int], float] = {}
        self._db = Database(settings)
        self.app = make_app(settings)
        self._nvenc = nvenc_report() if RENDER_GPU_QUEUE in queues else ""
        if self._nvenc:
            log.info("NVENC on this GPU worker: %s", self._nvenc)

    def run(self, stop: threading.Event, parent_pid: int) -> None:
        """Beat and sweep until stopped or until the worker that started us is gone."""
        try:
            while not stop.wait(self.interval) and os.getppid() == parent_pid:
                try:
                    self.pass_once()
                except Exception:
                    log.warning("worker heartbeat/sweep failed; trying again", exc_info=True)
        finally:
            with self._db.session() as session:
                store.drop_heartbeat(session, f"worker:{self.name}")
                store.drop_heartbeat(session, f"nvenc:{self.name}")
                leases.release(session, SWEEPER_LEASE, self.name)
            self._db.dispose()

    def pass_once(self) -> int:
        """Beat, and sweep if this worker holds the sweeper lease; returns how many ids were re-sent."""
        with self._db.session() as session:
            store.heartbeat(session, f"worker:{self.name}", ",".join(self.queues), HEARTBEAT_SECONDS)
            if self._nvenc:
                store.heartbeat(session, f"nvenc:{self.name}", self._nvenc, HEARTBEAT_SECONDS)
            if not leases.acquire(session, SWEEPER_LEASE, self.name, 3 * self.interval + 1):
                return 0
            lost = session.execute(self._lost_query()).all()
        return self._resend(lost)

    def _lost_query(self) -> Any:
        now = utcnow()
        grace = timedelta(seconds=self.interval + 1)
        return (
            select(Job.id, Job.queue, Job.attempts)
            .where(or_(
                and_(Job.state == JobState.queued,
                     Job.run_after < now - timedelta(seconds=self.stale_after)),
                and_(Job.state == JobState.running, Job.lease_until < now - grace),
            ))
            .order_by(Job.run_after)
            .limit(BATCH)
        )

    def _resend(self, lost: list[tuple[int, str, int]]) -> int:
        now = time.monotonic()
        self._sent = {key: at for key, at in self._sent.items() if now - at < self.resend_after}
        count = 0
        for job_id, queue, attempts in lost:
            if (job_id, attempts) in self._sent:
                continue
            send(self.app, job_id, queue)
            self._sent[(job_id, attempts)] = now
            count += 1
        if count:
            log.info("sweeper re-sent %d job(s) whose message was lost or whose worker died", count)
        return count


def sweeper_main(settings: Settings, queues: tuple[str, ...], name: str, parent_pid: int) -> None:
    """Entry point of the sweeper process; SIGTERM (from the worker's shutdown) stops it."""
    from core.logs import configure

    configure(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    Sweeper(settings, queues, name).run(stop, parent_pid)


def start(settings: Settings, queues: tuple[str, ...], name: str) -> BaseProcess:
    process = multiprocessing.get_context("spawn").Process(
        target=sweeper_main, args=(settings, queues, name, os.getpid()), name="ettametta-sweeper",
        daemon=True)
    process.start()
    return process


def stop(process: BaseProcess, timeout: float = 10.0) -> None:
    if process.is_alive():
        process.terminate()
        process.join(timeout)
    if process.is_alive():
        process.kill()


def nvenc_report() -> str:
    """'ok' when ffmpeg can encode a real frame with h264_nvenc here, else the reason (short)."""
    from core.media.encoders import nvenc_test_encode

    worked, error = nvenc_test_encode()
    return "ok" if worked else f"unavailable: {error or 'h264_nvenc failed'}"[:120]
