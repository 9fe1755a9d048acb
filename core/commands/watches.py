"""Watches: channels, charts, searches and pages the bot scans on a schedule, and /scan now."""

from __future__ import annotations

import re

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, jobs
from core.commands.jobs import origin
from core.commands.registry import CommandError, Invocation, UsageError, arg, command, flag, option
from core.discovery import schedule
from core.discovery.model import parse_source
from core.messages import Choice, Reply, format_duration
from core.models import Role, Watch
from core.services import Services

ACTIONS = ("add", "list", "remove", "pause", "resume")
MIN_EVERY_SECONDS = 15 * 60
_EVERY = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhd])$")
UNITS = {"m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> int:
    match = _EVERY.match(text.strip().lower())
    if not match:
        raise CommandError(f"every= takes a number and m, h or d (every=30m, every=6h), not {text!r}.")
    seconds = int(float(match.group(1)) * UNITS[match.group(2)])
    if seconds < MIN_EVERY_SECONDS:
        raise CommandError("Scans can run at most every 15 minutes (every=15m).")
    return seconds


def check_cron(text: str) -> str:
    try:
        CronTrigger.from_crontab(text)
    except ValueError as exc:
        raise CommandError('cron= takes five fields like "0 9 * * *" (minute hour day month '
                           f"weekday): {exc}.") from None
    return text.strip()


def own_watch(session: Session, inv: Invocation, watch_id: int | None) -> Watch:
    if watch_id is None:
        raise UsageError("Which watch? /watch list shows their numbers.")
    watch = session.get(Watch, watch_id)
    if watch is None or watch.workspace_id != inv.workspace_id:
        raise CommandError(f"There is no watch #{watch_id} here. /watch list shows them.")
    return watch


def schedule_text(watch: Watch) -> str:
    if watch.cron:
        return f'cron "{watch.cron}"'
    return f"every {format_duration(watch.every_seconds or schedule.DEFAULT_EVERY_SECONDS)}"


@command(
    "watch",
    arg("action", "what to do", choices=ACTIONS),
    arg("target", "add: a channel (UC…, @handle, URL), trending:US, search:QUERY or a page URL; "
        "else: watch number", required=False, lookup="watch"),
    option("every", "how often to scan: 30m, 6h, 1d (default 6h)"),
    option("cron", 'when to scan, as cron: "0 9 * * *" (in the workspace timezone)'),
    option("min-score", "only post finds scoring at least this (0–100)", type=float),
    flag("cc-only", "only post videos you may render (Creative Commons or your own)"),
    role=Role.editor,
)
def watch(inv: Invocation, svc: Services) -> Reply:
    """Watch a channel, chart, search or page and post what takes off: /watch add @handle every=6h.

    Sources: a YouTube channel (UC… id, @handle or its URL), trending:US or trending:US:20,
    search:"a query" (spends a daily search call per scan), or the URL of a TikTok user or
    hashtag, a feed or any page yt-dlp reads. Each scan posts up to 5 new finds scoring at
    least min-score here. /watch list, /watch pause 3, /watch resume 3, /watch remove 3.
    """
    action = inv["action"]
    if action == "list":
        return list_watches(inv, svc)
    if action == "add":
        return add_watch(inv, svc)
    target = inv["target"]
    if target is None or not str(target).lstrip("#").isdigit():
        raise UsageError(f"/watch {action} takes a watch number: /watch {action} 3.")
    watch_id = int(str(target).lstrip("#"))
    with svc.db.session() as session:
        found = own_watch(session, inv, watch_id)
        if action == "remove":
            session.delete(found)
            text = f"Watch #{watch_id} is removed; its finds stay as candidates."
        else:
            found.paused = action == "pause"
            state = "paused" if found.paused else f"scanning again, {schedule_text(found)}"
            text = f"Watch #{watch_id} is {state}."
        audit.record(session, f"watch.{action}", workspace_id=inv.workspace_id, member_id=inv.member_id,
                     subject=f"watch:{watch_id}")
    schedule.schedule_watch(svc, watch_id)
    return Reply(text=text)


def add_watch(inv: Invocation, svc: Services) -> Reply:
    if not inv["target"]:
        raise UsageError("What should I watch? /watch add @handle, /watch add trending:US, "
                         '/watch add search:"cooking hacks" or /watch add https://www.tiktok.com/@user')
    spec = parse_source(inv["target"])
    if inv["every"] and inv["cron"]:
        raise CommandError("Give every= or cron=, not both.")
    every = parse_every(inv["every"]) if inv["every"] else None
    cron = check_cron(inv["cron"]) if inv["cron"] else None
    with svc.db.session() as session:
        row = Watch(workspace_id=inv.workspace_id, created_by=inv.member_id, source_kind=spec.kind,
                    source_ref=spec.ref, every_seconds=every if not cron else None, cron=cron,
                    min_score=float(inv["min-score"] or 0.0), cc_only=bool(inv["cc-only"]),
                    reply_front=inv.front, reply_chat=inv.chat_ref, options={})
        session.add(row)
        session.flush()
        audit.record(session, "watch.add", workspace_id=inv.workspace_id, member_id=inv.member_id,
                     subject=f"watch:{row.id}", source=spec.label())
        filters = f", score ≥ {row.min_score:g}" if row.min_score else ""
        filters += ", cc-only" if row.cc_only else ""
        text = f"Watch #{row.id}: {spec.label()}, {schedule_text(row)}{filters}. New finds are posted here."
        cost = " A search watch spends one of the workspace's daily search calls per scan." \
            if spec.kind == "youtube-search" else ""
    schedule.schedule_watch(svc, row.id)
    return Reply(text=text + cost, choices=[Choice(label="Scan now", command=f"/scan {row.id}")])


def list_watches(inv: Invocation, svc: Services) -> Reply:
    with svc.db.session() as session:
        rows = list(session.scalars(select(Watch).where(Watch.workspace_id == inv.workspace_id)
                                    .order_by(Watch.id)))
        lines = []
        for row in rows:
            state = "paused" if row.paused else schedule_text(row)
            last = f"last scan {row.last_run_at:%Y-%m-%d %H:%M} UTC" if row.last_run_at else "not scanned yet"
            problem = (row.options or {}).get("last_error")
            lines.append(f"#{row.id} {row.source_kind} {row.source_ref} — {state}, min-score "
                         f"{row.min_score:g}{', cc-only' if row.cc_only else ''}; {last}"
                         + (f" (problem: {problem})" if problem else ""))
    if not lines:
        return Reply(text="No watches yet. /watch add @handle every=6h starts one.")
    return Reply(text="Watches:\n" + "\n".join(lines))


@command("scan", arg("watch", "the watch to scan (default: all active watches)", type=int, required=False,
                     lookup="watch"), role=Role.editor)
def scan(inv: Invocation, svc: Services) -> Reply:
    """Scan one watch, or all active watches, now."""
    with svc.db.session() as session:
        if inv["watch"] is not None:
            ids = [own_watch(session, inv, inv["watch"]).id]
        else:
            ids = list(session.scalars(select(Watch.id).where(
                Watch.workspace_id == inv.workspace_id, Watch.paused.is_(False))))
    if not ids:
        raise CommandError("There is nothing to scan: /watch add starts a watch.")
    job = jobs.start(svc, "scan", {"workspace_id": inv.workspace_id, "watch_ids": ids}, origin(inv),
                     queue=jobs.IO_QUEUE)
    return jobs.started_reply(job, f"scan of {len(ids)} watch{'es' if len(ids) != 1 else ''}")
