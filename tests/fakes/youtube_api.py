"""A fake YouTube Data API v3 on 127.0.0.1 that the real google-api-python-client talks to.

It serves the read paths discovery uses (channels, playlistItems, videos incl. the
mostPopular chart, search), counts every call and its quota cost the way Google does
(1 unit per list call; search.list in its own bucket), answers 403 `quotaExceeded` past a
limit, and can add latency per call. Data lives in plain dataclasses so other fakes and
tests can add routes (`fake.routes["youtube/v3/xyz"] = handler`) and records. Thumbnails
point at an unresolvable host unless `fake.thumbnails = fake.url` (then it serves a PNG).

    with FakeYouTube() as fake:
        channel = fake.add_channel("Cooking", handle="@cook", videos=30)
        settings = make_settings(tmp_path, google_api_base_url=fake.url, youtube_api_key=fake.key)
"""

from __future__ import annotations

import base64
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.local_server import FakeHandler, LocalServer

PAGE_MAX = 50
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGA"
                       "hKmMIQAAAABJRU5ErkJggg==")
Handler = Callable[["FakeYouTube", dict[str, str]], tuple[int, dict[str, Any]]]


@dataclass
class FakeVideo:
    id: str
    channel_id: str
    channel_title: str
    title: str
    published_at: datetime
    views: int = 1000
    likes: int = 50
    comments: int = 5
    duration: str = "PT1M"
    license: str = "youtube"
    category_id: str = "22"
    live: str = "none"

    def resource(self, parts: set[str], thumbnails: str = "https://i.ytimg.test/") -> dict[str, Any]:
        item: dict[str, Any] = {"kind": "youtube#video", "id": self.id}
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": _iso(self.published_at), "channelId": self.channel_id,
                "title": self.title, "channelTitle": self.channel_title,
                "categoryId": self.category_id, "liveBroadcastContent": self.live,
                "thumbnails": {"high": {"url": f"{thumbnails}vi/{self.id}/hqdefault.png"}},
            }
        if "statistics" in parts:
            item["statistics"] = {"viewCount": str(self.views), "likeCount": str(self.likes),
                                  "commentCount": str(self.comments)}
        if "contentDetails" in parts:
            item["contentDetails"] = {"duration": self.duration}
        if "status" in parts:
            item["status"] = {"license": self.license, "privacyStatus": "public"}
        return item


@dataclass
class FakeChannel:
    id: str
    title: str
    handle: str
    uploads: list[str] = field(default_factory=list)

    @property
    def uploads_playlist(self) -> str:
        return "UU" + self.id[2:]


class FakeYouTube(LocalServer):
    """The fake server; start with `with FakeYouTube(...) as fake` or `start()`/`stop()`."""

    def __init__(self, *, latency: float = 0.0, quota_limit: int | None = None,
                 key: str = "test-key") -> None:
        self.latency, self.quota_limit, self.key = latency, quota_limit, key
        self.channels: dict[str, FakeChannel] = {}
        self.videos: dict[str, FakeVideo] = {}
        self.trending: dict[tuple[str, str], list[str]] = {}
        self.calls: Counter[str] = Counter()
        self.units = 0
        self.search_calls = 0
        self.search_results: dict[str, list[str]] = {}
        self.lock = threading.Lock()
        self.routes: dict[str, Handler] = {
            "youtube/v3/channels": _channels, "youtube/v3/playlistItems": _playlist_items,
            "youtube/v3/videos": _videos, "youtube/v3/search": _search,
        }
        self.thumbnails = "https://i.ytimg.test/"
        self.access_tokens: set[str] = set()

    # -- data ---------------------------------------------------------------------------------
    def add_channel(self, title: str, *, handle: str = "", videos: int = 0, views: int = 1000,
                    license: str = "youtube", age: timedelta = timedelta(hours=1)) -> FakeChannel:
        number = len(self.channels)
        channel = FakeChannel(id=f"UC{number:022d}", title=title, handle=handle or f"@ch{number}")
        self.channels[channel.id] = channel
        now = datetime.now(UTC)
        for index in range(videos):
            self.add_video(channel, f"{title} video {index}", views=views, license=license,
                           published_at=now - age - timedelta(hours=index))
        return channel

    def add_video(self, channel: FakeChannel, title: str, *, published_at: datetime | None = None,
                  **fields: Any) -> FakeVideo:
        video = FakeVideo(id=f"v{len(self.videos):010d}", channel_id=channel.id,
                          channel_title=channel.title, title=title,
                          published_at=published_at or datetime.now(UTC) - timedelta(hours=1), **fields)
        self.videos[video.id] = video
        channel.uploads.insert(0, video.id)
        return video

    # -- server -------------------------------------------------------------------------------
    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(FakeHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path.startswith("/vi/"):
                    self.send(200, PNG, "image/png")
                else:
                    bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    self.json(*fake.handle(self.path, bearer))

        return Handler

    def handle(self, raw_path: str, bearer: str = "") -> tuple[int, dict[str, Any]]:
        if self.latency:
            time.sleep(self.latency)
        parts = urlsplit(raw_path)
        path = parts.path.strip("/")
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if path == "_fake/stats":
            with self.lock:
                return 200, {"units": self.units, "search_calls": self.search_calls,
                             "calls": dict(self.calls)}
        route = self.routes.get(path)
        if route is None:
            return 404, _error(404, "notFound", f"no route {path}")
        if params.get("key") != self.key and bearer not in self.access_tokens:
            return 400, _error(400, "keyInvalid", "API key not valid. Please pass a valid API key.")
        with self.lock:
            self.calls[path.rsplit("/", 1)[-1]] += 1
            if path.endswith("search"):
                if self.quota_limit is not None and self.search_calls >= 100:
                    return 403, _error(403, "quotaExceeded", "search.list quota exceeded")
                self.search_calls += 1
            else:
                if self.quota_limit is not None and self.units >= self.quota_limit:
                    return 403, _error(403, "quotaExceeded", "The request cannot be completed because "
                                       "you have exceeded your quota.")
                self.units += 1
        return route(self, params)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message,
                      "errors": [{"reason": reason, "domain": "youtube.quota", "message": message}]}}


