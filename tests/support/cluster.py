"""A small deployment for the queue tests and bench: one database, real worker processes.

Workers are separate OS processes (`python -m tests.support.workers`), each the leader of
its own process group, so killing one with SIGKILL takes its Celery pool children with it,
as a lost machine would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.config import Settings
from core.jobs import DEFAULT_QUEUE, QUEUES, Origin, start
from core.models import Job, OutboxEvent
from core.services import Services
from workers.bootstrap import build_services

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
ORIGIN = Origin(workspace_id=None, member_id=None, front="console", chat_ref="queue-test")


def worker_env(settings: Settings, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a worker process reads its settings from (no .env is involved)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "QUEUE_", "CELERY_"))}
    env.update({
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "QUEUE_URL": settings.queue_url,
        "WORKERS": "1",
        "JOB_LEASE_SECONDS": str(settings.job_lease_seconds),
        "JOB_RETRY_BASE_SECONDS": str(settings.job_retry_base_seconds),
        "JOB_MAX_ATTEMPTS": str(settings.job_max_attempts),
        "CELERY_QUEUE_PREFIX": settings.celery_queue_prefix,
        "PYTHONPATH": str(REPO),
        **(extra or {}),
    })
    return env


class Cluster:
    def __init__(self, settings: Settings, logs: Path, trace: Path,
                 extra_env: dict[str, str] | None = None) -> None:
        self.settings, self.extra_env = settings, extra_env
        self.services: Services = build_services(settings)
        self.logs, self.trace = logs, trace
        self.workers: list[subprocess.Popen[bytes]] = []
        self.backend = "local" if settings.queue_url == "local" else "celery"

    def start_worker(self, queues: Iterable[str] = QUEUES, *options: str) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = (self.logs / f"worker-{len(self.workers)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.workers", self.backend, ",".join(queues), *options],
            env=worker_env(self.settings, self.extra_env), cwd=self.logs, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.workers.append(process)
        return process

    def kill_worker_running(self, pid: int) -> None:
        """SIGKILL the whole worker (its group) in which process `pid` runs a job."""
        os.killpg(os.getpgid(pid), signal.SIGKILL)

    def enqueue(self, kind: str, payload: dict[str, Any] | None = None, *, queue: str = DEFAULT_QUEUE,
                **kw: Any) -> int:
        body = {"dir": str(self.trace), **(payload or {})}
        return start(self.services, kind, body, ORIGIN, queue=queue, **kw).id

    def job(self, job_id: int) -> Job:
        with self.services.db.session() as session:
            return session.get_one(Job, job_id)

    def wait_until(self, job_ids: Iterable[int], states: Iterable[str] = ("succeeded", "failed",
                   "cancelled"), timeout: float = 60.0) -> dict[int, Job]:
        ids, wanted = list(job_ids), set(states)
        deadline = time.monotonic() + timeout
        while True:
            with self.services.db.session() as session:
                jobs = {job.id: job for job in session.scalars(select(Job).where(Job.id.in_(ids)))}
            if all(job.state in wanted for job in jobs.values()):
                return jobs
            if time.monotonic() > deadline:
                pending = {i: j.state for i, j in jobs.items() if j.state not in wanted}
                raise AssertionError(f"jobs not {sorted(wanted)} after {timeout}s: {pending}; "
                                     f"see {self.logs}")
            time.sleep(0.1)

    def wait_for_file(self, path: Path, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while not (path.exists() and path.read_text()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} did not appear within {timeout}s; see {self.logs}")
            time.sleep(0.05)
        return path.read_text()

    def runs(self, job_id: int) -> list[str]:
        path = self.trace / "runs" / str(job_id)
        return path.read_text().splitlines() if path.exists() else []

    def done(self, job_id: int) -> bool:
        return (self.trace / "done" / str(job_id)).exists()

    def replies(self, job_id: int) -> list[str]:
        with self.services.db.session() as session:
            events = session.scalars(select(OutboxEvent).where(OutboxEvent.job_id == job_id,
                                                                OutboxEvent.kind == "reply"))
            return [event.payload.get("text", "") for event in events]

    def stop(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        self.workers.clear()
        if self.backend == "celery":
            delete_broker_queues(self.settings)
        self.services.db.dispose()


def unique_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}-"


def delete_broker_queues(settings: Settings) -> None:
    """Leave no test queue behind on the shared broker."""
    from workers.celery_app import broker_queue, make_app

    app = make_app(settings)
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in QUEUES:
            try:
                channel.queue_delete(broker_queue(settings, queue))
            except Exception:
                channel = connection.channel()
