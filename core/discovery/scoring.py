"""The discovery score, 0–100, the same formula for every source (docs/discovery.md).

    velocity   v = views per hour: measured between the two latest statistics readings
                   when they are ≥ 10 minutes apart, else views / hours since publish (≥ 1 h)
    engagement e = (likes + comments) / views
    outlier    r = views / the channel's median views over its recent uploads

    V = min(1, log10(1 + v) / 5)          100,000 views/hour scores 1
    E = min(1, e / 0.10)                  10 % engagement scores 1
    O = min(1, log10(max(r, 1)))          10× the channel's median scores 1, 5× ≈ 0.7

    score = 100 × (0.5·V + 0.2·E + 0.3·O) / (weights of the parts that are known)

A part the platform doesn't give (no like count, no channel history) is left out and the
remaining weights rescaled, so scores stay comparable across sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.models import utcnow

WEIGHTS = {"velocity": 0.5, "engagement": 0.2, "outlier": 0.3}
MIN_MEASURE = timedelta(minutes=10)


@dataclass(frozen=True)
class Reading:
    taken_at: datetime
    views: int | None


@dataclass(frozen=True)
class Score:
    value: float
    velocity: float | None
    engagement: float | None
    outlier: float | None
    measured: bool


def velocity(views: int | None, published_at: datetime | None, history: list[Reading],
             now: datetime | None = None) -> tuple[float | None, bool]:
    """Views per hour, and whether it was measured from readings rather than averaged."""
    readings = sorted((r for r in history if r.views is not None), key=lambda r: r.taken_at)
    if len(readings) >= 2:
        first, last = readings[-2], readings[-1]
        span = last.taken_at - first.taken_at
        if span >= MIN_MEASURE:
            return max(0.0, (last.views - first.views) / (span.total_seconds() / 3600)), True  # type: ignore[operator]
    if views is None or published_at is None:
        return None, False
    hours = max(1.0, ((now or utcnow()) - published_at).total_seconds() / 3600)
    return views / hours, False


def score(views: int | None, likes: int | None, comments: int | None, published_at: datetime | None,
          channel_median: float | None, history: list[Reading], now: datetime | None = None) -> Score:
    v, measured = velocity(views, published_at, history, now)
    e = (likes or 0) / views + (comments or 0) / views if views and likes is not None else None
    r = views / channel_median if views is not None and channel_median else None
    parts = {
        "velocity": None if v is None else min(1.0, math.log10(1 + v) / 5),
        "engagement": None if e is None else min(1.0, e / 0.10),
        "outlier": None if r is None else min(1.0, math.log10(max(r, 1.0))),
    }
    known = {name: value for name, value in parts.items() if value is not None}
    weight = sum(WEIGHTS[name] for name in known)
    value = 100 * sum(WEIGHTS[name] * part for name, part in known.items()) / weight if weight else 0.0
    return Score(round(value, 1), v, e, r, measured)
