"""Publishing one publication, exactly once: claim it, upload or pick up the recorded upload, report.

Before anything is sent, the recorded state decides: a known remote id means only checking
and reporting remain; a recorded upload session is asked how far it got; only a
publication with neither starts a new upload. Every step is committed as it happens
(`DbJournal`), so a worker killed at any point leaves enough behind for the next one.

A platform that refuses the access token itself (HTTP 401, TikTok `access_token_invalid`)
gets one fresh token; refused again, the account is marked as needing reconnection and
whoever connected it gets a DM with a reconnect link, as when a refresh is refused.
"""

from __future__ import annotations

import logging
from typing import Any

from core import audit
from core.jobs import JobCancelled, JobFailed
from core.messages import Reply
from core.models import Account, Publication
from core.publish import publications, publish_tiktok, publish_youtube, tokens
from core.publish.oauth_types import AccessRejected
from core.publish.outcome import LABELS, Runner, outcome_reply
from core.publish.post import Post, gather
from core.services import Services

log = logging.getLogger(__name__)


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
        with self.services.db.session() as db:
            data = db.get_one(Publication, self.publication_id).data or {}
            started = int(data.get("sessions_started", 0))
        self._update(upload_session=session, bytes_sent=0, state="uploading",
                     data={"sessions_started": started + 1})

    def session_lost(self) -> None:
        self._update(upload_session=None, bytes_sent=0, remote_id=None)

    def sent(self, bytes_sent: int, total: int) -> None:
        self._update(bytes_sent=bytes_sent)
        self.runner.progress(5 + 85 * bytes_sent / max(1, total),
                             f"uploaded {bytes_sent / 1e6:.0f} of {total / 1e6:.0f} MB")

    def uploaded(self, remote_id: str, detail: dict[str, Any]) -> None:
        self._update(remote_id=remote_id, state="uploaded", data={"upload": detail})
        self.runner.progress(92, "uploaded; checking with the platform")


def publish(services: Services, publication_id: int, runner: Runner, *, check: bool = False) -> Reply | None:
    """Publish (or finish publishing) one publication; `check`: a later look at a recorded upload,
    silent when the publication has meanwhile finished."""
    with services.db.session() as session:
        publication = session.get(Publication, publication_id)
        if publication is None:
            raise JobFailed(f"publication #{publication_id} no longer exists")
        if publication.state in publications.FINISHED:
            return None if check else outcome_reply(session, publication)
        if not publications.claim(session, publication_id, runner.job_id, runner.token):
            raise JobCancelled("another worker is publishing this right now")
        platform, account_id, uploaded = publication.platform, publication.account_id, publication.remote_id
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
        if uploaded is None:
            runner.progress(2, f"preparing the {LABELS[platform]} upload")
        return _run(services, post, account_id, DbJournal(services, publication_id, runner), runner)
    except tokens.TokenError as exc:
        reason = _reconnect_reason(services, account_id, platform, str(exc))
        _record_failure(services, publication_id, runner, reason)
        raise JobFailed(reason) from None
    except JobFailed as exc:
        _record_failure(services, publication_id, runner, str(exc))
        raise JobFailed(str(exc)) from None


def _run(services: Services, post: Post, account_id: int, journal: DbJournal, runner: Runner) -> Reply | None:
    """The platform's publishing, with one fresh token when the platform refuses the current one."""
    module = publish_youtube if post.platform == "youtube" else publish_tiktok
    try:
        return module.run(services, post, tokens.access_token(services, account_id), journal, runner)
    except AccessRejected:
        log.info("%s refused account %s's access token; refreshing it once", post.platform, account_id)
    try:
        fresh = tokens.access_token(services, account_id, force=True)
        return module.run(services, post, fresh, journal, runner)
    except AccessRejected as exc:
        reason = f"{exc} even after a refresh"
        tokens.mark_unhealthy(services, account_id, reason)
        raise tokens.TokenError(reason) from None


def _reconnect_reason(services: Services, account_id: int | None, platform: str, said: str) -> str:
    """What the chat is told when the account can't be used: why, and whether a link went by DM."""
    if "needs reconnecting" in said:
        return said
    with services.db.session() as session:
        account = session.get(Account, account_id) if account_id else None
        told = account is not None and not account.healthy and account.connected_by is not None
    where = "whoever connected it has a DM with a link, or run" if told else "run"
    return (f"the {LABELS[platform]} account needs reconnecting ({said.rstrip('.')}); "
            f"{where} /connect {platform}")


def _record_failure(services: Services, publication_id: int, runner: Runner, reason: str) -> None:
    with services.db.session() as session:
        publication = session.get_one(Publication, publication_id)
        if not publications.holds(session, publication_id, runner.job_id, runner.token):
            return
        publication.state, publication.error = "failed", reason[:2000]
        audit.record(session, "publish.failed", workspace_id=publication.workspace_id, member_id=None,
                     subject=f"publication:{publication.id}", reason=reason[:300])
        publications.release(session, publication_id, runner.job_id, runner.token)
