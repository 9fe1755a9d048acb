"""Reading stored snapshots back: per publication, per metric, oldest first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from core import workspace_settings
from core.analytics.model import Reading
from core.models import MetricSnapshot, Publication, Workspace

METRICS = ("views", "likes", "comments", "shares")
PERIODS = {"7d": 7, "28d": 28, "90d": 90}
PUBLISHED = "published"


def live() -> ColumnElement[bool]:
    """Publications that are public on their platform under a video id (a TikTok inbox draft's
    publish id is not one), the only ones a platform reports metrics for."""
    return and_(Publication.state == PUBLISHED, Publication.remote_id.is_not(None))


class NotEnoughData(Exception):
    """There is nothing honest to show yet; the message says why and when there will be."""


@dataclass(frozen=True)
class History:
    """One publication and every reading of it (per metric, only readings that had the metric)."""

    publication: Publication
    readings: dict[str, tuple[Reading, ...]]
    last_snapshot: MetricSnapshot | None

    def metric(self, name: str) -> tuple[Reading, ...]:
        return self.readings.get(name, ())

    @property
    def label(self) -> str:
        return self.publication.title or f"publication #{self.publication.id}"


def published(session: Session, workspace_id: int) -> list[Publication]:
    return list(session.scalars(
        select(Publication).where(Publication.workspace_id == workspace_id, live()).order_by(Publication.id)
    ))


def siblings(session: Session, publication: Publication) -> list[Publication]:
    """The same approved proposal published elsewhere: one short, several platforms."""
    return list(session.scalars(
        select(Publication).where(Publication.proposal_id == publication.proposal_id, live())
        .order_by(Publication.platform)
    )) or [publication]


def histories(session: Session, publications: Sequence[Publication]) -> list[History]:
    rows = session.scalars(
        select(MetricSnapshot).where(MetricSnapshot.publication_id.in_([p.id for p in publications]))
        .order_by(MetricSnapshot.taken_at, MetricSnapshot.id)
    ).all()
    by_publication: dict[int, list[MetricSnapshot]] = defaultdict(list)
    for row in rows:
        by_publication[row.publication_id].append(row)
    out = []
    for publication in publications:
        snapshots = by_publication.get(publication.id, [])
        readings = {
            name: tuple(Reading(s.taken_at, int(getattr(s, name))) for s in snapshots
                        if getattr(s, name) is not None)
            for name in METRICS
        }
        out.append(History(publication, readings, snapshots[-1] if snapshots else None))
    return out


def last_reading(items: Sequence[History]) -> datetime | None:
    moments = [h.last_snapshot.taken_at for h in items if h.last_snapshot is not None]
    return max(moments) if moments else None


def zone(session: Session, workspace_id: int) -> ZoneInfo:
    """The workspace's time zone (setting `timezone`), UTC when unset or unknown."""
    workspace = session.get(Workspace, workspace_id)
    name = str(workspace_settings.get(workspace, "timezone")) if workspace else "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