def _page(ids: list[str], params: dict[str, str]) -> tuple[list[str], str | None]:
    size = min(int(params.get("maxResults", 5)), PAGE_MAX)
    start = int(params.get("pageToken") or 0)
    chunk = ids[start:start + size]
    more = start + size < len(ids)
    return chunk, str(start + size) if more else None


def _listing(kind: str, items: list[dict[str, Any]], next_token: str | None, total: int) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "items": items,
                            "pageInfo": {"totalResults": total, "resultsPerPage": len(items)}}
    if next_token:
        body["nextPageToken"] = next_token
    return body


def _channels(fake: FakeYouTube, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    found: list[FakeChannel] = []
    if "id" in params:
        found = [fake.channels[c] for c in params["id"].split(",") if c in fake.channels]
    elif "forHandle" in params:
        handle = "@" + params["forHandle"].lstrip("@").lower()
        found = [c for c in fake.channels.values() if c.handle.lower() == handle]
    parts = set(params.get("part", "").split(","))
    items = []
    for channel in found:
        item: dict[str, Any] = {"kind": "youtube#channel", "id": channel.id}
        if "snippet" in parts:
            item["snippet"] = {"title": channel.title, "customUrl": channel.handle}
        if "contentDetails" in parts:
            item["contentDetails"] = {"relatedPlaylists": {"uploads": channel.uploads_playlist}}
        items.append(item)
    return 200, _listing("youtube#channelListResponse", items, None, len(items))


def _playlist_items(fake: FakeYouTube, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    playlist = params.get("playlistId", "")
    channel = fake.channels.get("UC" + playlist[2:])
    if channel is None or not playlist.startswith("UU"):
        return 404, _error(404, "playlistNotFound", "The playlist identified with the request's "
                           "playlistId parameter cannot be found.")
    chunk, token = _page(channel.uploads, params)
    items = []
    for video_id in chunk:
        video = fake.videos[video_id]
        items.append({"kind": "youtube#playlistItem", "id": f"PI{video_id}",
                      "snippet": {"title": video.title, "channelId": channel.id,
                                  "resourceId": {"kind": "youtube#video", "videoId": video_id}},
                      "contentDetails": {"videoId": video_id,
                                         "videoPublishedAt": _iso(video.published_at)}})
    return 200, _listing("youtube#playlistItemListResponse", items, token, len(channel.uploads))


def _videos(fake: FakeYouTube, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    parts = set(params.get("part", "").split(","))
    if params.get("chart") == "mostPopular":
        key = (params.get("regionCode", "US"), params.get("videoCategoryId", ""))
        ids = fake.trending.get(key, [])
        chunk, token = _page(ids, params)
        items = [fake.videos[v].resource(parts, fake.thumbnails) for v in chunk]
        return 200, _listing("youtube#videoListResponse", items, token, len(ids))
    ids = [v for v in params.get("id", "").split(",") if v]
    if len(ids) > PAGE_MAX:
        return 400, _error(400, "invalidParameter", "too many ids (at most 50)")
    items = [fake.videos[v].resource(parts, fake.thumbnails) for v in ids if v in fake.videos]
    return 200, _listing("youtube#videoListResponse", items, None, len(items))


def _search(fake: FakeYouTube, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    query = params.get("q", "").lower()
    if "channelId" in params:
        channel = fake.channels.get(params["channelId"])
        ids = list(channel.uploads) if channel else []
    else:
        ids = fake.search_results.get(query) or [
            v.id for v in fake.videos.values() if query and query in v.title.lower()]
    chunk, token = _page(ids, params)
    items = [{"kind": "youtube#searchResult", "id": {"kind": "youtube#video", "videoId": v}} for v in chunk]
    return 200, _listing("youtube#searchListResponse", items, token, len(ids))
