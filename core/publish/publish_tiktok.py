"""One publication to TikTok: creator info, check, init (rate-limited), chunks, status, outcome.

Exactly once. The moment TikTok has acknowledged every byte, the publish id is recorded as
the publication's remote id; from then on only that publish id is asked about, however long
TikTok's processing and moderation take (core.publish.moderation), and nothing is uploaded
again. An upload recorded as started but not known to be complete is asked about first
(`status/fetch`): a post that finished, or whose bytes all arrived, is recorded as it is; a
partial one continues while its upload URL lives (one hour, TikTok says), and is initialised
again once, for the same publication, when the URL expired or TikTok refused a chunk. A new
upload starts only when TikTok says the upload itself failed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.jobs import JobFailed, RetryLater
from core.messages import Reply
from core.models import Account, Publication
from core.publish import moderation, tiktok
from core.publish.journal import Journal
from core.publish.outcome import Runner, finish
from core.publish.post import Post, check
from core.services import Services

if TYPE_CHECKING:
    from core.config import Settings

INIT_PER_MINUTE = 6
STATUS_POLLS = 12
POLL_INTERVAL_S = 5.0
UPLOAD_URL_LIFETIME_S = 55 * 60.0  # TikTok: valid for one hour after issuance; keep a margin
REINITS = 1
DONE = ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX")
FINAL = (*DONE, "FAILED")


@dataclass(frozen=True)
class Upload:
    """One publication's upload as this job sees it."""

    services: Services
    post: Post
    token: str
    journal: Journal
    creator: tiktok.CreatorInfo


def run(services: Services, post: Post, token: str, journal: Journal, runner: Runner) -> Reply | None:
    settings = services.settings
    with services.db.session() as session:
        publication = session.get_one(Publication, post.publication_id)
        recorded = json.loads(publication.upload_session) if publication.upload_session else None
        accepted = publication.remote_id
        detail = dict((publication.data or {}).get("upload") or {})
        checking = moderation.is_waiting(publication)
    creator = tiktok.creator_info(settings, token)
    if accepted is None:
        upload = Upload(services, post, token, journal, creator)
        if recorded is not None:
            recorded = _resume(upload, recorded)
        if recorded is None:
            check(post, creator.max_duration_s)
            recorded = _start(upload, reinits=0)
        accepted, detail = recorded["publish_id"], {"mode": recorded.get("mode", ""),
                                                    "privacy": recorded.get("privacy", "")}
    tick = (lambda s: None) if checking else (lambda s: runner.progress(95, f"TikTok is processing it ({s})"))
    status = tiktok.wait_for_outcome(settings, token, accepted, polls=STATUS_POLLS,
                                     interval_s=POLL_INTERVAL_S, tick=tick)
    if status.get("status") not in FINAL:
        return moderation.wait(services, post, runner, str(status.get("status") or "processing"))
    return _outcome(services, post, runner, journal, accepted, detail, status, creator.username)


def mode_for(settings: Settings, post: Post) -> str:
    """Direct posting needs an audited app; otherwise (or when the workspace prefers) the inbox."""
    return "direct" if post.tiktok_mode == "direct" and settings.tiktok_app_audited else "inbox"


def _privacy(post: Post, creator: tiktok.CreatorInfo) -> str:
    if post.tiktok_privacy in creator.privacy_options:
        return post.tiktok_privacy
    if "SELF_ONLY" in creator.privacy_options:
        return "SELF_ONLY"
    if not creator.privacy_options:
        raise JobFailed("TikTok offers no privacy level for this creator right now")
    return creator.privacy_options[-1]


def _start(upload: Upload, *, reinits: int) -> dict[str, Any]:
    """Initialise an upload for the publication, journal it, and send every chunk."""
    settings, post, creator = upload.services.settings, upload.post, upload.creator
    plan = tiktok.plan_chunks(post.size, settings.upload_chunk_mb * tiktok.MIB)
    mode = mode_for(settings, post)
    post_info = {
        "title": post.caption, "privacy_level": _privacy(post, creator),
        "disable_comment": creator.comment_disabled, "disable_duet": creator.duet_disabled,
        "disable_stitch": creator.stitch_disabled, "is_aigc": post.synthetic_media,
        "brand_content_toggle": False, "brand_organic_toggle": False,
    }
    _count_init(upload.services, post.account_id)
    publish_id, upload_url = tiktok.init(settings, upload.token, mode, plan, post_info)
    privacy = post_info["privacy_level"] if mode == "direct" else "draft"
    record = tiktok.session_record(publish_id, upload_url, plan, mode, privacy=privacy, reinits=reinits)
    upload.journal.session_started(record)
    return _transfer(upload, json.loads(record), 0)


