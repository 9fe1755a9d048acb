"""One publication to TikTok: creator info, check, init (rate-limited), chunks, status, outcome."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from core.jobs import JobFailed, RetryLater
from core.messages import Reply
from core.models import Account, Publication
from core.publish import tiktok
from core.publish.journal import Journal
from core.publish.outcome import Runner, finish
from core.publish.post import Post, check
from core.services import Services

if TYPE_CHECKING:
    from core.config import Settings

INIT_PER_MINUTE = 6
STATUS_POLLS = 12
POLL_INTERVAL_S = 5.0
RECHECK_S = 300.0
FINAL = ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX", "FAILED")


def run(services: Services, post: Post, token: str, journal: Journal, runner: Runner) -> Reply:
    settings = services.settings
    with services.db.session() as session:
        publication = session.get_one(Publication, post.publication_id)
        recorded = json.loads(publication.upload_session) if publication.upload_session else None
    creator = tiktok.creator_info(settings, token)
    if recorded is not None:
        recorded = _resume(settings, token, post, recorded, journal)
    if recorded is None:
        check(post, creator.max_duration_s)
        recorded = _start(services, token, post, creator, journal)
    publish_id = recorded["publish_id"]
    status = tiktok.wait_for_outcome(settings, token, publish_id, polls=STATUS_POLLS,
                                     interval_s=POLL_INTERVAL_S,
                                     tick=lambda s: runner.progress(95, f"TikTok is processing it ({s})"))
    return _outcome(services, post, runner, recorded, status, creator.username)


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


def _start(services: Services, token: str, post: Post, creator: tiktok.CreatorInfo,
           journal: Journal) -> dict[str, Any]:
    settings = services.settings
    plan = tiktok.plan_chunks(post.size, settings.upload_chunk_mb * tiktok.MIB)
    mode = mode_for(settings, post)
    post_info = {
        "title": post.caption, "privacy_level": _privacy(post, creator),
        "disable_comment": creator.comment_disabled, "disable_duet": creator.duet_disabled,
        "disable_stitch": creator.stitch_disabled, "is_aigc": post.synthetic_media,
        "brand_content_toggle": False, "brand_organic_toggle": False,
    }
    _count_init(services, post.account_id)
    publish_id, upload_url = tiktok.init(settings, token, mode, plan, post_info)
    journal.session_started(tiktok.session_record(publish_id, upload_url, plan, mode))
    _send(post, upload_url, plan, 0, journal)
    privacy = post_info["privacy_level"] if mode == "direct" else "draft"
    journal.uploaded(publish_id, {"mode": mode, "privacy": privacy})
    return {"publish_id": publish_id, "mode": mode, "privacy": privacy}


def _send(post: Post, upload_url: str, plan: tiktok.ChunkPlan, first: int, journal: Journal) -> None:
    tiktok.send_chunks(upload_url, post.path, plan, first, lambda done: journal.sent(done, plan.size))


def _resume(settings: Settings, token: str, post: Post, recorded: dict[str, Any],
            journal: Journal) -> dict[str, Any] | None:
    """Continue a recorded upload; None when it must start again (TikTok dropped it unfinished)."""
    status = tiktok.fetch_status(settings, token, recorded["publish_id"])
    state = status.get("status")
    uploaded = int(status.get("uploaded_bytes") or 0)
    plan = tiktok.ChunkPlan(int(recorded["size"]), int(recorded["chunk_size"]), int(recorded["count"]))
    if state == "PROCESSING_UPLOAD" and uploaded < plan.size and plan.size == post.size:
        starts = [start for start, _ in plan.ranges()]
        if uploaded in starts:
            _send(post, recorded["upload_url"], plan, starts.index(uploaded), journal)
            journal.uploaded(recorded["publish_id"], {"mode": recorded.get("mode", "")})
            return recorded
    if state == "FAILED" and uploaded < plan.size or state == "PROCESSING_UPLOAD":
        journal.session_lost()
        return None
    if state in FINAL or state == "PROCESSING_DOWNLOAD":
        journal.uploaded(recorded["publish_id"], {"mode": recorded.get("mode", "")})
    return recorded


def _count_init(services: Services, account_id: int) -> None:
    """Six init calls a minute per creator: wait rather than be refused."""
    now = time.time()
    with services.db.session() as session:
        account = session.get_one(Account, account_id)
        recent = [t for t in (account.data or {}).get("tiktok_inits", []) if now - t < 60]
        if len(recent) >= INIT_PER_MINUTE:
            raise RetryLater("TikTok allows 6 uploads a minute per creator", 61 - (now - min(recent)))
        account.data = {**(account.data or {}), "tiktok_inits": [*recent, now]}


def _outcome(services: Services, post: Post, runner: Runner, recorded: dict[str, Any],
             status: dict[str, Any], username: str) -> Reply:
    state = status.get("status")
    if state == "FAILED":
        raise JobFailed(f"TikTok could not publish it: {tiktok.fail_reason(status)}")
    if state == "SEND_TO_USER_INBOX":
        return finish(services, post, runner, state="inbox", remote_id=recorded["publish_id"], url=None,
                      privacy="draft")
    if state == "PUBLISH_COMPLETE":
        ids = status.get("publicaly_available_post_id") or []
        privacy = str(recorded.get("privacy") or "")
        url = services.settings.tiktok_video_url.format(username=username, id=ids[0]) if ids else None
        note = "" if ids else "TikTok gives no public link for a post that only some people can see."
        return finish(services, post, runner, state="published", remote_id=str(ids[0]) if ids else
                      recorded["publish_id"], url=url, privacy=privacy, note=note)
    raise RetryLater(f"TikTok is still processing the video ({state}); I'll check again", RECHECK_S)
