"""Running one claimed job: call its task, keep its lease alive, record the outcome once."""

from __future__ import annotations

import logging
import threading
from typing import Any

from core import outbox
from core.jobs import JobCancelled, JobFailed, RetryLater
from core.media.probe import MediaError
from core.messages import Reply
from core.models import Job
from core.services import Services
from workers import store
from workers.context import JobContext
from workers.tasks import spec_for

log = logging.getLogger(__name__)

USER_ERRORS = (JobFailed, MediaError)


class LeaseKeeper:
    """Renews the job's lease in the background while the task works."""

    def __init__(self, services: Services, claim: store.Claim, lease_s: float) -> None:
        self._services, self._claim, self._lease_s = services, claim, lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{claim.job_id}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._lease_s / 3):
            try:
                with self._services.db.session() as session:
                    if not store.renew(session, self._claim, self._lease_s):
                        return
            except Exception:
                log.warning("could not renew the lease of job %s", self._claim.job_id, exc_info=True)


def execute(services: Services, claim: store.Claim) -> str:
    """Run the task behind a claim and record what happened; returns the final state."""
    spec = spec_for(claim.kind)
    settings = services.settings
    if spec is None:
        return _record(services, claim, "failed", f"this worker has no task for job kind {claim.kind!r}")
    ctx = JobContext(services, claim, time_limit_s=spec.time_limit_s)
    try:
        with LeaseKeeper(services, claim, settings.job_lease_seconds):
            reply = spec.fn(ctx)
    except JobCancelled:
        return _record(services, claim, "cancelled")
    except USER_ERRORS as exc:
        return _record(services, claim, "failed", str(exc))
    except RetryLater as exc:
        return _retry_or_fail(services, claim, str(exc), exc.delay)
    except Exception as exc:
        log.exception("job %s (%s) raised", claim.job_id, claim.kind)
        return _retry_or_fail(services, claim, f"{type(exc).__name__}: {exc}", None)
    result: dict[str, Any] = {"text": reply.text} if reply else {}
    return _record(services, claim, "succeeded", reply=reply, result=result)


def _retry_or_fail(services: Services, claim: store.Claim, message: str, delay: float | None) -> str:
    if claim.attempt >= claim.max_attempts:
        return _record(services, claim, "failed", f"{message} (gave up after {claim.attempt} attempts)")
    delay = delay if delay is not None else store.backoff(services.settings.job_retry_base_seconds,
                                                          claim.attempt)
    with services.db.session() as session:
        if store.retry(session, claim, message, delay):
            job = session.get_one(Job, claim.job_id)
            outbox.reply_to_job(session, job, Reply(
                text=f"Job #{job.id} ({job.kind}) hit a problem ({message}); trying again in "
                f"{delay:.0f}s (attempt {claim.attempt + 1} of {claim.max_attempts})."))
    return "retrying"


def _record(
    services: Services,
    claim: store.Claim,
    state: str,
    message: str = "",
    *,
    reply: Reply | None = None,
    result: dict[str, Any] | None = None,
) -> str:
    with services.db.session() as session:
        if state == "succeeded":
            done = store.succeed(session, claim, reply, result or {})
        elif state == "cancelled":
            done = store.cancelled(session, claim)
        else:
            done = store.fail(session, claim, message)
    if not done:
        log.warning("job %s was taken over by another worker; dropping this outcome", claim.job_id)
        return "lost"
    return state
