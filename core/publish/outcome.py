"""How a publication ended, recorded once and told to the chat that approved the proposal."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from core import audit
from core.messages import Reply
from core.models import Account, Publication, utcnow
from core.publish import publications
from core.publish.post import Post
from core.services import Services

LABELS = {"youtube": "YouTube", "tiktok": "TikTok"}


class Runner(Protocol):
    """What publishing needs from the running job: its id, its fencing token, progress reports."""

    job_id: int

    @property
    def token(self) -> str: ...

    def progress(self, percent: float, text: str = "", eta_seconds: float | None = None) -> None: ...


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


