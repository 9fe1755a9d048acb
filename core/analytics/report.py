"""From stored snapshots to what the chat shows: a chart and the numbers it shows, in words.

Each function raises NotEnoughData with a plain explanation when the readings can't support
the chart (no readings, a single one, no retention curve); nothing is filled in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.analytics import charts
from core.analytics.charts.retention import average_viewed, biggest_drop, position
from core.analytics.charts.style import platform_name, shorten, signed, when
from core.analytics.growth import Gain, gain_between, summed_series, total_gain
from core.analytics.history import (
    History,
    NotEnoughData,
    histories,
    last_reading,
    published,
    siblings,
    zone,
)
from core.analytics.model import Reading, RetentionData, Series, TopData, TopEntry, ViewsData
from core.analytics.readings import retention_from
from core.config import Settings
from core.messages import Attachment, Reply
from core.models import MetricSnapshot, Proposal, Publication, Render, utcnow

# Titles in list lines are cut so a ten-line reply fits a Telegram photo caption (1024 characters).
TEXT_TITLE_CHARS = 60


@dataclass(frozen=True)
class Report:
    text: str
    chart: bytes
    stem: str


def to_reply(settings: Settings, report: Report, subject: str = "") -> Reply:
    """Write the chart under MEDIA_DIR/charts and attach it; the text stands alone without it."""
    folder = settings.media_dir / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    path: Path = folder / f"{report.stem}-{uuid.uuid4().hex[:8]}.png"
    path.write_bytes(report.chart)
    return Reply(text=report.text, subject=subject,
                 attachments=[Attachment(path=str(path), kind="image", name=f"{report.stem}.png",
                                         fallback="(The chart could not be sent; its numbers are above.)")])


def period_words(days: int) -> str:
    return f"the last {days} days"


def publication_stats(
    session: Session, publication: Publication, days: int, now: datetime | None = None
) -> Report:
    """One short across the platforms it is on: views over the period and what it gained."""
    now = now or utcnow()
    tz = zone(session, publication.workspace_id)
    items = histories(session, siblings(session, publication))
    readings = [h for h in items if h.metric("views")]
    if not readings:
        raise NotEnoughData(f"No readings of “{items[0].label}” yet: metrics are collected hourly for "
                            "new shorts, daily after 48 hours. /collect reads them now.")
    start = now - timedelta(days=days)
    gain = total_gain([gain_between(h.metric("views"), start, now) for h in readings])
    data = ViewsData(
        title=items[0].label,
        series=tuple(Series(h.publication.platform, _window(h, start)) for h in readings),
        last_reading=_local(last_reading(readings), tz),
        period_label=f"Views · {period_words(days)} · " + " and ".join(
            platform_name(h.publication.platform) for h in readings),
        gain=gain.value if gain else None,
        gain_label=_gain_label(gain, days, tz),
    )
    return Report(_stats_text(items[0].label, readings, gain, days, tz), charts.views_chart(data),
                  f"stats-{publication.id}")


def workspace_stats(session: Session, workspace_id: int, days: int, now: datetime | None = None) -> Report:
    """Every published short together, one line per platform."""
    now = now or utcnow()
    tz = zone(session, workspace_id)
    items = [h for h in histories(session, published(session, workspace_id)) if h.metric("views")]
    if not items:
        raise NotEnoughData("No readings yet: once a short is published and its account connected, "
                            "metrics are collected hourly at first. /collect reads them now.")
    start = now - timedelta(days=days)
    platforms = sorted({h.publication.platform for h in items})
    series = []
    for platform in platforms:
        mine = [h for h in items if h.publication.platform == platform]
        total = summed_series([_window(h, start) for h in mine])
        series.append(Series(platform, total))
    gains = [gain_between(h.metric("views"), start, now) for h in items]
    gain = total_gain(gains)
    data = ViewsData(title="All shorts", series=tuple(series), last_reading=_local(last_reading(items), tz),
                     period_label=f"Views · {period_words(days)} · {len(items)} short(s)",
                     gain=gain.value if gain else None, gain_label=_gain_label(gain, days, tz))
    ranked = sorted(((g.value, h) for g, h in zip(gains, items, strict=True) if g), key=lambda x: -x[0])
    lines = [_stats_text("All shorts", items, gain, days, tz)]
    if ranked:
        lines.append("Best: " + "; ".join(f"{h.label} ({signed(v)})" for v, h in ranked[:3]))
    return Report("\n".join(lines), charts.views_chart(data), "stats-all")


def top(session: Session, workspace_id: int, count: int, days: int, now: datetime | None = None) -> Report:
    """The shorts that gained the most views in the period (measured ones only)."""
    now = now or utcnow()
    tz = zone(session, workspace_id)
    items = histories(session, published(session, workspace_id))
    start = now - timedelta(days=days)
    measured = [(g, h) for h in items if (g := gain_between(h.metric("views"), start, now)) is not None]
    if not measured:
        raise NotEnoughData(f"No short has two readings in {period_words(days)} yet, so there is no "
                            "growth to rank. Readings are taken hourly for new shorts.")
    measured.sort(key=lambda pair: -pair[0].value)
    chosen = measured[:count]
    entries = tuple(TopEntry(h.label, h.publication.platform, g.value) for g, h in chosen)
    title = f"Top {len(entries)} short{'s' if len(entries) != 1 else ''} · {period_words(days)}"
    chart = charts.top_chart(TopData(title, entries, _local(last_reading(items), tz)))
    lines = [f"{title} (views gained):"]
    lines += [f"{n}. {shorten(e.label, TEXT_TITLE_CHARS)} — {signed(e.value)} on {platform_name(e.platform)}"
              for n, e in enumerate(entries, 1)]
    unmeasured = len(items) - len(measured)
    if unmeasured:
        lines.append(f"{unmeasured} other short(s) don't have two readings in this period yet.")
    return Report("\n".join(lines), chart, "top")


def retention(session: Session, publication: Publication) -> Report:
    """The latest retention curve YouTube gave for this short."""
    if publication.platform != "youtube":
        raise NotEnoughData(f"Retention curves come from YouTube Analytics; “{publication.title}” is on "
                            f"{platform_name(publication.platform)}, which doesn't share one.")
    snapshot = _latest_with_retention(session, publication)
    if snapshot is None:
        raise NotEnoughData(
            f"No retention curve for “{publication.title}” yet. YouTube only reports one once enough "
            "people have watched, and its analytics lag a day or two. I'll keep asking at each reading.")
    points = retention_from(snapshot.data)
    tz = zone(session, publication.workspace_id)
    data = RetentionData(publication.title or f"publication #{publication.id}", points,
                         _local(snapshot.taken_at, tz), _duration(session, publication))
    drop = biggest_drop(points)
    text = f"Retention of “{data.title}”: viewers watch {average_viewed(points):.0f}% of it on average."
    if drop:
        text += (f" Most viewers leave at {position(drop.ratio, data.duration_s)}: "
                 f"−{drop.points_lost:.0f} points.")
    text += f" Curve from the reading of {when(data.last_reading)}."
    return Report(text, charts.retention_chart(data), f"retention-{publication.id}")


def _duration(session: Session, publication: Publication) -> float | None:
    """The short's length, so retention reads in seconds: recorded on the publication, else the render's."""
    recorded = (publication.data or {}).get("duration_s")
    if recorded:
        return float(recorded)
    render_duration = session.scalar(
        select(Render.duration_s).join(Proposal, Proposal.render_id == Render.id)
        .where(Proposal.id == publication.proposal_id)
    )
    return float(render_duration) if render_duration else None


def _latest_with_retention(session: Session, publication: Publication) -> MetricSnapshot | None:
    candidates = session.scalars(
        select(MetricSnapshot).where(MetricSnapshot.publication_id == publication.id)
        .order_by(MetricSnapshot.taken_at.desc()).limit(200)
    )
    return next((s for s in candidates if (s.data or {}).get("retention")), None)


def _window(history: History, start: datetime) -> tuple[Reading, ...]:
    """Readings in the period, starting with the last one before it so the line spans the period."""
    views = history.metric("views")
    before = [r for r in views if r.at <= start][-1:]
    return tuple(before + [r for r in views if r.at > start])


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    return moment.astimezone(tz) if moment else None


def _gain_label(gain: Gain | None, days: int, tz: ZoneInfo) -> str:
    if gain is None:
        return ""
    if gain.partial:
        return f"since {gain.since.astimezone(tz):%d %b %H:%M}"
    return f"in {period_words(days)}"


def _stats_text(label: str, items: list[History], gain: Gain | None, days: int, tz: ZoneInfo) -> str:
    latest: dict[str, int] = {}
    for h in items:
        if h.metric("views"):
            platform = h.publication.platform
            latest[platform] = latest.get(platform, 0) + h.metric("views")[-1].value
    per_platform = " · ".join(f"{platform_name(p)} {v:,}" for p, v in sorted(latest.items()))
    total = sum(latest.values())
    lines = [f"{label}: {total:,} views ({per_platform})."]
    if gain is None:
        lines.append("Only one reading so far, so no growth yet: it shows after the next reading.")
    else:
        since = f"{gain.since.astimezone(tz):%d %b %H:%M}"
        until = f"{gain.until.astimezone(tz):%d %b %H:%M}"
        scope = f"since the first reading on {since}" if gain.partial else f"in {period_words(days)}"
        lines.append(f"{signed(gain.value)} views {scope} (readings {since} → {until}).")
    extras = []
    for name in ("likes", "comments", "shares"):
        values = [h.metric(name)[-1].value for h in items if h.metric(name)]
        if values:
            extras.append(f"{name} {sum(values):,}")
    if extras:
        lines.append(", ".join(extras).capitalize() + ".")
    lines.append(f"Last reading {when(_local(last_reading(items), tz))}.")
    return "\n".join(lines)
