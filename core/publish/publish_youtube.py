"""One publication to YouTube: quota, pre-upload check, resumable upload, verification, outcome."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from core import quota, workspace_settings
from core.jobs import RetryLater
from core.messages import Reply
from core.models import Publication, Workspace, utcnow
from core.publish import youtube
from core.publish.journal import Journal
from core.publish.outcome import Runner, finish
from core.publish.post import Post, check
from core.services import Services

UPLOAD_BUCKET = "youtube-upload"
UPLOADS_PER_DAY = 100
LOCKED_NOTE = ("YouTube locked it private: uploads from API projects Google has not verified stay "
               "private. Make it public in YouTube Studio, and ask the bot's operator to have the Google "
               "project audited (docs/publishing.md).")


def run(services: Services, post: Post, token: str, journal: Journal, runner: Runner) -> Reply:
    settings = services.settings
    with services.db.session() as session:
        publication = session.get_one(Publication, post.publication_id)
        remote_id, session_uri = publication.remote_id, publication.upload_session
    if remote_id is None:
        check(post)
        if session_uri is None:
            _reserve_upload(services)
        try:
            remote_id = youtube.upload(settings, token, post, session_uri, journal).video_id
        except youtube.QuotaExhausted as exc:
            with services.db.session() as session:
                until = quota.mark_exhausted(session, None, UPLOAD_BUCKET)
            raise RetryLater(f"{exc}; I'll upload it {quota.describe_resume(until)}",
                             max(60.0, (until - utcnow()).total_seconds())) from None
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


def _reserve_upload(services: Services) -> None:
    """Count the upload against the project's daily insert bucket before it starts."""
    try:
        with services.db.session() as session:
            quota.spend(session, None, UPLOAD_BUCKET, 1, budget=UPLOADS_PER_DAY)
    except quota.QuotaError as exc:
        delay = max(60.0, (exc.resume_at - utcnow()).total_seconds())
        raise RetryLater(f"YouTube's daily upload allowance is used up; I'll upload it "
                         f"{quota.describe_resume(exc.resume_at)}", delay) from None
