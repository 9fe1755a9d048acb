"""Finding a video YouTube already made for a publication, so a lost answer never means a second copy.

Every upload carries a tag only its publication carries (`marker`, derived from the
publication's idempotency key). When YouTube forgets an upload session (404) after the last
chunk may have arrived, or the answer naming the video was lost, the channel's most recent
uploads are searched for that tag before any new session starts: `channels.list mine=true`
(the uploads playlist), `playlistItems.list` (the 50 newest) and `videos.list` — 3 quota units.
The owner's private and scheduled videos are included, since the calls act for the owner.
"""

from __future__ import annotations

import hashlib
from typing import Any

MARKER_PREFIX = "ettametta-"
RECENT_UPLOADS = 50
LOOKUP_UNITS = 3


def marker(idempotency_key: str) -> str:
    """The publication's tag: `ettametta-` and 16 hex digits of the key's SHA-256 (26 characters)."""
    return MARKER_PREFIX + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


def find_uploaded(service: Any, tag: str) -> dict[str, Any] | None:
    """The video resource (`snippet`, `status`) among the channel's recent uploads carrying `tag`.

    `service` is a youtube v3 resource acting for the channel's owner. Raises HttpError (and
    google.auth's RefreshError for a refused token) as the client library does.
    """
    channels = service.channels().list(part="contentDetails", mine=True).execute().get("items") or []
    if not channels:
        return None
    uploads = channels[0].get("contentDetails", {}).get("relatedPlaylists", {}).get("uploads")
    if not uploads:
        return None
    listed = service.playlistItems().list(part="contentDetails", playlistId=uploads,
                                          maxResults=RECENT_UPLOADS).execute().get("items") or []
    ids = [item["contentDetails"]["videoId"] for item in listed
           if item.get("contentDetails", {}).get("videoId")]
    if not ids:
        return None
    videos = service.videos().list(part="snippet,status", id=",".join(ids)).execute().get("items") or []
    return next((video for video in videos if tag in (video.get("snippet", {}).get("tags") or [])), None)
