"""Plain data the charts take: no database rows, no clients, so charts are easy to test and reuse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

YOUTUBE = "youtube"
TIKTOK = "tiktok"


@dataclass(frozen=True)
class Reading:
    """One snapshot's value at the time it was taken."""

    at: datetime
    value: int


@dataclass(frozen=True)
class Series:
    """Readings of one metric on one platform, oldest first."""

    platform: str
    readings: tuple[Reading, ...]

    @property
    def latest(self) -> Reading | None:
        return self.readings[-1] if self.readings else None


@dataclass(frozen=True)
class ViewsData:
    """Views over time: one series per platform the short (or the workspace) is on."""

    title: str
    series: tuple[Series, ...]
    last_reading: datetime | None
    period_label: str = ""
    gain: int | None = None
    gain_label: str = ""


@dataclass(frozen=True)
class RetentionPoint:
    """`ratio` is the elapsed share of the video (0–1); `watch` the share of viewers still there
    (YouTube's audienceWatchRatio, can exceed 1 with rewatches); `relative` compares with
    YouTube videos of similar length (0.5 is typical)."""

    ratio: float
    watch: float
    relative: float | None


@dataclass(frozen=True)
class RetentionData:
    title: str
    points: tuple[RetentionPoint, ...]
    last_reading: datetime
    duration_s: float | None = None


@dataclass(frozen=True)
class Drop:
    """Where most viewers leave: the largest fall between two neighbouring points."""

    ratio: float
    points_lost: float


@dataclass(frozen=True)
class TopEntry:
    label: str
    platform: str
    value: int


@dataclass(frozen=True)
class TopData:
    title: str
    entries: tuple[TopEntry, ...]
    last_reading: datetime | None
    metric: str = "views"


@dataclass(frozen=True)
class Total:
    """A metric summed over the week, with the week before for comparison (None = not measured)."""

    name: str
    this_week: int | None
    last_week: int | None


@dataclass(frozen=True)
class DigestData:
    workspace: str
    week_label: str
    totals: tuple[Total, ...]
    by_platform: tuple[tuple[str, int | None, int | None], ...] = ()
    best: TopEntry | None = None
    worst: TopEntry | None = None
    last_reading: datetime | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