def _transfer(upload: Upload, recorded: dict[str, Any], first_chunk: int) -> dict[str, Any]:
    """Send chunks from `first_chunk`; a refused chunk means asking TikTok before anything else."""
    plan = _plan(recorded)
    try:
        tiktok.send_chunks(recorded["upload_url"], upload.post.path, plan, first_chunk,
                           lambda done: upload.journal.sent(done, plan.size))
    except tiktok.ChunkRefused as refused:
        status = tiktok.fetch_status(upload.services.settings, upload.token, recorded["publish_id"])
        if not _all_received(status, plan):
            return _again(upload, recorded, str(refused))
    _accepted(upload, recorded)
    return recorded


def _resume(upload: Upload, recorded: dict[str, Any]) -> dict[str, Any] | None:
    """A recorded upload not known to be complete: what TikTok has decides what happens next.

    None means TikTok says the upload itself failed: a new upload may start.
    """
    status = tiktok.fetch_status(upload.services.settings, upload.token, recorded["publish_id"])
    plan = _plan(recorded)
    if _all_received(status, plan):
        _accepted(upload, recorded)
        return recorded
    if status.get("status") == "FAILED":
        upload.journal.session_lost()
        return None
    received = tiktok.bytes_received(status)
    starts = [start for start, _ in plan.ranges()]
    fresh = time.time() - float(recorded.get("issued_at") or 0) < UPLOAD_URL_LIFETIME_S
    if fresh and plan.size == upload.post.size and received in starts:
        return _transfer(upload, recorded, starts.index(received))
    return _again(upload, recorded, "its upload URL expired (TikTok keeps one for an hour)")


def _again(upload: Upload, recorded: dict[str, Any], why: str) -> dict[str, Any]:
    """Initialise the same publication's upload once more; a second time is a failure."""
    reinits = int(recorded.get("reinits") or 0)
    if reinits >= REINITS:
        raise JobFailed(f"TikTok did not take the upload, even after starting it again ({why})")
    upload.journal.session_lost()
    return _start(upload, reinits=reinits + 1)


def _all_received(status: dict[str, Any], plan: tiktok.ChunkPlan) -> bool:
    """TikTok has every byte: its answer is final, it is downloading, or it counts them all."""
    return status.get("status") in DONE or status.get("status") == "PROCESSING_DOWNLOAD" \
        or tiktok.bytes_received(status) >= plan.size


def _accepted(upload: Upload, recorded: dict[str, Any]) -> None:
    upload.journal.uploaded(recorded["publish_id"], {"mode": recorded.get("mode", ""),
                                                     "privacy": recorded.get("privacy", "")})


def _plan(recorded: dict[str, Any]) -> tiktok.ChunkPlan:
    return tiktok.ChunkPlan(int(recorded["size"]), int(recorded["chunk_size"]), int(recorded["count"]))


def _count_init(services: Services, account_id: int) -> None:
    """Six init calls a minute per creator: wait rather than be refused."""
    now = time.time()
    with services.db.session() as session:
        account = session.get_one(Account, account_id)
        recent = [t for t in (account.data or {}).get("tiktok_inits", []) if now - t < 60]
        if len(recent) >= INIT_PER_MINUTE:
            raise RetryLater("TikTok allows 6 uploads a minute per creator", 61 - (now - min(recent)))
        account.data = {**(account.data or {}), "tiktok_inits": [*recent, now]}


def _outcome(services: Services, post: Post, runner: Runner, journal: Journal, publish_id: str,
             detail: dict[str, Any], status: dict[str, Any], username: str) -> Reply:
    state = status.get("status")
    if state == "FAILED":
        journal.session_lost()
        raise JobFailed(f"TikTok could not publish it: {tiktok.fail_reason(status)}")
    if state == "SEND_TO_USER_INBOX":
        return finish(services, post, runner, state="inbox", remote_id=publish_id, url=None, privacy="draft")
    ids = status.get("publicaly_available_post_id") or []
    privacy = str(detail.get("privacy") or "")
    url = services.settings.tiktok_video_url.format(username=username, id=ids[0]) if ids else None
    note = "" if ids else "TikTok gives no public link for a post that only some people can see."
    return finish(services, post, runner, state="published", remote_id=str(ids[0]) if ids else publish_id,
                  url=url, privacy=privacy, note=note)
