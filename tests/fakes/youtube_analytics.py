"""The shared fake YouTube extended with what analytics reads: `videos.list` statistics of the
creator's own shorts and YouTube Analytics v2 `reports.query`, for OAuth bearer tokens.

It builds on tests/fakes/youtube_upload.py (itself on youtube_api.py), so tokens come from
tests/fakes/google_oauth.py and a revoked grant is refused the same way everywhere. It
enforces what the collector must respect: at most 50 ids per `videos.list` (one quota unit
each, 403 `quotaExceeded` past `quota_limit`), the parameters `reports.query` requires, a
reporting lag (no daily rows for the last `lag_days` days), and no retention curve below
`retention_threshold` views — the "not enough data" cases the real API has.

    with FakeGoogleOAuth() as oauth, FakeYouTubeAnalytics(oauth) as fake:
        fake.add_short("abc", views=1200, published=date(2026, 11, 1))
        tokens = fake.grant()            # a token dict for the account
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.youtube_api import _error
from tests.fakes.youtube_upload import FakeYouTubeUploads

MAX_IDS = 50


@dataclass
class OwnedShort:
    id: str
    views: int
    likes: int
    comments: int
    published: date


def retention_curve(video_id: str) -> list[list[float]]:
    """A realistic short's curve: a steady decline with a cliff at 62 %, 100 points."""
    rows = []
    for index in range(1, 101):
        ratio = index / 100
        watch = 0.92 * math.exp(-0.9 * ratio) + 0.08
        if ratio >= 0.62:
            watch -= 0.14
        relative = 0.5 + 0.3 * math.sin(ratio * 5 + len(video_id))
        rows.append([ratio, round(watch, 4), round(relative, 4)])
    return rows


class FakeYouTubeAnalytics(FakeYouTubeUploads):
    def __init__(self, oauth: FakeGoogleOAuth, *, retention_threshold: int = 100, lag_days: int = 1,
                 **kw: Any) -> None:
        super().__init__(oauth, **kw)
        self.retention_threshold = retention_threshold
        self.lag_days = lag_days
        self.shorts: dict[str, OwnedShort] = {}
        self.id_batches: list[int] = []

    def add_short(self, video_id: str, *, views: int, likes: int = 0, comments: int = 0,
                  published: date | None = None) -> OwnedShort:
        short = OwnedShort(video_id, views, likes, comments, published or datetime.now(UTC).date())
        self.shorts[video_id] = short
        return short

    def grant(self) -> dict[str, Any]:
        """Tokens as if the channel owner had connected through the consent page."""
        return self.oauth.grant_for(self.oauth.consent_as)

    def authorized_get(self, user: str, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path.endswith("youtube/v3/videos") and params.get("part") == "statistics":
            with self.lock:
                self.calls["videos"] += 1
                if self.quota_limit is not None and self.units >= self.quota_limit:
                    return 403, _error(403, "quotaExceeded", "The request cannot be completed because "
                                       "you have exceeded your quota.")
                self.units += 1
            return self._statistics(params)
        if path.endswith("v2/reports"):
            with self.lock:
                self.calls["reports"] += 1
            return self._reports(params)
        return super().authorized_get(user, path, params)

    def _statistics(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        ids = [v for v in params.get("id", "").split(",") if v]
        if len(ids) > MAX_IDS:
            return 400, _error(400, "invalidParameter", "too many ids (at most 50)")
        self.id_batches.append(len(ids))
        items = [{"kind": "youtube#video", "id": s.id,
                  "statistics": {"viewCount": str(s.views), "likeCount": str(s.likes),
                                 "favoriteCount": "0", "commentCount": str(s.comments)}}
                 for s in (self.shorts.get(i) for i in ids) if s is not None]
        return 200, {"kind": "youtube#videoListResponse", "items": items,
                     "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}}

    def _reports(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        for required in ("ids", "startDate", "endDate", "metrics"):
            if not params.get(required):
                return 400, _error(400, "required", f"Required parameter: {required}")
        short = self.shorts.get(params.get("filters", "").removeprefix("video=="))
        metrics = params["metrics"].split(",")
        dimension = params.get("dimensions", "")
        if dimension == "day":
            rows = self._daily(short, date.fromisoformat(params["startDate"]),
                               date.fromisoformat(params["endDate"])) if short else []
        elif dimension == "elapsedVideoTimeRatio":
            if metrics != ["audienceWatchRatio", "relativeRetentionPerformance"] or not short:
                return 400, _error(400, "badRequest", "The query is not supported.")
            rows = retention_curve(short.id) if short.views >= self.retention_threshold else []
        else:
            return 400, _error(400, "badRequest", "The query is not supported.")
        headers = [{"name": dimension, "columnType": "DIMENSION", "dataType": "STRING"}] + [
            {"name": m, "columnType": "METRIC", "dataType": "FLOAT"} for m in metrics]
        return 200, {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers, "rows": rows}

    def _daily(self, short: OwnedShort, start: date, end: date) -> list[list[Any]]:
        last = min(end, datetime.now(UTC).date() - timedelta(days=self.lag_days))
        first = max(start, short.published)
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        if not days:
            return []
        share = short.views // len(days)
        return [[day.isoformat(), share, round(share * 0.45, 1), 27.0, short.likes // len(days), 1]
                for day in days]
