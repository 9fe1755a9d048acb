"""YouTube uploads: `videos.insert` over the resumable protocol, resumed, never duplicated.

The session URI is journaled before the first byte is sent. On a retry the recorded session
is asked how far it got (`Content-Range: bytes */TOTAL`): a finished upload is picked up
as it is, a partial one continues at the next byte. A session YouTube no longer knows (404)
may still have finished before it expired, so before any new session starts for a
publication that had one, the channel's recent uploads are searched for the publication's
marker tag (core.publish.youtube_adopt) and a video found there is adopted, never uploaded
again. Dropped connections and 5xx back off exponentially and resume.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httplib2
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

from core import google_api
from core.config import Settings
from core.jobs import JobFailed, RetryLater
from core.publish.journal import Journal
from core.publish.oauth_types import AccessRejected
from core.publish.post import Post, youtube_tags

log = logging.getLogger(__name__)

QUANTUM = 256 * 1024
RETRY_BASE_S = 1.0
RETRY_MAX_S = 32.0
MAX_FAILURES = 8
MAX_RESTARTS = 3
RETRYABLE = {500, 502, 503, 504, 429}
PROJECT, CHANNEL = "project", "channel"
QUOTA_REASONS = {"quotaExceeded": (PROJECT, "YouTube's daily API quota for this project is used up"),
                 "uploadLimitExceeded": (CHANNEL, "this channel reached YouTube's daily upload limit")}
REJECTED = "YouTube refuses this account's access token"

FindExisting = Callable[[], dict[str, Any] | None]


class QuotaExhausted(Exception):
    """YouTube refused the upload for quota reasons; `scope` says whose limit it was.

    `project` (`quotaExceeded`): the API project's daily quota, shared by every channel, until
    midnight Pacific. `channel` (`uploadLimitExceeded`, HTTP 400): this channel's uploads in a
    24-hour period; YouTube's advice is to try again in 24 hours. Other channels may upload.
    """

    def __init__(self, message: str, scope: str) -> None:
        super().__init__(message)
        self.scope = scope


class ChunkedFileUpload(MediaFileUpload):
    """Reads each chunk as bytes (at most one chunk in memory) instead of a stream slice.

    httplib2 silently re-sends a request once when the connection drops; a stream slice is
    exhausted by then and would be re-sent empty, while bytes are re-sent whole.
    """

    def has_stream(self) -> bool:
        return False


@dataclass(frozen=True)
class Uploaded:
    video_id: str
    resource: dict[str, Any]


def chunk_size(settings: Settings) -> int:
    return max(QUANTUM, settings.upload_chunk_mb * 1024 * 1024 // QUANTUM * QUANTUM)


def metadata(post: Post, marker: str = "") -> dict[str, Any]:
    """The video resource to insert; `marker` (the publication's tag) is always the first tag."""
    status: dict[str, Any] = {
        "privacyStatus": post.privacy, "selfDeclaredMadeForKids": post.made_for_kids,
        "containsSyntheticMedia": post.synthetic_media, "license": post.license,
        "embeddable": True,
    }
    if post.publish_at is not None:
        status["publishAt"] = post.publish_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "snippet": {"title": post.title, "description": post.description,
                    "tags": youtube_tags((marker, *post.tags) if marker else post.tags),
                    "categoryId": "22"},
        "status": status,
    }


def upload(settings: Settings, access_token: str, post: Post, session_uri: str | None,
           journal: Journal, *, marker: str = "", find_existing: FindExisting | None = None,
           had_session: bool = False) -> Uploaded:
    """Upload (or finish uploading) the post's file; returns the created video's resource.

    `had_session`: a session was started for this publication before (perhaps lost since), so
    `find_existing` (which looks for `marker` among the channel's uploads) runs before a new
    session is started. Raises QuotaExhausted, AccessRejected (HTTP 401), JobFailed, RetryLater.
    """
    try:
        return _upload(settings, access_token, post, session_uri, journal, marker, find_existing,
                       had_session or session_uri is not None)
    except RefreshError:
        raise AccessRejected(REJECTED) from None


