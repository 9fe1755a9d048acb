"""One collection for one connected account: ask the platform, store one snapshot per short.

A collection is idempotent per `slot` (the job that runs it): snapshots already stored for
that slot are not taken again when a job runs a second time after a worker died. Token
problems go through `core.publish.tokens`, which marks the account unhealthy and tells the
person who connected it; quota is reserved through `core.quota` before each YouTube call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from googleapiclient.errors import HttpError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import quota
from core.analytics import tiktok, youtube
from core.analytics.history import live
from core.analytics.model import TIKTOK, YOUTUBE
from core.analytics.readings import Analytics, PlatformRefused, QuotaExhausted, VideoCounts
from core.google_api import error_message
from core.jobs import JobFailed
from core.models import Account, MetricSnapshot, Publication, utcnow
from core.publish import tokens
from core.services import Services

log = logging.getLogger(__name__)

ANALYTICS_BUCKET = "youtube-analytics"

Progress = Callable[[float, str], None]


def _quiet(percent: float, text: str) -> None:
    """No progress reporting (direct calls and tests)."""


@dataclass(frozen=True)
class Target:
    publication_id: int
    remote_id: str
    title: str
    published_at: datetime | None
    wants_analytics: bool


@dataclass
class Outcome:
    """What a collection did, in words a person can read in the chat."""

    platform: str
    account: str
    recorded: int = 0
    unread: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        name = {YOUTUBE: "YouTube", TIKTOK: "TikTok"}.get(self.platform, self.platform)
        lines = [f"Collected {name} metrics for {self.recorded} short(s) on {self.account}."]
        if self.unread:
            lines.append(f"{len(self.unread)} short(s) were not read this time; the next reading "
                         "will include them.")
        if self.missing:
            lines.append(f"{name} did not return {len(self.missing)} (deleted or made private?): "
                         + ", ".join(self.missing[:5]))
        lines.extend(dict.fromkeys(self.notes))
        return "\n".join(lines)


def collect_account(
    services: Services, account_id: int, slot: str, now: datetime | None = None, progress: Progress = _quiet
) -> Outcome:
    """Take this slot's snapshots for every published short of the account."""
    now = now or utcnow()
    with services.db.session() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise JobFailed(f"account #{account_id} is no longer connected")
        outcome = Outcome(account.platform, tokens.describe(account))
        targets = due_targets(session, services, account, slot, now)
        workspace_id, platform = account.workspace_id, account.platform
    if not targets:
        outcome.notes.append("Nothing to read: no published shorts are waiting for a reading.")
        return outcome
    try:
        token = tokens.access_token(services, account_id)
    except tokens.TokenError as exc:
        hint = "" if "/connect" in str(exc) else f"; reconnect the account with /connect {platform}"
        raise JobFailed(f"{exc}{hint}") from None
    try:
        if platform == YOUTUBE:
            counts, analytics = _youtube(services, workspace_id, token, targets, now, outcome, progress)
        elif platform == TIKTOK:
            ids = [t.remote_id for t in targets]
            counts, analytics = tiktok.video_counts(services.settings, token, ids), {}
        else:
            raise JobFailed(f"there is no metrics collector for {platform}")
    except PlatformRefused as exc:
        tokens.mark_unhealthy(services, account_id, str(exc))
        raise JobFailed(f"{exc}: reconnect the account with /connect {platform}") from None
    _store(services, targets, counts, analytics, slot, now, outcome)
    return outcome


def due_targets(
    session: Session, services: Services, account: Account, slot: str, now: datetime
) -> list[Target]:
    """The account's published shorts not yet read in this slot; analytics only where due."""
    settings = services.settings
    publications = session.scalars(
        select(Publication).where(Publication.account_id == account.id, live()).order_by(Publication.id)
    ).all()
    if not publications:
        return []
    window = now - timedelta(hours=max(24, settings.analytics_daily_every_hours))
    recent = session.execute(
        select(MetricSnapshot.publication_id, MetricSnapshot.taken_at, MetricSnapshot.data).where(
            MetricSnapshot.publication_id.in_([p.id for p in publications]),
            MetricSnapshot.taken_at >= window,
        )
    ).all()
    done = {pub_id for pub_id, _, data in recent if (data or {}).get("slot") == slot}
    analytics_due_after = now - timedelta(hours=settings.analytics_daily_every_hours)
    analysed = {pub_id for pub_id, taken_at, data in recent
                if (data or {}).get("analytics") and taken_at > analytics_due_after}
    young = now - timedelta(hours=settings.analytics_recent_hours)
    return [
        Target(p.id, str(p.remote_id), p.title, p.published_at,
               wants_analytics=p.id not in analysed or bool(p.published_at and p.published_at > young))
        for p in publications if p.id not in done
    ]


