"""API quota accounting: units spent per workspace, bucket and platform day, in the database.

Google resets YouTube quota at midnight Pacific time, so a "day" here is a Pacific date.
Each workspace has a daily budget per bucket (workspace settings `quota_budget` for the
shared Data API units, `search_budget` for `search.list` calls; other buckets take the
budget their caller passes). Units are reserved with `spend` *before* a call is made, so
a refused call costs nothing and an accepted one is always counted.

Exhaustion is different from a budget: when Google answers `quotaExceeded`, the API
project itself is out of quota for every workspace, so `mark_exhausted` blocks the whole
bucket, deployment-wide, until the Pacific reset (or the time given).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import workspace_settings
from core.models import QuotaUsage, Workspace, utcnow

PACIFIC = ZoneInfo("America/Los_Angeles")

YOUTUBE = "youtube"
YOUTUBE_SEARCH = "youtube-search"

BUDGET_SETTINGS = {YOUTUBE: "quota_budget", YOUTUBE_SEARCH: "search_budget"}


class QuotaError(Exception):
    """A call was refused before it was made; `resume_at` says when it may be tried again."""

    def __init__(self, message: str, resume_at: datetime) -> None:
        super().__init__(message)
        self.resume_at = resume_at


@dataclass(frozen=True)
class Usage:
    bucket: str
    used: int
    budget: int | None
    exhausted_until: datetime | None

    @property
    def left(self) -> int | None:
        return None if self.budget is None else max(0, self.budget - self.used)


def quota_day(now: datetime | None = None) -> date:
    """The platform's quota day (a Pacific-time date) that `now` falls in."""
    return (now or utcnow()).astimezone(PACIFIC).date()


def next_reset(now: datetime | None = None) -> datetime:
    """The next Pacific midnight, when Google resets the quota."""
    day = quota_day(now) + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=PACIFIC).astimezone(ZoneInfo("UTC"))


def describe_resume(when: datetime) -> str:
    """'at 08:00 UTC (midnight Pacific)' — for messages that say when scans resume."""
    pacific = when.astimezone(PACIFIC)
    note = " (midnight Pacific)" if pacific.time() == time(0) else ""
    return f"at {when.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M} UTC{note}"


def budget_for(session: Session, workspace_id: int | None, bucket: str) -> int | None:
    """The workspace's daily budget for a bucket (None: no per-workspace budget)."""
    name = BUDGET_SETTINGS.get(bucket)
    if name is None or workspace_id is None:
        return None
    workspace = session.get(Workspace, workspace_id)
    return int(workspace_settings.get(workspace, name)) if workspace is not None else None


def exhausted_until(session: Session, bucket: str, now: datetime | None = None) -> datetime | None:
    """When a `quotaExceeded` block on this bucket ends, if one is in force."""
    now = now or utcnow()
    until = session.scalar(
        select(func.max(QuotaUsage.exhausted_until)).where(
            QuotaUsage.bucket == bucket, QuotaUsage.exhausted_until > now
        )
    )
    return until


def usage(session: Session, workspace_id: int | None, bucket: str) -> Usage:
    row = _row(session, workspace_id, bucket, quota_day())
    return Usage(bucket, row.units if row else 0, budget_for(session, workspace_id, bucket),
                 exhausted_until(session, bucket))


def check(
    session: Session, workspace_id: int | None, bucket: str, units: int = 1, *, budget: int | None = None
) -> None:
    """Raise QuotaError if spending `units` now would pass the budget or the bucket is exhausted."""
    now = utcnow()
    blocked = exhausted_until(session, bucket, now)
    if blocked is not None:
        raise QuotaError(
            f"The {bucket} API quota is used up for today; calls resume {describe_resume(blocked)}.",
            blocked,
        )
    limit = budget if budget is not None else budget_for(session, workspace_id, bucket)
    if limit is None:
        return
    row = _row(session, workspace_id, bucket, quota_day(now))
    used = row.units if row else 0
    if used + units > limit:
        raise QuotaError(
            f"This workspace has spent {used} of its {limit} {bucket} units today and this needs "
            f"{units} more; the budget renews {describe_resume(next_reset(now))}.",
            next_reset(now),
        )


def spend(
    session: Session, workspace_id: int | None, bucket: str, units: int, *, budget: int | None = None
) -> int:
    """Check, then record `units` as spent today; returns the day's total for the workspace."""
    check(session, workspace_id, bucket, units, budget=budget)
    return record(session, workspace_id, bucket, units)


def record(session: Session, workspace_id: int | None, bucket: str, units: int) -> int:
    """Add units to today's row without any check (for calls already made)."""
    day = quota_day()
    row = _locked_row(session, workspace_id, bucket, day)
    session.execute(update(QuotaUsage).where(QuotaUsage.id == row.id)
                    .values(units=QuotaUsage.units + units))
    session.refresh(row)
    return row.units


def mark_exhausted(
    session: Session, workspace_id: int | None, bucket: str, until: datetime | None = None
) -> datetime:
    """Block the bucket for everyone until `until` (default: the next Pacific reset)."""
    until = until or next_reset()
    row = _locked_row(session, workspace_id, bucket, quota_day())
    row.exhausted_until = until
    session.flush()
    return until


def _row(session: Session, workspace_id: int | None, bucket: str, day: date) -> QuotaUsage | None:
    owner = QuotaUsage.workspace_id.is_(None) if workspace_id is None else (
        QuotaUsage.workspace_id == workspace_id)
    return session.scalar(
        select(QuotaUsage).where(owner, QuotaUsage.bucket == bucket, QuotaUsage.day == day)
        .order_by(QuotaUsage.id).limit(1)
    )


def _locked_row(session: Session, workspace_id: int | None, bucket: str, day: date) -> QuotaUsage:
    """Today's row, created if missing; a concurrent creator wins and we use its row."""
    row = _row(session, workspace_id, bucket, day)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = QuotaUsage(workspace_id=workspace_id, bucket=bucket, day=day, units=0)
            session.add(row)
    except IntegrityError:
        row = _row(session, workspace_id, bucket, day)
        assert row is not None
    return row