def _upload(settings: Settings, access_token: str, post: Post, session_uri: str | None, journal: Journal,
            marker: str, find_existing: FindExisting | None, had_session: bool) -> Uploaded:
    service = google_api.youtube(settings, access_token)
    http = google_api.authorized_http(access_token)
    for _ in range(MAX_RESTARTS):
        request = service.videos().insert(
            part="snippet,status", body=metadata(post, marker), notifySubscribers=True,
            media_body=ChunkedFileUpload(str(post.path), mimetype="video/mp4",
                                         chunksize=chunk_size(settings), resumable=True))
        if session_uri:
            state = session_state(http, session_uri, post.size)
            if isinstance(state, dict):
                return _done(state, journal)
            if state is None:
                journal.session_lost()
            else:
                request.resumable_uri, request.resumable_progress = session_uri, state
        if request.resumable_uri is None:
            found = find_existing() if had_session and find_existing is not None else None
            if found is not None:
                log.info("YouTube forgot the session but video %s carries this publication's tag: adopted",
                         found["id"])
                return _done(found, journal)
            request.resumable_uri = _initiate(http, request, post.size)
            journal.session_started(request.resumable_uri)
            had_session = True
        session_uri = request.resumable_uri
        finished = _send(request, http, post.size, journal)
        if finished is not None:
            return _done(finished, journal)
        journal.session_lost()
        session_uri = None
    raise RetryLater("YouTube kept forgetting the upload session; trying again later", 300)


def _done(resource: dict[str, Any], journal: Journal) -> Uploaded:
    journal.uploaded(resource["id"], {"privacy": resource.get("status", {}).get("privacyStatus", "")})
    return Uploaded(resource["id"], resource)


def session_state(http: Any, uri: str, total: int) -> dict[str, Any] | int | None:
    """Ask a session how far it got: the video resource if complete, the next offset, or None if gone."""
    headers = {"Content-Range": f"bytes */{total}", "Content-Length": "0"}
    resp, content = _with_backoff(lambda: http.request(uri, "PUT", headers=headers), "status query")
    if resp.status in (200, 201):
        return json.loads(content)
    if resp.status == 308:
        return int(resp["range"].split("-")[1]) + 1 if "range" in resp else 0
    if resp.status in (404, 410):
        return None
    raise _failure(HttpError(resp, content, uri=uri))


def _initiate(http: Any, request: Any, total: int) -> str:
    headers = {**request.headers, "X-Upload-Content-Type": "video/mp4",
               "X-Upload-Content-Length": str(total), "content-length": str(request.body_size)}
    resp, content = _with_backoff(
        lambda: http.request(request.uri, method="POST", body=request.body, headers=headers), "initiation")
    if resp.status == 200 and "location" in resp:
        return str(resp["location"])
    raise _failure(HttpError(resp, content, uri=request.uri))


def _send(request: Any, http: Any, total: int, journal: Journal) -> dict[str, Any] | None:
    """Send chunks until done; None when the session died (404) and must start over."""
    failures = 0
    while True:
        try:
            status, response = request.next_chunk(http=http)
        except HttpError as exc:
            if exc.resp.status in (404, 410):
                return None
            if exc.resp.status not in RETRYABLE:
                raise _failure(exc) from None
            failures = _pause(failures, f"HTTP {exc.resp.status}")
            continue
        except (OSError, httplib2.HttpLib2Error) as exc:
            failures = _pause(failures, type(exc).__name__)
            continue
        failures = 0
        if response is not None:
            return response
        journal.sent(status.resumable_progress, total)


def _with_backoff(call: Any, what: str) -> Any:
    failures = 0
    while True:
        try:
            resp, content = call()
        except (OSError, httplib2.HttpLib2Error) as exc:
            failures = _pause(failures, f"{what}: {type(exc).__name__}")
            continue
        if resp.status in RETRYABLE:
            failures = _pause(failures, f"{what}: HTTP {resp.status}")
            continue
        return resp, content


def _pause(failures: int, why: str) -> int:
    failures += 1
    if failures > MAX_FAILURES:
        raise RetryLater(f"YouTube's upload service kept failing ({why})", 300)
    delay = min(RETRY_MAX_S, RETRY_BASE_S * 2 ** (failures - 1))
    log.info("YouTube upload interrupted (%s); resuming in %.1fs", why, delay)
    time.sleep(delay)
    return failures


def _failure(exc: HttpError) -> Exception:
    reason = google_api.error_reason(exc)
    if reason in QUOTA_REASONS:
        scope, said = QUOTA_REASONS[reason]
        return QuotaExhausted(said, scope)
    if exc.resp.status == 401:
        return AccessRejected(REJECTED)
    if exc.resp.status == 403 and reason in ("authError", "forbidden", "insufficientPermissions", ""):
        return JobFailed(f"YouTube refused the upload ({google_api.error_message(exc)}); reconnect the "
                         "account with /connect youtube and allow uploads")
    return JobFailed(f"YouTube refused the upload: {google_api.error_message(exc)}")


def verify(settings: Settings, access_token: str, video_id: str) -> dict[str, Any] | None:
    """The video as YouTube lists it now (None if it is not listed); AccessRejected on HTTP 401."""
    try:
        found = google_api.youtube(settings, access_token).videos().list(
            part="status,snippet", id=video_id).execute()
    except RefreshError:
        raise AccessRejected(REJECTED) from None
    items = found.get("items") or []
    return items[0] if items else None
