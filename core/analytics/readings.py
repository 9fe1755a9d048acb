"""What a platform told us about one video in one collection, before it becomes a MetricSnapshot."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.analytics.model import RetentionPoint


class PlatformRefused(Exception):
    """The platform rejected the account's token (revoked, expired): the account needs reconnecting."""


class QuotaExhausted(Exception):
    """The platform said the API project is out of quota for today."""


@dataclass(frozen=True)
class VideoCounts:
    """Lifetime counters as the platform reports them right now (None: not reported)."""

    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None = None


@dataclass(frozen=True)
class DailyRow:
    """One day of YouTube Analytics for one video; the last 2–3 days are provisional."""

    day: str
    views: int
    minutes_watched: float
    avg_view_duration_s: float
    likes: int
    subscribers_gained: int


@dataclass(frozen=True)
class Analytics:
    """YouTube Analytics for one video: daily rows and the retention curve (empty: no data yet)."""

    daily: tuple[DailyRow, ...] = ()
    retention: tuple[RetentionPoint, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def totals(self) -> dict[str, Any]:
        """Sums over the daily rows; the average duration weighted by each day's views."""
        if not self.daily:
            return {}
        views = sum(row.views for row in self.daily)
        weighted = sum(row.avg_view_duration_s * row.views for row in self.daily)
        return {
            "minutes_watched": sum(row.minutes_watched for row in self.daily),
            "avg_view_duration_s": weighted / views if views else None,
            "subscribers_gained": sum(row.subscribers_gained for row in self.daily),
        }

    def as_data(self) -> dict[str, Any]:
        return {
            "daily": [[r.day, r.views, r.minutes_watched, r.avg_view_duration_s, r.likes,
                       r.subscribers_gained] for r in self.daily],
            "retention": [[p.ratio, p.watch, p.relative] for p in self.retention],
            "analytics_notes": list(self.notes),
        }


def retention_from(data: dict[str, Any]) -> tuple[RetentionPoint, ...]:
    """The retention curve stored in a snapshot's `data`, if that reading had one."""
    return tuple(RetentionPoint(float(r), float(w), None if rel is None else float(rel))
                 for r, w, rel in data.get("retention") or ())


def batches(ids: Sequence[str], size: int) -> Iterator[list[str]]:
    """Ids in API-sized groups (50 for YouTube videos.list, 20 for TikTok video/query)."""
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])


def as_count(value: object) -> int | None:
    """Platforms send counters as strings (YouTube) or numbers (TikTok); absent stays None."""
    return None if value is None else int(str(value))
