"""TikTok uploads through the Content Posting API: creator info, init, chunks from disk, status.

Chunks follow TikTok's rules exactly (5–64 MiB, the last takes the remainder up to 128 MiB,
`total_chunk_count = floor(size / chunk_size)`, files under 5 MiB whole) and stream from
the file in 1 MiB blocks, so memory stays flat whatever the file's size.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from core.config import Settings
from core.jobs import JobFailed, RetryLater
from core.publish.oauth_tiktok import api
from core.publish.oauth_types import AccessRejected

MIB = 1024 * 1024
MIN_CHUNK, MAX_CHUNK, MAX_CHUNKS = 5 * MIB, 64 * MIB, 1000
BLOCK = MIB
HTTP_TIMEOUT_S = 60.0
RATE_LIMIT_RETRY_S = 60.0
FAIL_REASONS = {
    "file_format_check_failed": "TikTok could not read the video file's format",
    "duration_check_failed": "the video is too long or too short for this creator",
    "frame_rate_check_failed": "TikTok does not accept the video's frame rate",
    "picture_size_check_failed": "TikTok does not accept the video's resolution",
    "internal": "TikTok had an internal problem processing it; try again later",
    "video_pull_failed": "TikTok could not fetch the video",
    "publish_cancelled": "the post was cancelled on TikTok",
    "auth_removed": "the creator removed this app's access",
    "spam_risk_too_many_posts": "the creator has posted too much today",
    "spam_risk_user_banned_from_posting": "the creator is currently not allowed to post",
    "spam_risk_text": "TikTok flagged the caption as spam",
    "spam_risk": "TikTok flagged the post as a spam risk",
}
API_ERRORS = {
    "unaudited_client_can_only_post_to_private_accounts":
        "this TikTok app is not audited yet, so it may only post to private accounts: make the "
        "account private, or set the workspace's tiktok_mode to inbox",
    "privacy_level_option_mismatch": "the creator does not allow that privacy level",
    "spam_risk_too_many_posts": "the creator has posted too much today",
    "spam_risk_user_banned_from_posting": "the creator is currently not allowed to post",
    "reached_active_user_cap": "this TikTok app reached its daily limit of users",
    "scope_not_authorized": "the account was connected without upload permission: /connect tiktok again",
}
REJECTED = "TikTok refuses this account's access token"


class ChunkRefused(Exception):
    """TikTok's upload server refused a chunk (an expired upload URL, a mismatched range…).

    TikTok documents the upload URL as valid for one hour after issuance, not what an expired
    one answers, so any 4xx is taken to mean: ask the publish status before anything else.
    """


@dataclass(frozen=True)
class ChunkPlan:
    size: int
    chunk_size: int
    count: int

    def ranges(self) -> Iterator[tuple[int, int]]:
        """(first byte, last byte) of each chunk; the last chunk takes the remainder."""
        for index in range(self.count):
            start = index * self.chunk_size
            end = self.size - 1 if index == self.count - 1 else start + self.chunk_size - 1
            yield start, end

    def source_info(self) -> dict[str, Any]:
        return {"source": "FILE_UPLOAD", "video_size": self.size, "chunk_size": self.chunk_size,
                "total_chunk_count": self.count}


@dataclass(frozen=True)
class CreatorInfo:
    privacy_options: tuple[str, ...]
    max_duration_s: float
    username: str
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool


def plan_chunks(size: int, preferred: int) -> ChunkPlan:
    if size < MIN_CHUNK:
        return ChunkPlan(size, size, 1)
    chunk = min(MAX_CHUNK, max(MIN_CHUNK, preferred, -(-size // MAX_CHUNKS)))
    if size <= chunk:
        return ChunkPlan(size, size, 1)
    return ChunkPlan(size, chunk, size // chunk)


def call(settings: Settings, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a Content Posting API call; TikTok's error codes become plain-word failures.

    Raises AccessRejected (401 / `access_token_invalid`), RetryLater (429, 5xx, network) and
    JobFailed (any other refusal, in plain words).
    """
    try:
        response = httpx.post(api(settings, path), json=body, timeout=HTTP_TIMEOUT_S,
                              headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        raise RetryLater(f"TikTok could not be reached ({type(exc).__name__})", RATE_LIMIT_RETRY_S) from None
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    error = answer.get("error") or {}
    code = error.get("code", "ok") if isinstance(error, dict) else "ok"
    if response.status_code == 429 or code == "rate_limit_exceeded":
        raise RetryLater("TikTok's rate limit was reached", RATE_LIMIT_RETRY_S)
    if response.status_code >= 500:
        raise RetryLater(f"TikTok answered {response.status_code}", RATE_LIMIT_RETRY_S)
    if response.status_code == 401 or code == "access_token_invalid":
        raise AccessRejected(REJECTED)
    if code != "ok" or response.status_code >= 400:
        raise JobFailed(f"TikTok refused it: {API_ERRORS.get(code) or error.get('message') or code}")
    return answer.get("data") or {}


def creator_info(settings: Settings, token: str) -> CreatorInfo:
    data = call(settings, token, "/v2/post/publish/creator_info/query/", {})
    return CreatorInfo(
        privacy_options=tuple(data.get("privacy_level_options") or ()),
        max_duration_s=float(data.get("max_video_post_duration_sec") or 600),
        username=str(data.get("creator_username") or ""),
        comment_disabled=bool(data.get("comment_disabled")), duet_disabled=bool(data.get("duet_disabled")),
        stitch_disabled=bool(data.get("stitch_disabled")),
    )


def init(settings: Settings, token: str, mode: str, plan: ChunkPlan,
         post_info: dict[str, Any]) -> tuple[str, str]:
    """Start an upload: (publish_id, upload_url). Direct posts carry post_info; inbox uploads don't."""
    if mode == "direct":
        data = call(settings, token, "/v2/post/publish/video/init/",
                    {"post_info": post_info, "source_info": plan.source_info()})
    else:
        data = call(settings, token, "/v2/post/publish/inbox/video/init/",
                    {"source_info": plan.source_info()})
    return str(data["publish_id"]), str(data["upload_url"])


def send_chunks(upload_url: str, path: Path, plan: ChunkPlan, first_chunk: int,
                on_chunk: Callable[[int], None]) -> None:
    """PUT chunks `first_chunk`… in order, each streamed from disk; `on_chunk(bytes_done)` after each.

    Raises ChunkRefused on a 4xx answer and RetryLater on a 5xx or a dropped connection.
    """
    with httpx.Client(timeout=HTTP_TIMEOUT_S) as client, path.open("rb") as handle:
        for index, (start, end) in enumerate(plan.ranges()):
            if index < first_chunk:
                continue
            length = end - start + 1
            headers = {"Content-Type": "video/mp4", "Content-Length": str(length),
                       "Content-Range": f"bytes {start}-{end}/{plan.size}"}
            try:
                response = client.put(upload_url, content=_blocks(handle, start, length), headers=headers)
            except httpx.HTTPError as exc:
                raise RetryLater(f"the upload to TikTok was interrupted ({type(exc).__name__})", 30) from None
            if response.status_code >= 500:
                raise RetryLater(f"TikTok's upload server answered {response.status_code}", 30)
            if response.status_code >= 400:
                raise ChunkRefused(f"TikTok refused chunk {index + 1} of {plan.count}: {_message(response)}")
            on_chunk(end + 1)


def _blocks(handle: Any, start: int, length: int) -> Iterator[bytes]:
    handle.seek(start)
    while length:
        block = handle.read(min(BLOCK, length))
        if not block:
            raise JobFailed("the video file got shorter while it was being uploaded")
        length -= len(block)
        yield block


def _message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error") or {}
        return str(error.get("message") or error.get("code") or response.status_code)
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code}"


