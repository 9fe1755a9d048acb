"""YouTube sources: watched channels (the cheap path), the trending chart, and search.

Channels are read through their uploads playlist: `channels.list` (50 ids a call, once,
then remembered), one `playlistItems.list` page per channel, and `videos.list` for
statistics, duration and licence in batches of 50 ids *across* channels — about 0.05
units per video instead of 100 units per `search.list`. Calls run in a bounded thread
pool; one failing channel never fails the others.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from core import cache, quota
from core.discovery.model import YOUTUBE_CHANNEL, YOUTUBE_SEARCH, YOUTUBE_TRENDING, Fetched, Found
from core.discovery.youtube_api import YouTubeApi, YouTubeError
from core.services import Services

log = logging.getLogger(__name__)

BATCH = 50
CHUNK_CHANNELS = 100
TRENDING_LIMIT = 50
MEDIAN_MIN_VIDEOS = 3
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
T = TypeVar("T")
R = TypeVar("R")


def parse_duration(text: str) -> float | None:
    """ISO 8601 durations as YouTube writes them (PT1H2M3S, P1DT2H) in seconds."""
    match = _DURATION.match(text or "")
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def to_found(item: dict[str, Any], page_url: str, channel_median: float | None = None) -> Found:
    """A videos.list resource as a find; `page_url` is YOUTUBE_WATCH_URL (`…{id}`)."""
    snippet, stats = item.get("snippet", {}), item.get("statistics", {})
    thumbs = snippet.get("thumbnails", {})
    thumb = next((thumbs[k]["url"] for k in ("high", "medium", "default") if k in thumbs), "")
    published = snippet.get("publishedAt")
    return Found(
        platform="youtube", external_id=item["id"], url=page_url.format(id=item["id"]),
        title=snippet.get("title", ""), channel_id=snippet.get("channelId", ""),
        channel_title=snippet.get("channelTitle", ""),
        published_at=datetime.fromisoformat(published.replace("Z", "+00:00")) if published else None,
        duration_s=parse_duration(item.get("contentDetails", {}).get("duration", "")),
        license=item.get("status", {}).get("license", ""), thumbnail_url=thumb,
        views=_int(stats.get("viewCount")), likes=_int(stats.get("likeCount")),
        comments=_int(stats.get("commentCount")),
        live=snippet.get("liveBroadcastContent", "none") in {"live", "upcoming"},
        channel_median_views=channel_median,
    )


def _int(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


def error_line(exc: Exception) -> str:
    if isinstance(exc, quota.QuotaError | YouTubeError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"[:300]


class _Pool:
    """The bounded thread pool the synchronous Google client runs in."""

    def __init__(self, services: Services) -> None:
        self.size = services.settings.discovery_concurrency

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R | Exception]:
        def safe(item: T) -> R | Exception:
            try:
                return fn(item)
            except Exception as exc:
                if not isinstance(exc, quota.QuotaError | YouTubeError):
                    log.warning("YouTube call failed: %s", error_line(exc))
                return exc

        items = list(items)
        if len(items) <= 1:
            return [safe(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.size, len(items)),
                                thread_name_prefix="youtube") as pool:
            return list(pool.map(safe, items))


def video_details(api: YouTubeApi, pool: _Pool, ids: list[str]) -> dict[str, dict[str, Any] | Exception]:
    """Full video resources by id, fetched 50 ids a call; a failed batch maps its ids to the error."""
    unique = list(dict.fromkeys(ids))
    batches = [unique[i:i + BATCH] for i in range(0, len(unique), BATCH)]
    found: dict[str, dict[str, Any] | Exception] = {}
    with api.prepaid(quota.YOUTUBE, len(batches)):
        results = pool.map(api.videos, batches)
    for batch, result in zip(batches, results, strict=True):
        if isinstance(result, Exception):
            found.update(dict.fromkeys(batch, result))
        else:
            found.update({item["id"]: item for item in result})
    return found


class ChannelSource:
    kind = YOUTUBE_CHANNEL

    def __init__(self, services: Services, workspace_id: int | None) -> None:
        self.api = YouTubeApi(services, workspace_id)
        self.pool = _Pool(services)
        self.limit = services.settings.discovery_max_per_channel
        self.page_url = services.settings.youtube_watch_url

    def fetch(self, refs: list[str], known: dict[str, dict[str, str]]) -> Iterator[Fetched]:
        """Channels in chunks; the next chunk is fetched while the caller merges this one."""
        chunks = [refs[i:i + CHUNK_CHANNELS] for i in range(0, len(refs), CHUNK_CHANNELS)]
        if not chunks:
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="youtube-ahead") as ahead:
            pending = ahead.submit(self._fetch_chunk, chunks[0], known)
            for following in [*chunks[1:], None]:
                results = pending.result()
                if following is not None:
                    pending = ahead.submit(self._fetch_chunk, following, known)
                yield from results

    def _fetch_chunk(self, refs: list[str], known: dict[str, dict[str, str]]) -> list[Fetched]:
        resolved, errors = self._resolve(refs, known)
        playlists = list(resolved.items())
        pages = -(-self.limit // BATCH)
        with self.api.prepaid(quota.YOUTUBE, len(playlists) * pages):
            listings = self.pool.map(lambda pair: self.api.uploads(pair[1]["uploads"], self.limit),
                                     playlists)
        uploads: dict[str, list[str]] = {}
        for (ref, _), listing in zip(playlists, listings, strict=True):
            if isinstance(listing, Exception):
                errors[ref] = error_line(listing)
            else:
                uploads[ref] = listing
        details = video_details(self.api, self.pool, [v for ids in uploads.values() for v in ids])
        results = [Fetched(ref, error=errors[ref]) for ref in refs if ref in errors]
        for ref, ids in uploads.items():
            results.append(self._channel_result(ref, ids, details, resolved[ref]))
        return results

    def _channel_result(self, ref: str, ids: list[str], details: dict[str, Any],
                        info: dict[str, str]) -> Fetched:
        failure = next((details[v] for v in ids if isinstance(details.get(v), Exception)), None)
        if failure is not None:
            return Fetched(ref, error=error_line(failure), resolved=info)
        items = [details[v] for v in ids if v in details]
        views = [int(i["statistics"]["viewCount"]) for i in items if "viewCount" in i.get("statistics", {})]
        median = statistics.median(views) if len(views) >= MEDIAN_MIN_VIDEOS else None
        return Fetched(ref, [to_found(item, self.page_url, median) for item in items], resolved=info)

    def _resolve(self, refs: list[str], known: dict[str, dict[str, str]]) -> tuple[dict, dict]:
        """Channel id and uploads playlist per ref: remembered, or 50 ids per `channels.list`."""
        resolved = {ref: known[ref] for ref in refs if known.get(ref, {}).get("uploads")}
        errors: dict[str, str] = {}
        pending = [ref for ref in refs if ref not in resolved]
        by_id = [ref for ref in pending if not ref.startswith("@")]
        handles = [ref for ref in pending if ref.startswith("@")]
        batches = [by_id[i:i + BATCH] for i in range(0, len(by_id), BATCH)]
        for batch, result in zip(batches, self.pool.map(self.api.channels, batches), strict=True):
            items = {} if isinstance(result, Exception) else {i["id"]: i for i in result}
            for ref in batch:
                if isinstance(result, Exception):
                    errors[ref] = error_line(result)
                elif ref in items:
                    resolved[ref] = _channel_info(items[ref])
                else:
                    errors[ref] = f"YouTube has no channel {ref}."
        for ref, item in zip(handles, self.pool.map(self.api.channel_by_handle, handles), strict=True):
            if isinstance(item, Exception):
                errors[ref] = error_line(item)
            elif item is None:
                errors[ref] = f"YouTube has no channel with the handle {ref}."
            else:
                resolved[ref] = _channel_info(item)
        return resolved, errors


def _channel_info(item: dict[str, Any]) -> dict[str, str]:
    return {"channel_id": item["id"], "title": item.get("snippet", {}).get("title", ""),
            "uploads": item["contentDetails"]["relatedPlaylists"]["uploads"]}


class TrendingSource:
    """`REGION` or `REGION:CATEGORY`; the chart is cached, so repeated looks cost nothing."""

    kind = YOUTUBE_TRENDING

    def __init__(self, services: Services, workspace_id: int | None) -> None:
        self.services = services
        self.api = YouTubeApi(services, workspace_id)

    def fetch(self, refs: list[str], known: dict[str, dict[str, str]]) -> list[Fetched]:
        results = []
        for ref in refs:
            region, _, category = ref.partition(":")
            try:
                items = cached(self.services, f"yt:trending:{region}:{category}",
                               lambda r=region, c=category: self.api.trending(r, c or None, TRENDING_LIMIT))
            except Exception as exc:
                results.append(Fetched(ref, error=error_line(exc)))
                continue
            results.append(Fetched(ref, [to_found(item, self.services.settings.youtube_watch_url)
                                         for item in items]))
        return results


class SearchSource:
    """A query: one `search.list` call from the workspace's separate search budget."""

    kind = YOUTUBE_SEARCH
    LIMIT = 25

    def __init__(self, services: Services, workspace_id: int | None) -> None:
        self.services = services
        self.api = YouTubeApi(services, workspace_id)
        self.pool = _Pool(services)

    def fetch(self, refs: list[str], known: dict[str, dict[str, str]]) -> list[Fetched]:
        results = []
        for ref in refs:
            try:
                items = cached(self.services, f"yt:search:{ref.lower()}", lambda q=ref: self._search(q))
            except Exception as exc:
                results.append(Fetched(ref, error=error_line(exc)))
                continue
            results.append(Fetched(ref, [to_found(item, self.services.settings.youtube_watch_url)
                                         for item in items]))
        return results

    def _search(self, query: str) -> list[dict[str, Any]]:
        ids = self.api.search(query, self.LIMIT)
        details = video_details(self.api, self.pool, ids)
        failure = next((d for d in details.values() if isinstance(d, Exception)), None)
        if failure is not None:
            raise failure
        return [details[v] for v in ids if v in details]


def cached(services: Services, key: str, load: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    ttl = services.settings.trending_cache_seconds
    hit = cache.get(services, key) if ttl else None
    if hit is not None:
        return hit
    value = load()
    if ttl:
        cache.set(services, key, value, ttl)
    return value
