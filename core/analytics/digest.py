"""The weekly digest: the week's gains against the week before, per metric and platform,
the best and the slowest short; and when each chat's digest is due."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.analytics import charts
from core.analytics.charts.style import change_text, platform_name, signed
from core.analytics.growth import gain_between, total_gain
from core.analytics.history import METRICS, History, NotEnoughData, histories, last_reading, published, zone
from core.analytics.model import DigestData, TopEntry, Total
from core.analytics.report import Report
from core.models import Workspace

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEK = timedelta(days=7)


def parse_weekday(text: str) -> int:
    """'mon', 'Monday' or 0–6 (Monday is 0)."""
    lowered = text.strip().lower()
    if lowered.isdigit() and int(lowered) < 7:
        return int(lowered)
    for index, name in enumerate(WEEKDAYS):
        if len(lowered) >= 3 and name.startswith(lowered):
            return index
    raise ValueError(f"{text!r} is not a weekday: use mon, tue, … sun")


def last_occurrence(weekday: int, hour: int, tz: ZoneInfo, now: datetime) -> datetime:
    """The latest `weekday` at `hour`:00 in `tz` that is not after `now`."""
    local = now.astimezone(tz)
    candidate = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    candidate -= timedelta(days=(candidate.weekday() - weekday) % 7)
    if candidate > local:
        candidate -= WEEK
    return candidate


def week_label(start: datetime, end: datetime) -> str:
    last = end - timedelta(seconds=1)
    if start.month == last.month:
        return f"{start:%d}–{last:%d %b %Y}"
    return f"{start:%d %b} – {last:%d %b %Y}"


def weekly(session: Session, workspace_id: int, end: datetime) -> Report:
    """The digest of the seven days before `end`."""
    tz = zone(session, workspace_id)
    items = histories(session, published(session, workspace_id))
    if not any(h.metric("views") for h in items):
        raise NotEnoughData("No readings yet, so there is no digest to make. It will come once "
                            "published shorts have been read for a while.")
    start, before = end - WEEK, end - 2 * WEEK
    totals = tuple(Total(name.capitalize(), _sum(items, name, start, end), _sum(items, name, before, start))
                   for name in METRICS)
    platforms = sorted({h.publication.platform for h in items})
    by_platform = tuple(
        (p, _sum([h for h in items if h.publication.platform == p], "views", start, end),
         _sum([h for h in items if h.publication.platform == p], "views", before, start))
        for p in platforms
    )
    ranked = sorted(((g.value, h) for h in items if (g := gain_between(h.metric("views"), start, end))),
                    key=lambda pair: pair[0])
    best = _entry(ranked[-1]) if ranked else None
    worst = _entry(ranked[0]) if len(ranked) > 1 else None
    notes = ("YouTube's last 2–3 days are provisional and may still rise.",) if "youtube" in platforms else ()
    workspace = session.get(Workspace, workspace_id)
    label = week_label(start.astimezone(tz), end.astimezone(tz))
    moment = last_reading(items)
    data = DigestData(workspace.name if workspace and workspace.name else "This workspace", label, totals,
                      by_platform, best, worst, moment.astimezone(tz) if moment else None, notes)
    return Report(_text(data), charts.digest_chart(data), "digest")


def _sum(items: list[History], metric: str, start: datetime, end: datetime) -> int | None:
    gain = total_gain([gain_between(h.metric(metric), start, end) for h in items])
    return gain.value if gain else None


def _entry(pair: tuple[int, History]) -> TopEntry:
    value, history = pair
    return TopEntry(history.label, history.publication.platform, value)


def _text(data: DigestData) -> str:
    lines = [f"Weekly digest · {data.workspace} · {data.week_label}"]
    for total in data.totals:
        if total.this_week is None:
            continue
        change, _ = change_text(total.this_week, total.last_week)
        lines.append(f"{total.name}: {signed(total.this_week)} ({change})")
    if len(lines) == 1:
        lines.append("No short had two readings this week, so no gains can be measured yet.")
    for platform, this_week, _ in data.by_platform:
        if this_week is not None:
            lines.append(f"{platform_name(platform)}: {signed(this_week)} views")
    if data.best:
        lines.append(f"Best: {data.best.label} ({signed(data.best.value)} views)")
    if data.worst:
        lines.append(f"Slowest: {data.worst.label} ({signed(data.worst.value)} views)")
    return "\n".join(lines)
