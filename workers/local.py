"""The local durable queue: worker processes that claim job rows from the database.

The embedded default. Jobs survive any crash because the row is the truth: a worker
killed mid-job leaves a lease that expires, and another worker claims the job again.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess

from core.config import Settings, load_settings
from core.db import Database
from core.jobs import QUEUES
from core.services import Services
from workers import runner, store
from workers.tasks import load_tasks

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25
HEARTBEAT_SECONDS = 10.0


class LocalDispatcher:
    """Workers poll the jobs table, so a recorded job needs no further hand-over."""

    name = "local"

    def dispatch(self, job_id: int, queue: str) -> None:
        return None


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Worker:
    services: Services
    queues: Sequence[str] = QUEUES
    name: str = field(default_factory=worker_id)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self, *, max_jobs: int | None = None) -> None:
        """Claim and run jobs until told to stop."""
        done = 0
        last_beat = 0.0
        while not self.stopping.is_set():
            now = time.monotonic()
            if now - last_beat > HEARTBEAT_SECONDS / 2:
                self._beat()
                last_beat = now
            if not self.run_one():
                self.stopping.wait(POLL_SECONDS)
                continue
            done += 1
            if max_jobs is not None and done >= max_jobs:
                break
        with self.services.db.session() as session:
            store.drop_heartbeat(session, f"worker:{self.name}")

    def run_one(self) -> bool:
        lease = self.services.settings.job_lease_seconds
        with self.services.db.session() as session:
            claim = store.claim_next(session, self.name, self.queues, lease)
        if claim is None:
            return False
        log.info("worker %s runs job %s (%s), attempt %s", self.name, claim.job_id, claim.kind,
                 claim.attempt)
        runner.execute(self.services, claim)
        return True

    def _beat(self) -> None:
        with self.services.db.session() as session:
            store.heartbeat(session, f"worker:{self.name}", ",".join(self.queues), HEARTBEAT_SECONDS)


def worker_main(
    queues: Sequence[str] = QUEUES,
    extra_modules: tuple[str, ...] = (),
    overrides: dict[str, object] | None = None,
) -> None:
    """Entry point of one worker process (spawned by the pool or `ettametta worker`)."""
    settings = load_settings(**(overrides or {}))
    load_tasks(extra_modules)
    services = Services(settings, Database(settings), LocalDispatcher())
    worker = Worker(services, tuple(queues))
    signal.signal(signal.SIGTERM, lambda *_: worker.stopping.set())
    try:
        worker.run()
    except KeyboardInterrupt:
        pass
    finally:
        services.db.dispose()


class WorkerPool:
    """N local worker processes, restarted if one dies, stopped gracefully with the bot."""

    def __init__(
        self,
        settings: Settings,
        count: int,
        queues: Sequence[str] = QUEUES,
        extra_modules: tuple[str, ...] = (),
        overrides: dict[str, object] | None = None,
    ) -> None:
        self._ctx = multiprocessing.get_context("spawn")
        self._count = count
        self._args = (tuple(queues), extra_modules, overrides)
        self.processes: list[BaseProcess] = []

    def start(self) -> None:
        for _ in range(self._count):
            self._spawn()

    def _spawn(self) -> BaseProcess:
        process = self._ctx.Process(target=worker_main, args=self._args, daemon=True)
        process.start()
        self.processes.append(process)
        return process

    def replace_dead(self) -> int:
        """Start a new process for each that died; returns how many were replaced."""
        dead = [p for p in self.processes if not p.is_alive()]
        for process in dead:
            self.processes.remove(process)
            log.warning("worker process %s exited with %s; starting another", process.pid,
                        process.exitcode)
            self._spawn()
        return len(dead)

    def stop(self, timeout: float = 10.0) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(timeout)
            if process.is_alive():
                process.kill()
        self.processes.clear()
