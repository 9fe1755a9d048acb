"""YouTube metrics for the account's own videos: Data API statistics and Analytics v2 reports.

`videos.list` takes at most 50 ids and costs one unit of the shared Data API quota, reserved
through `core.quota` before each call. The Analytics API has its own quota; its calls are
counted in the `youtube-analytics` bucket so `/quota`-style reports can show them.
Both clients are Google's own, built from the shipped discovery documents re-rooted to
configuration (`GOOGLE_API_BASE_URL`, `YOUTUBE_ANALYTICS_BASE_URL`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any

from google.auth.exceptions import RefreshError
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from core.analytics.model import RetentionPoint
from core.analytics.readings import (
    Analytics,
    DailyRow,
    PlatformRefused,
    QuotaExhausted,
    VideoCounts,
    as_count,
    batches,
)
from core.config import Settings
from core.google_api import authorized_http, discovery_document, error_reason

log = logging.getLogger(__name__)

BATCH = 50
DAILY_METRICS = "views,estimatedMinutesWatched,averageViewDuration,likes,subscribersGained"
RETENTION_METRICS = "audienceWatchRatio,relativeRetentionPerformance"
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
PROVISIONAL_DAYS = 3

Spend = Callable[[int], None]


def analytics_client(settings: Settings, access_token: str) -> Any:
    root = settings.youtube_analytics_base_url.rstrip("/") + "/"
    document = discovery_document("youtubeAnalytics", "v2", root)
    return build_from_document(document, http=authorized_http(access_token))


def data_client(settings: Settings, access_token: str) -> Any:
    root = settings.google_api_base_url.rstrip("/") + "/"
    return build_from_document(discovery_document("youtube", "v3", root), http=authorized_http(access_token))


def video_counts(
    data: Any, video_ids: Sequence[str], spend: Spend
) -> Iterator[tuple[list[str], dict[str, VideoCounts]]]:
    """Lifetime views, likes and comments, batch by batch (ids asked, counts found), so a quota
    stop keeps what was read; ids YouTube doesn't return are absent (deleted, private)."""
    for chunk in batches(video_ids, BATCH):
        spend(1)
        response = _execute(data.videos().list(part="statistics", id=",".join(chunk), maxResults=BATCH))
        found = {}
        for item in response.get("items", []):
            stats = item.get("statistics") or {}
            found[item["id"]] = VideoCounts(
                views=as_count(stats.get("viewCount")), likes=as_count(stats.get("likeCount")),
                comments=as_count(stats.get("commentCount")),
            )
        yield chunk, found


def video_analytics(reports: Any, video_id: str, start: date, end: date, spend: Spend) -> Analytics:
    """Daily metrics and the retention curve since publication; empty parts are explained in notes."""
    notes: list[str] = []
    spend(1)
    daily_table = _execute(reports.reports().query(
        ids="channel==MINE", startDate=start.isoformat(), endDate=end.isoformat(),
        metrics=DAILY_METRICS, dimensions="day", filters=f"video=={video_id}", sort="day",
    ))
    daily = tuple(DailyRow(str(r["day"]), int(r["views"]), float(r["estimatedMinutesWatched"]),
                           float(r["averageViewDuration"]), int(r["likes"]), int(r["subscribersGained"]))
                  for r in _rows(daily_table))
    if not daily:
        notes.append("YouTube Analytics has no daily data for this video yet (it lags 1–3 days).")
    elif (end - date.fromisoformat(daily[-1].day)).days < PROVISIONAL_DAYS:
        notes.append("YouTube's last 2–3 days are provisional and may still change.")
    spend(1)
    curve_table = _execute(reports.reports().query(
        ids="channel==MINE", startDate=start.isoformat(), endDate=end.isoformat(),
        metrics=RETENTION_METRICS, dimensions="elapsedVideoTimeRatio", filters=f"video=={video_id}",
        sort="elapsedVideoTimeRatio",
    ))
    retention = tuple(
        RetentionPoint(float(r["elapsedVideoTimeRatio"]), float(r["audienceWatchRatio"]),
                       None if r.get("relativeRetentionPerformance") is None
                       else float(r["relativeRetentionPerformance"]))
        for r in _rows(curve_table)
    )
    if not retention:
        notes.append("No retention curve yet: YouTube shows one once enough people have watched.")
    return Analytics(daily, retention, tuple(notes))


def _rows(table: dict[str, Any]) -> list[dict[str, Any]]:
    """A resultTable as dicts keyed by column name (columns come back in the order asked)."""
    names = [header["name"] for header in table.get("columnHeaders", [])]
    return [dict(zip(names, row, strict=False)) for row in table.get("rows") or []]


def _execute(request: Any) -> dict[str, Any]:
    try:
        return request.execute(num_retries=2)
    except RefreshError:
        raise PlatformRefused("YouTube refused the token (unauthorized)") from None
    except HttpError as exc:
        status = int(exc.resp.status)
        reason = error_reason(exc)
        if status == 401:
            raise PlatformRefused(f"YouTube refused the token ({reason or 'unauthorized'})") from None
        if status == 403 and reason in QUOTA_REASONS:
            raise QuotaExhausted(reason) from None
        raise
