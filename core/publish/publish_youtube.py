"""One publication to YouTube: quota, pre-upload check, resumable upload, verification, outcome.

Two limits can stop an upload, and each pauses only what it concerns: `quotaExceeded` is the
API project's daily quota (every channel waits for midnight Pacific), `uploadLimitExceeded`
is one channel's uploads in 24 hours (that channel waits 24 hours; the others go on).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from googleapiclient.errors import HttpError
from sqlalchemy import select

from core import google_api, quota, workspace_settings
from core.jobs import RetryLater
from core.messages import Reply
from core.models import Account, Publication, Workspace, utcnow
from core.publish import youtube, youtube_adopt
from core.publish.journal import Journal
from core.publish.outcome import Runner, finish
from core.publish.post import Post, check
from core.services import Services

UPLOAD_BUCKET = "youtube-upload"
UPLOADS_PER_DAY = 100
CHANNEL_PAUSE = timedelta(hours=24)
LOCKED_NOTE = ("YouTube locked it private: uploads from API projects Google has not verified stay "
               "private. Make it public in YouTube Studio, and ask the bot's operator to have the Google "
               "project audited (docs/publishing.md).")


def run(services: Services, post: Post, token: str, journal: Journal, runner: Runner) -> Reply:
    settings = services.settings
    with services.db.session() as session:
        publication = session.get_one(Publication, post.publication_id)
        remote_id, session_uri = publication.remote_id, publication.upload_session
        marker = youtube_adopt.marker(publication.idempotency_key)
        had_session = bool((publication.data or {}).get("sessions_started"))
    if remote_id is None:
        check(post)
        _channel_not_paused(services, post.account_id)
        if session_uri is None:
            _reserve_upload(services)
        try:
            remote_id = youtube.upload(
                settings, token, post, session_uri, journal, marker=marker, had_session=had_session,
                find_existing=lambda: _find_existing(services, post, token, marker)).video_id
        except youtube.QuotaExhausted as exc:
            raise _paused(services, post.account_id, exc) from None
    runner.progress(95, "checking the video on YouTube")
    video = youtube.verify(settings, token, remote_id)
    with services.db.session() as session:
        quota.record(session, post.workspace_id, quota.YOUTUBE, 1)
        timezone = str(workspace_settings.get(session.get_one(Workspace, post.workspace_id), "timezone"))
    if video is None:
        raise RetryLater(f"YouTube does not list video {remote_id} yet", 60)
    privacy = str(video.get("status", {}).get("privacyStatus", post.privacy))
    notes = []
    if post.privacy != "private" and privacy == "private":
        notes.append(LOCKED_NOTE)
    if post.publish_at is not None:
        local = post.publish_at.astimezone(ZoneInfo(timezone))
        notes.append(f"It goes public on {local:%Y-%m-%d %H:%M} ({timezone}).")
    return finish(services, post, runner, state="published", remote_id=remote_id,
                  url=settings.youtube_video_url.format(id=remote_id), privacy=privacy, note=" ".join(notes))


def channel_bucket(account_id: int) -> str:
    """The quota bucket that pauses one connected channel's uploads."""
    return f"{UPLOAD_BUCKET}:account:{account_id}"


def _find_existing(services: Services, post: Post, token: str, marker: str) -> dict[str, Any] | None:
    """The video of an earlier session of this publication, if YouTube made it (3 quota units)."""
    with services.db.session() as session:
        quota.record(session, post.workspace_id, quota.YOUTUBE, youtube_adopt.LOOKUP_UNITS)
    try:
        return youtube_adopt.find_uploaded(google_api.youtube(services.settings, token), marker)
    except HttpError as exc:
        raise RetryLater(f"YouTube forgot the upload session and I could not check the channel's uploads "
                         f"before uploading again ({google_api.error_message(exc)})", 300) from None


def _channel_not_paused(services: Services, account_id: int) -> None:
    with services.db.session() as session:
        until = quota.exhausted_until(session, channel_bucket(account_id))
    if until is not None:
        raise _retry_at(until, "this channel reached YouTube's daily upload limit")


def _paused(services: Services, account_id: int, exc: youtube.QuotaExhausted) -> RetryLater:
    """Record whose limit it was (the project's until midnight Pacific, or this channel's for 24 h)."""
    with services.db.session() as session:
        if exc.scope == youtube.PROJECT:
            until = quota.mark_exhausted(session, None, UPLOAD_BUCKET)
        else:
            until = utcnow() + CHANNEL_PAUSE
            for same in _same_channel(session, account_id):
                quota.mark_exhausted(session, None, channel_bucket(same), until)
    return _retry_at(until, str(exc))


def _same_channel(session: Any, account_id: int) -> list[int]:
    """Every connected account of this channel (several workspaces may have connected it)."""
    account = session.get_one(Account, account_id)
    return list(session.scalars(select(Account.id).where(
        Account.platform == account.platform, Account.external_id == account.external_id)))


def _retry_at(until: datetime, why: str) -> RetryLater:
    return RetryLater(f"{why}; I'll upload it {quota.describe_resume(until)}",
                      max(60.0, (until - utcnow()).total_seconds()))


def _reserve_upload(services: Services) -> None:
    """Count the upload against the project's daily insert bucket before it starts."""
    try:
        with services.db.session() as session:
            quota.spend(session, None, UPLOAD_BUCKET, 1, budget=UPLOADS_PER_DAY)
    except quota.QuotaError as exc:
        raise _retry_at(exc.resume_at, "YouTube's daily upload allowance is used up") from None
