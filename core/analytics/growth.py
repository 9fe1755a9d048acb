"""Growth measured between two stored readings, never interpolated.

The gain over a window is the last reading at or before its end minus the last reading at
or before its start. When the first reading came later than the start, the gain counts from
that first reading and says so (`partial`); with fewer than two readings there is no gain.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.analytics.model import Reading


@dataclass(frozen=True)
class Gain:
    value: int
    since: datetime
    until: datetime
    partial: bool


def value_at(readings: Sequence[Reading], moment: datetime) -> Reading | None:
    """The last reading taken at or before `moment` (readings oldest first)."""
    index = bisect_right([r.at for r in readings], moment)
    return readings[index - 1] if index else None


def gain_between(readings: Sequence[Reading], start: datetime, end: datetime) -> Gain | None:
    """What was gained from `start` to `end`, from readings only; None when it can't be measured."""
    last = value_at(readings, end)
    if last is None:
        return None
    baseline = value_at(readings, start)
    partial = False
    if baseline is None:
        inside = [r for r in readings if start < r.at <= end]
        baseline, partial = (inside[0] if inside else None), True
    if baseline is None or baseline.at >= last.at:
        return None
    return Gain(last.value - baseline.value, baseline.at, last.at, partial)


def total_gain(gains: Sequence[Gain | None]) -> Gain | None:
    """Several shorts' gains together; None when none of them could be measured."""
    known = [g for g in gains if g is not None]
    if not known:
        return None
    return Gain(sum(g.value for g in known), min(g.since for g in known), max(g.until for g in known),
                any(g.partial for g in known))


def summed_series(per_item: Sequence[Sequence[Reading]]) -> tuple[Reading, ...]:
    """Several shorts' totals at each moment one of them was read: each contributes its last
    reading at or before that moment (a short not yet read contributes nothing)."""
    moments = sorted({r.at for readings in per_item for r in readings})
    out = []
    for moment in moments:
        known = [value_at(readings, moment) for readings in per_item]
        out.append(Reading(moment, sum(r.value for r in known if r is not None)))
    return tuple(out)
