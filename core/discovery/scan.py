"""Scanning watches: every source fetched once per scan, results merged, new finds posted.

Watches of one kind are fetched together so a source can batch its calls (1000 watched
channels cost about 0.05 quota units per video). Each reference is merged in its own
transaction and a failing reference is recorded on its watch, never failing the scan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from core import outbox, quota
from core.discovery import cards
from core.discovery.merge import Merged, merge
from core.discovery.model import (
    YOUTUBE_CHANNEL,
    YOUTUBE_SEARCH,
    YOUTUBE_TRENDING,
    YTDLP,
    DiscoverySource,
    Fetched,
)
from core.discovery.youtube import ChannelSource, SearchSource, TrendingSource
from core.discovery.ytdlp_source import YtdlpSource
from core.messages import Reply
from core.models import Candidate, RightsBasis, Watch, utcnow
from core.services import Services

SOURCES: dict[str, Callable[[Services, int | None], DiscoverySource]] = {
    YOUTUBE_CHANNEL: ChannelSource, YOUTUBE_TRENDING: TrendingSource,
    YOUTUBE_SEARCH: SearchSource, YTDLP: YtdlpSource,
}
POSTS_PER_WATCH = 5
MERGE_BATCH = 500
QUOTA_BUCKETS = {YOUTUBE_CHANNEL: quota.YOUTUBE, YOUTUBE_TRENDING: quota.YOUTUBE,
                 YOUTUBE_SEARCH: quota.YOUTUBE_SEARCH}
RENDERABLE = {RightsBasis.owned, RightsBasis.creative_commons, RightsBasis.licensed}

Progress = Callable[[float, str], None]


@dataclass
class ScanReport:
    watches: int = 0
    videos: int = 0
    new: int = 0
    posted: int = 0
    errors: dict[int, str] = field(default_factory=dict)

    def text(self) -> str:
        lines = [f"Scanned {self.watches} watch{'es' if self.watches != 1 else ''}: {self.videos} videos, "
                 f"{self.new} new, {self.posted} posted."]
        lines += [f"  watch #{wid}: {error}" for wid, error in sorted(self.errors.items())[:10]]
        if len(self.errors) > 10:
            lines.append(f"  …and {len(self.errors) - 10} more watches with problems (/watch list).")
        return "\n".join(lines)


def passes(watch: Watch, merged: Merged) -> bool:
    candidate = merged.candidate
    if watch.cc_only and RightsBasis(candidate.rights_basis) not in RENDERABLE:
        return False
    return candidate.score >= watch.min_score


def scan_watches(services: Services, workspace_id: int, watch_ids: list[int],
                 progress: Progress | None = None) -> ScanReport:
    with services.db.session() as session:
        watches = list(session.scalars(select(Watch).where(
            Watch.workspace_id == workspace_id, Watch.id.in_(watch_ids))))
    report = ScanReport(watches=len(watches))
    by_kind: dict[str, list[Watch]] = defaultdict(list)
    for watch in watches:
        by_kind[watch.source_kind].append(watch)
    done = 0
    for kind, group in by_kind.items():
        if _quota_blocked(services, kind, group, report):
            continue
        try:
            source = SOURCES[kind](services, workspace_id)
        except Exception as exc:
            for watch in group:
                report.errors[watch.id] = str(exc)
            _record_errors(services, group, str(exc))
            continue
        known = {w.source_ref: (w.options or {}).get("resolved", {}) for w in group}
        watching: dict[str, list[int]] = defaultdict(list)
        for watch in group:
            watching[watch.source_ref].append(watch.id)
        batch: list[tuple[list[int], Fetched]] = []
        for fetched in source.fetch(list(watching), known):
            batch.append((watching[fetched.ref], fetched))
            if sum(len(f.videos) for _, f in batch) >= MERGE_BATCH:
                done = _report_progress(progress, done, _apply(services, workspace_id, batch, report),
                                        len(watches))
                batch = []
        if batch:
            _apply(services, workspace_id, batch, report)
    return report


def _report_progress(progress: Progress | None, done: int, more: int, total: int) -> int:
    if progress:
        progress(100 * (done + more) / max(1, total), f"{done + more}/{total} watches")
    return done + more


def _apply(services: Services, workspace_id: int, batch: list[tuple[list[int], Fetched]],
           report: ScanReport) -> int:
    """Merge a batch of fetched references in one transaction; post the cards after it, so
    no network call holds a lock. Returns how many watches the batch covered."""
    ids = [wid for watch_ids, _ in batch for wid in watch_ids]
    to_post: list[tuple[Watch, list[Candidate]]] = []
    with services.db.session() as session:
        rows = {w.id: w for w in session.scalars(select(Watch).where(Watch.id.in_(ids)))}
        for watch_ids, fetched in batch:
            for watch in (rows[wid] for wid in watch_ids if wid in rows):
                options = {**(watch.options or {}), "last_error": fetched.error}
                if fetched.resolved:
                    options["resolved"] = fetched.resolved
                watch.options, watch.last_run_at = options, utcnow()
                if fetched.error:
                    report.errors[watch.id] = fetched.error
        merged = merge(session, workspace_id, [v for _, f in batch if not f.error for v in f.videos])
        report.videos += len(merged)
        report.new += sum(1 for m in merged if m.new)
        by_key = {(m.candidate.platform, m.candidate.external_id): m for m in merged}
        for watch_ids, fetched in batch:
            found = list({(v.platform, v.external_id): by_key[(v.platform, v.external_id)]
                          for v in fetched.videos}.values()) if not fetched.error else []
            to_post += [(rows[wid], _worth_posting(rows[wid], found)) for wid in watch_ids if wid in rows]
    for watch, candidates in to_post:
        report.posted += _post(services, watch, candidates)
    return len(ids)


def _worth_posting(watch: Watch, merged: list[Merged]) -> list[Candidate]:
    if not (watch.reply_front and watch.reply_chat):
        return []
    best = sorted((m for m in merged if m.new and passes(watch, m)), key=lambda m: -m.candidate.score)
    return [m.candidate for m in best]


def _post(services: Services, watch: Watch, candidates: list[Candidate]) -> int:
    if not candidates:
        return 0
    replies = [cards.card(c, services.settings, heading=f"New from watch #{watch.id} ({watch.source_ref}):")
               for c in candidates[:POSTS_PER_WATCH]]
    if len(candidates) > POSTS_PER_WATCH:
        replies.append(Reply(text=f"Watch #{watch.id} found {len(candidates) - POSTS_PER_WATCH} more "
                                  f"above score {watch.min_score:g}; raise min-score to see only the best."))
    with services.db.session() as session:
        for reply in replies:
            outbox.post(session, watch.reply_front or "", watch.reply_chat or "", reply,
                        workspace_id=watch.workspace_id)
    return min(len(candidates), POSTS_PER_WATCH)


def _quota_blocked(services: Services, kind: str, watches: list[Watch], report: ScanReport) -> bool:
    """While YouTube's quota is used up, skip the calls and tell each watch's chat once."""
    bucket = QUOTA_BUCKETS.get(kind)
    if bucket is None:
        return False
    with services.db.session() as session:
        until = quota.exhausted_until(session, bucket)
        if until is None:
            return False
        message = f"YouTube's daily API quota is used up; scans resume {quota.describe_resume(until)}."
        for watch in (session.get_one(Watch, w.id) for w in watches):
            report.errors[watch.id] = message
            options = dict(watch.options or {})
            if options.get("quota_notice") != until.isoformat() and watch.reply_front and watch.reply_chat:
                outbox.post(session, watch.reply_front, watch.reply_chat,
                            Reply(text=f"Watch #{watch.id}: {message}"), workspace_id=watch.workspace_id)
            watch.options = {**options, "quota_notice": until.isoformat(), "last_error": message}
    return True


def _record_errors(services: Services, watches: list[Watch], error: str) -> None:
    with services.db.session() as session:
        for watch in watches:
            row = session.get_one(Watch, watch.id)
            row.options = {**(row.options or {}), "last_error": error}
