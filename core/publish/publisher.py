"""Publishing one publication, exactly once: claim it, upload or pick up the recorded upload, report.

Before anything is sent, the recorded state decides: a known remote id means only checking
and reporting remain; a recorded upload session is asked how far it got; only a
publication with neither starts a new upload. Every step is committed as it happens
(`DbJournal`), so a worker killed at any point leaves enough behind for the next one.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy.orm import Session

from core import audit
from core.jobs import JobCancelled, JobFailed
from core.messages import Reply
from core.models import Account, Publication, utcnow
from core.publish import publications, tokens
from core.publish.post import Post, gather
from core.services import Services

log = logging.getLogger(__name__)

LABELS = {"youtube": "YouTube", "tiktok": "TikTok"}


class Runner(Protocol):
    """What the publisher needs from the running job (workers.context.JobContext fits)."""

    job_id: int

    @property
    def token(self) -> str: ...

    def progress(self, percent: float, text: str = "", eta_seconds: float | None = None) -> None: ...


class DbJournal:
    """Commits each upload step at once, only while this job still holds the publication."""

    def __init__(self, services: Services, publication_id: int, runner: Runner) -> None:
        self.services, self.publication_id, self.runner = services, publication_id, runner

    def _update(self, **values: Any) -> Publication:
        with self.services.db.session() as session:
            if not publications.holds(session, self.publication_id, self.runner.job_id, self.runner.token):
                raise JobCancelled("another worker took this publication over")
            publication = session.get_one(Publication, self.publication_id)
            data = values.pop("data", None)
            for name, value in values.items():
                setattr(publication, name, value)
            if data:
                publication.data = {**(publication.data or {}), **data}
            return publication

    def session_started(self, session: str) -> None:
        self._update(upload_session=session, bytes_sent=0, state="uploading")

    def session_lost(self) -> None:
        self._update(upload_session=None, bytes_sent=0)

    def sent(self, bytes_sent: int, total: int) -> None:
        self._update(bytes_sent=bytes_sent)
        self.runner.progress(5 + 85 * bytes_sent / max(1, total),
                             f"uploaded {bytes_sent / 1e6:.0f} of {total / 1e6:.0f} MB")

    def uploaded(self, remote_id: str, detail: dict[str, Any]) -> None:
        self._update(remote_id=remote_id, state="uploaded", data={"upload": detail})
        self.runner.progress(92, "uploaded; checking with the platform")


def publish(services: Services, publication_id: int, runner: Runner) -> Reply:
    from core.publish import publish_tiktok, publish_youtube

    with services.db.session() as session:
        publication = session.get(Publication, publication_id)
        if publication is None:
            raise JobFailed(f"publication #{publication_id} no longer exists")
        if publication.state in publications.FINISHED:
            return outcome_reply(session, publication)
        if not publications.claim(session, publication_id, runner.job_id, runner.token):
            raise JobCancelled("another worker is publishing this right now")
        platform, account_id = publication.platform, publication.account_id
        account = session.get(Account, account_id) if account_id else None
        post: Post | None = None
        problem = "its account was disconnected; /connect it again and /publish" if account is None else ""
        if not problem:
            try:
                post = gather(session, publication)
            except JobFailed as exc:
                problem = str(exc)
    try:
        if post is None or account_id is None:
            raise JobFailed(problem)
        runner.progress(2, f"preparing the {LABELS[platform]} upload")
        token = tokens.access_token(services, account_id)
        module = publish_youtube if platform == "youtube" else publish_tiktok
        return module.run(services, post, token, DbJournal(services, publication_id, runner), runner)
    except (JobFailed, tokens.TokenError) as exc:
        _record_failure(services, publication_id, runner, str(exc))
        raise JobFailed(str(exc)) from None


def finish(services: Services, post: Post, runner: Runner, *, state: str, remote_id: str | None,
           url: str | None, privacy: str, note: str = "") -> Reply:
    """Record the outcome, audit it, release the claim; the reply goes to the approval chat."""
    with services.db.session() as session:
        publication = session.get_one(Publication, post.publication_id)
        publication.state, publication.url, publication.privacy = state, url, privacy
        publication.remote_id = remote_id or publication.remote_id
        publication.published_at = publication.published_at or utcnow()
        publication.error = None
        if note:
            publication.data = {**(publication.data or {}), "note": note}
        entry = audit.record(session, f"publish.{state}", workspace_id=publication.workspace_id,
                             member_id=None, subject=f"publication:{publication.id}",
                             platform=publication.platform, remote_id=publication.remote_id, url=url,
                             privacy=privacy)
        session.flush()
        publication.data = {**(publication.data or {}), "audit_id": entry.id}
        publications.release(session, post.publication_id, runner.job_id, runner.token)
        return outcome_reply(session, publication)


def outcome_reply(session: Session, publication: Publication) -> Reply:
    account = session.get(Account, publication.account_id) if publication.account_id else None
    where = f"{LABELS.get(publication.platform, publication.platform)}"
    if account is not None:
        where += f" \u201c{account.name}\u201d"
    data = publication.data or {}
    audit_note = f" Audit entry #{data['audit_id']}." if data.get("audit_id") else ""
    note = f" {data['note']}" if data.get("note") else ""
    subject = f"publication:{publication.id}"
    if publication.state == "published":
        link = publication.url or f"id {publication.remote_id}"
        text = (f"Published proposal #{publication.proposal_id} to {where}: {link} "
                f"(privacy: {publication.privacy or 'default'}).{note}{audit_note}")
    elif publication.state == "inbox":
        text = (f"Sent proposal #{publication.proposal_id} to the {where} inbox as a draft: the creator "
                f"finishes the post in the TikTok app (notifications).{note}{audit_note}")
    else:
        text = (f"Publishing proposal #{publication.proposal_id} to {where} failed: "
                f"{publication.error or 'no reason recorded'}.{audit_note}")
    return Reply(text=text, subject=subject, error=publication.state == "failed")


def _record_failure(services: Services, publication_id: int, runner: Runner, reason: str) -> None:
    with services.db.session() as session:
        publication = session.get_one(Publication, publication_id)
        if not publications.holds(session, publication_id, runner.job_id, runner.token):
            return
        publication.state, publication.error = "failed", reason[:2000]
        audit.record(session, "publish.failed", workspace_id=publication.workspace_id, member_id=None,
                     subject=f"publication:{publication.id}", reason=reason[:300])
        publications.release(session, publication_id, runner.job_id, runner.token)
