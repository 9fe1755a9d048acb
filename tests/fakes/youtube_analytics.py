"""A fake YouTube Data API (`videos.list` statistics) and YouTube Analytics v2 (`reports.query`)
on 127.0.0.1, for the real google-api-python-client acting with an OAuth bearer token.

It enforces what the collector must respect: bearer tokens (401 otherwise), at most 50 ids per
`videos.list` (one quota unit each, 403 `quotaExceeded` past `quota_limit`), the parameters
`reports.query` requires, a reporting lag (no daily rows for the last `lag_days` days), and
no retention curve below `retention_threshold` views — the same "not enough data" cases the
real API has.

    with FakeYouTubeAnalytics() as fake:
        fake.add_video("abc", views=1200, published=date(2026, 11, 1))
        settings = make_settings(tmp_path, google_api_base_url=fake.url,
                                 youtube_analytics_base_url=fake.url)
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_IDS = 50


@dataclass
class OwnedVideo:
    id: str
    views: int
    likes: int
    comments: int
    published: date
    duration_s: float = 40.0


def retention_curve(video_id: str) -> list[list[float]]:
    """A realistic short's curve: a hook drop, a slow decline, a cliff at 62 %, 100 points."""
    rows = []
    for index in range(1, 101):
        ratio = index / 100
        watch = 0.92 * math.exp(-0.9 * ratio) + 0.08
        if ratio >= 0.62:
            watch -= 0.14
        relative = 0.5 + 0.3 * math.sin(ratio * 5 + len(video_id))
        rows.append([ratio, round(watch, 4), round(relative, 4)])
    return rows


class FakeYouTubeAnalytics:
    def __init__(self, *, tokens: tuple[str, ...] = ("yt-access",), quota_limit: int | None = None,
                 retention_threshold: int = 100, lag_days: int = 1) -> None:
        self.tokens = set(tokens)
        self.quota_limit = quota_limit
        self.retention_threshold = retention_threshold
        self.lag_days = lag_days
        self.videos: dict[str, OwnedVideo] = {}
        self.calls: Counter[str] = Counter()
        self.units = 0
        self.id_batches: list[int] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def add_video(self, video_id: str, *, views: int, likes: int = 0, comments: int = 0,
                  published: date | None = None) -> OwnedVideo:
        video = OwnedVideo(video_id, views, likes, comments, published or datetime.now(UTC).date())
        self.videos[video_id] = video
        return video

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def __enter__(self) -> FakeYouTubeAnalytics:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                status, body = fake.handle(self.path, self.headers.get("Authorization", ""))
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def handle(self, raw_path: str, authorization: str) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(raw_path)
        path = parts.path.strip("/")
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if authorization.removeprefix("Bearer ") not in self.tokens:
            return 401, _error(401, "authError", "Request had invalid authentication credentials.")
        with self.lock:
            self.calls[path] += 1
            if path == "youtube/v3/videos":
                if self.quota_limit is not None and self.units >= self.quota_limit:
                    return 403, _error(403, "quotaExceeded", "The request cannot be completed because "
                                       "you have exceeded your quota.")
                self.units += 1
        if path == "youtube/v3/videos":
            return self._videos(params)
        if path == "v2/reports":
            return self._reports(params)
        return 404, _error(404, "notFound", f"no route {path}")

    def _videos(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        ids = [v for v in params.get("id", "").split(",") if v]
        if len(ids) > MAX_IDS:
            return 400, _error(400, "invalidParameter", "too many ids (at most 50)")
        self.id_batches.append(len(ids))
        items = [{"kind": "youtube#video", "id": v.id,
                  "statistics": {"viewCount": str(v.views), "likeCount": str(v.likes),
                                 "favoriteCount": "0", "commentCount": str(v.comments)}}
                 for v in (self.videos.get(i) for i in ids) if v is not None]
        return 200, {"kind": "youtube#videoListResponse", "items": items,
                     "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}}

    def _reports(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        for required in ("ids", "startDate", "endDate", "metrics"):
            if not params.get(required):
                return 400, _error(400, "required", f"Required parameter: {required}")
        video = self.videos.get(params.get("filters", "").removeprefix("video=="))
        metrics = params["metrics"].split(",")
        dimension = params.get("dimensions", "")
        if dimension == "day":
            rows = self._daily(video, date.fromisoformat(params["startDate"]),
                               date.fromisoformat(params["endDate"])) if video else []
        elif dimension == "elapsedVideoTimeRatio":
            if metrics != ["audienceWatchRatio", "relativeRetentionPerformance"] or not video:
                return 400, _error(400, "badRequest", "The query is not supported.")
            rows = retention_curve(video.id) if video.views >= self.retention_threshold else []
        else:
            return 400, _error(400, "badRequest", "The query is not supported.")
        headers = [{"name": dimension, "columnType": "DIMENSION", "dataType": "STRING"}] + [
            {"name": m, "columnType": "METRIC", "dataType": "FLOAT"} for m in metrics]
        return 200, {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers, "rows": rows}

    def _daily(self, video: OwnedVideo, start: date, end: date) -> list[list[Any]]:
        last = min(end, datetime.now(UTC).date() - timedelta(days=self.lag_days))
        first = max(start, video.published)
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        if not days:
            return []
        share = video.views // len(days)
        return [[day.isoformat(), share, round(share * 0.45, 1), 27.0, video.likes // len(days), 1]
                for day in days]


def _error(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message,
                      "errors": [{"reason": reason, "domain": "youtube", "message": message}]}}
