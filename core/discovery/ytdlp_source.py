"""TikTok users and hashtags, feeds and any other site yt-dlp knows, through yt-dlp as a library.

A page is listed flat (`extract_flat='in_playlist'`: no video is downloaded), then each
entry's metadata is read, at most one request per `YTDLP_MIN_INTERVAL_SECONDS` per site,
so a watch never hammers a platform. The URL guard applies to every page and entry.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import deno
from yt_dlp.utils import DownloadError

from core.discovery.guarded_ytdlp import GuardedYoutubeDL
from core.discovery.model import YTDLP, Fetched, Found
from core.discovery.netguard import NetGuard
from core.jobs import JobFailed
from core.services import Services

log = logging.getLogger(__name__)

ENTRY_LIMIT = 30


class _Pacer:
    """At most one request per interval to each host, across the threads of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def wait(self, url: str, interval: float) -> None:
        host = urlsplit(url).hostname or ""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(host, 0.0))
            self._next[host] = slot + interval
        if slot > now:
            time.sleep(slot - now)


PACER = _Pacer()


def ydl_options(**extra: Any) -> dict[str, Any]:
    """Quiet, bounded yt-dlp options; YouTube's player needs a JavaScript runtime, and the one
    the `deno` package ships is used, so no runtime has to be on PATH."""
    return {"quiet": True, "no_warnings": True, "noprogress": True, "skip_download": True,
            "socket_timeout": 30, "logger": _QuietLogger(),
            "js_runtimes": {"deno": {"path": deno.find_deno_bin()}}, **extra}


class _QuietLogger:
    def debug(self, msg: str) -> None:
        return None

    def info(self, msg: str) -> None:
        return None

    def warning(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def error(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)


class YtdlpSource:
    kind = YTDLP

    def __init__(self, services: Services, workspace_id: int | None) -> None:
        self.settings = services.settings

    def fetch(self, refs: list[str], known: dict[str, dict[str, str]]) -> list[Fetched]:
        results = []
        for ref in refs:
            try:
                results.append(Fetched(ref, self._videos(ref)))
            except (DownloadError, JobFailed) as exc:
                results.append(Fetched(ref, error=_one_line(exc)))
        return results

    def _videos(self, url: str) -> list[Found]:
        guard = NetGuard(self.settings.download_allow_private)
        guard.check_url(url)
        listing = self._extract(url, extract_flat="in_playlist", playlistend=ENTRY_LIMIT)
        entries = listing.get("entries")
        if entries is None:
            return [to_found(listing)]
        found = []
        for entry in list(entries)[:ENTRY_LIMIT]:
            target = entry.get("url") or entry.get("webpage_url")
            if not target:
                continue
            try:
                guard.check_url(target)
                found.append(to_found(self._extract(target)))
            except (DownloadError, JobFailed) as exc:
                log.info("skipping %s: %s", target, _one_line(exc))
        return found

    def _extract(self, url: str, **extra: Any) -> dict[str, Any]:
        PACER.wait(url, self.settings.ytdlp_min_interval_seconds)
        guard = NetGuard(self.settings.download_allow_private)
        with GuardedYoutubeDL(ydl_options(**extra), guard=guard) as ydl:
            return ydl.sanitize_info(ydl.extract_info(url, download=False))


def to_found(info: dict[str, Any]) -> Found:
    timestamp = info.get("timestamp")
    published = datetime.fromtimestamp(timestamp, UTC) if timestamp else None
    if published is None and info.get("upload_date"):
        published = datetime.strptime(info["upload_date"], "%Y%m%d").replace(tzinfo=UTC)
    platform = str(info.get("extractor_key") or info.get("ie_key") or "web").lower()[:16]
    return Found(
        platform=platform, external_id=str(info.get("id") or info.get("webpage_url"))[:128],
        url=info.get("webpage_url") or info.get("original_url") or info.get("url") or "",
        title=info.get("title") or "",
        channel_id=str(info.get("channel_id") or info.get("uploader_id") or ""),
        channel_title=info.get("channel") or info.get("uploader") or "",
        published_at=published, duration_s=info.get("duration"), license=info.get("license") or "",
        thumbnail_url=info.get("thumbnail") or "", views=info.get("view_count"),
        likes=info.get("like_count"), comments=info.get("comment_count"),
        live=bool(info.get("is_live")),
    )


def _one_line(exc: Exception) -> str:
    text = str(exc).removeprefix("ERROR: ").splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]
