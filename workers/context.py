"""What a running task sees: its payload, the services, and a way to report progress."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, update

from core import outbox
from core.jobs import JobCancelled, JobFailed
from core.messages import Progress, Reply
from core.models import Job, JobState
from core.services import Services
from workers.store import Claim


class JobContext:
    """Progress is throttled (one report per `min_interval` seconds) and doubles as the point
    where cancellation and the time limit are noticed."""

    def __init__(
        self,
        services: Services,
        claim: Claim,
        *,
        time_limit_s: float,
        min_interval: float = 2.0,
    ) -> None:
        self.services = services
        self.claim = claim
        self.job_id = claim.job_id
        self.kind = claim.kind
        self.payload: dict[str, Any] = claim.payload
        self.attempt = claim.attempt
        self.time_limit_s = time_limit_s
        self._min_interval = min_interval
        self._started = time.monotonic()
        self._last_report = 0.0
        self._last_percent = -1.0

    def progress(self, percent: float, text: str = "", eta_seconds: float | None = None) -> None:
        """Report how far the job has got; raises JobCancelled when someone cancelled it."""
        now = time.monotonic()
        if now - self._started > self.time_limit_s:
            raise JobFailed(f"it ran longer than its {self.time_limit_s / 60:.0f}-minute limit")
        percent = max(0.0, min(100.0, percent))
        due = now - self._last_report >= self._min_interval or percent >= 100.0
        if not due or percent == self._last_percent:
            self.check_cancelled()
            return
        self._last_report, self._last_percent = now, percent
        report = Progress(job_id=self.job_id, kind=self.kind, percent=percent, text=text,
                          eta_seconds=eta_seconds)
        with self.services.db.session() as session:
            job = self._own_job(session)
            if job.cancel_requested:
                raise JobCancelled()
            session.execute(
                update(Job).where(Job.id == self.job_id)
                .values(progress=percent, progress_text=text[:200])
            )
            outbox.progress(session, job, report)

    def check_cancelled(self) -> None:
        with self.services.db.session() as session:
            if self._own_job(session).cancel_requested:
                raise JobCancelled()

    def _own_job(self, session: Any) -> Job:
        job = session.scalar(select(Job).where(Job.id == self.job_id))
        if job is None or job.worker_id != self.claim.token or job.state != JobState.running:
            raise JobCancelled("this worker no longer holds the job")
        return job

    def reply(self, reply: Reply) -> None:
        """Post a message to the job's chat now (results go out when the task returns)."""
        with self.services.db.session() as session:
            outbox.reply_to_job(session, session.get_one(Job, self.job_id), reply)