def fetch_status(settings: Settings, token: str, publish_id: str) -> dict[str, Any]:
    return call(settings, token, "/v2/post/publish/status/fetch/", {"publish_id": publish_id})


def wait_for_outcome(settings: Settings, token: str, publish_id: str, *, polls: int, interval_s: float,
                     tick: Callable[[str], None]) -> dict[str, Any]:
    """Poll (within TikTok's 30/min) until a final status or `polls` run out; returns the last status."""
    status: dict[str, Any] = {}
    for attempt in range(polls):
        status = fetch_status(settings, token, publish_id)
        if status.get("status") in ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX", "FAILED"):
            return status
        tick(str(status.get("status", "")))
        if attempt + 1 < polls:
            time.sleep(interval_s)
    return status


def fail_reason(status: dict[str, Any]) -> str:
    reason = str(status.get("fail_reason") or "")
    return FAIL_REASONS.get(reason, reason.replace("_", " ") or "TikTok gave no reason")


def bytes_received(status: dict[str, Any]) -> int:
    """How many bytes of a FILE_UPLOAD TikTok says it has (`uploaded_bytes`, 0 when absent)."""
    return int(status.get("uploaded_bytes") or 0)


def session_record(publish_id: str, upload_url: str, plan: ChunkPlan, mode: str, *, privacy: str = "",
                   issued_at: float | None = None, reinits: int = 0) -> str:
    """What is journaled when an upload starts: enough to ask about it and continue it later.

    `issued_at` (epoch seconds) dates the upload URL, which TikTok keeps for one hour;
    `reinits` counts how often this publication's upload was initialised again.
    """
    return json.dumps({"publish_id": publish_id, "upload_url": upload_url, "mode": mode, "privacy": privacy,
                       "chunk_size": plan.chunk_size, "count": plan.count, "size": plan.size,
                       "issued_at": time.time() if issued_at is None else issued_at, "reinits": reinits})