def _youtube(
    services: Services, workspace_id: int, token: str, targets: list[Target], now: datetime, outcome: Outcome,
    progress: Progress,
) -> tuple[dict[str, VideoCounts], dict[str, Analytics]]:
    settings = services.settings

    def spend(bucket: str) -> youtube.Spend:
        def reserve(units: int) -> None:
            with services.db.session() as session:
                quota.spend(session, workspace_id, bucket, units)
        return reserve

    counts: dict[str, VideoCounts] = {}
    asked: set[str] = set()
    try:
        for chunk, found in youtube.video_counts(youtube.data_client(settings, token),
                                                 [t.remote_id for t in targets], spend(quota.YOUTUBE)):
            asked.update(chunk)
            counts.update(found)
    except (quota.QuotaError, QuotaExhausted) as exc:
        _quota_note(services, workspace_id, quota.YOUTUBE, exc, outcome)
        outcome.unread = [t.remote_id for t in targets if t.remote_id not in asked]
    analytics: dict[str, Analytics] = {}
    reports = youtube.analytics_client(settings, token)
    wanted = [t for t in targets if t.wants_analytics and t.remote_id in counts]
    for done, target in enumerate(wanted):
        progress(10 + 85 * done / len(wanted), f"YouTube Analytics {done + 1}/{len(wanted)}")
        start = (target.published_at or now).date()
        try:
            analytics[target.remote_id] = youtube.video_analytics(
                reports, target.remote_id, start, now.date(), spend(ANALYTICS_BUCKET))
        except (quota.QuotaError, QuotaExhausted) as exc:
            _quota_note(services, workspace_id, ANALYTICS_BUCKET, exc, outcome)
            break
        except HttpError as exc:
            log.warning("YouTube Analytics refused video %s: %s", target.remote_id, error_message(exc))
            outcome.notes.append(f"YouTube Analytics refused a report: {error_message(exc)}")
    return counts, analytics


def _quota_note(services: Services, workspace_id: int, bucket: str, exc: Exception, outcome: Outcome) -> None:
    if isinstance(exc, QuotaExhausted):
        with services.db.session() as session:
            until = quota.mark_exhausted(session, workspace_id, bucket)
        outcome.notes.append(f"YouTube's {bucket} quota is used up; readings resume "
                             f"{quota.describe_resume(until)}.")
    else:
        outcome.notes.append(str(exc))


def _store(
    services: Services,
    targets: list[Target],
    counts: dict[str, VideoCounts],
    analytics: dict[str, Analytics],
    slot: str,
    now: datetime,
    outcome: Outcome,
) -> None:
    with services.db.session() as session:
        for target in targets:
            reading = counts.get(target.remote_id)
            if reading is None and target.remote_id in outcome.unread:
                continue
            if reading is None:
                outcome.missing.append(target.title or target.remote_id)
                continue
            extra = analytics.get(target.remote_id)
            totals = extra.totals() if extra else {}
            session.add(MetricSnapshot(
                publication_id=target.publication_id, taken_at=now, views=reading.views,
                likes=reading.likes, comments=reading.comments, shares=reading.shares,
                minutes_watched=totals.get("minutes_watched"),
                avg_view_duration_s=totals.get("avg_view_duration_s"),
                subscribers_gained=totals.get("subscribers_gained"),
                data={"slot": slot, "analytics": extra is not None, **(extra.as_data() if extra else {})},
            ))
            outcome.recorded += 1
            if extra:
                outcome.notes.extend(extra.notes)
