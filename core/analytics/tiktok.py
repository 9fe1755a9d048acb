"""TikTok video metrics: `POST /v2/video/query/` with at most 20 ids per call (Display API)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx

from core.analytics.readings import PlatformRefused, VideoCounts, as_count, batches
from core.config import Settings
from core.jobs import RetryLater

log = logging.getLogger(__name__)

BATCH = 20
FIELDS = "id,view_count,like_count,comment_count,share_count"
TOKEN_ERRORS = {"access_token_invalid", "scope_not_authorized", "scope_permission_missed"}


def video_counts(settings: Settings, access_token: str, video_ids: Sequence[str]) -> dict[str, VideoCounts]:
    """Counters for the creator's own videos; ids TikTok doesn't return are absent (deleted, private)."""
    url = settings.tiktok_api_base_url.rstrip("/") + "/v2/video/query/"
    found: dict[str, VideoCounts] = {}
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {access_token}"}) as client:
        for chunk in batches(video_ids, BATCH):
            response = client.post(url, params={"fields": FIELDS}, json={"filters": {"video_ids": chunk}})
            for video in _videos(response):
                found[str(video["id"])] = VideoCounts(
                    views=as_count(video.get("view_count")), likes=as_count(video.get("like_count")),
                    comments=as_count(video.get("comment_count")), shares=as_count(video.get("share_count")),
                )
    return found


def _videos(response: httpx.Response) -> list[dict]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") or {}
    code = str(error.get("code") or ("ok" if response.is_success else response.status_code))
    if response.status_code == 401 or code in TOKEN_ERRORS:
        raise PlatformRefused(f"TikTok refused the token ({code})")
    if response.status_code == 429 or code == "rate_limit_exceeded":
        raise RetryLater("TikTok is rate limiting video queries", delay=60)
    if code != "ok" or not response.is_success:
        raise RuntimeError(f"TikTok video query failed: {code} {error.get('message', '')}".strip())
    return list((body.get("data") or {}).get("videos") or [])
