"""Merging what sources found into candidates: one row per video and workspace, history kept.

Every sighting adds a statistics reading, so velocity is measured between readings
instead of guessed from a lifetime average; the candidate's score and rights basis are
recomputed each time (an editor's `licensed` attestation is never overwritten).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from core.discovery.model import Found
from core.discovery.scoring import Reading, score
from core.models import Account, Candidate, CandidateStat, RightsBasis, utcnow

CHUNK = 500
REFRESHED = ("url", "title", "channel_id", "channel_title", "published_at", "duration_s", "license",
             "thumbnail_url", "rights_basis", "last_seen_at", "score", "data")


@dataclass(frozen=True)
class Merged:
    candidate: Candidate
    new: bool


def rights_basis(found: Found, owned_channels: set[str], current: str = "") -> RightsBasis:
    if current == RightsBasis.licensed:
        return RightsBasis.licensed
    if found.channel_id and found.channel_id in owned_channels:
        return RightsBasis.owned
    if found.license == "creativeCommon":
        return RightsBasis.creative_commons
    return RightsBasis.none


def owned_channels(session: Session, workspace_id: int) -> set[str]:
    """Channels of the workspace's connected accounts: their videos are the workspace's own."""
    return set(session.scalars(select(Account.external_id).where(Account.workspace_id == workspace_id)))


def merge(session: Session, workspace_id: int, found: Sequence[Found]) -> list[Merged]:
    """Upsert the videos into candidates (deduplicated by platform and id) with a new reading each."""
    unique = list({(f.platform, f.external_id): f for f in found}.values())
    owned = owned_channels(session, workspace_id)
    merged: list[Merged] = []
    for start in range(0, len(unique), CHUNK):
        merged += _merge_chunk(session, workspace_id, unique[start:start + CHUNK], owned)
    return merged


def _merge_chunk(session: Session, workspace_id: int, chunk: list[Found], owned: set[str]) -> list[Merged]:
    """Bulk statements throughout (a scan merges tens of thousands of videos): existing rows are
    detached, recomputed and written with one executemany UPDATE; new rows and readings are
    inserted in bulk."""
    now = utcnow()
    existing = {
        (c.platform, c.external_id): c
        for c in session.scalars(select(Candidate).where(
            Candidate.workspace_id == workspace_id,
            Candidate.external_id.in_([f.external_id for f in chunk])))
    }
    last = _latest_readings(session, [c.id for c in existing.values()])
    for candidate in existing.values():
        session.expunge(candidate)
    fresh: list[Candidate] = []
    for item in chunk:
        candidate = existing.get((item.platform, item.external_id))
        history = [Reading(now, item.views)]
        if candidate is None:
            candidate = Candidate(workspace_id=workspace_id, platform=item.platform,
                                  external_id=item.external_id, first_seen_at=now, data={}, title="",
                                  channel_id="", channel_title="", license="", thumbnail_url="")
            fresh.append(candidate)
        elif candidate.id in last:
            history.insert(0, last[candidate.id])
        _update(candidate, item, owned, history, now)
    inserted = _insert(session, workspace_id, fresh)
    if existing:
        session.execute(update(Candidate), [{"id": c.id, **{key: getattr(c, key) for key in REFRESHED}}
                                            for c in existing.values()])
    rows = {(c.platform, c.external_id): c for c in inserted} | existing
    results = [Merged(rows[(f.platform, f.external_id)], (f.platform, f.external_id) not in existing)
               for f in chunk]
    session.flush()
    session.execute(insert(CandidateStat), [
        {"candidate_id": m.candidate.id, "taken_at": now, "views": f.views, "likes": f.likes,
         "comments": f.comments}
        for m, f in zip(results, chunk, strict=True)
    ])
    return results


def _insert(session: Session, workspace_id: int, fresh: list[Candidate]) -> list[Candidate]:
    """One executemany INSERT (RETURNING in order would cost a statement per row on SQLite),
    then one SELECT for the new ids, which are set on the (untracked) objects."""
    if not fresh:
        return []
    columns = [c.key for c in Candidate.__table__.columns if c.key != "id"]
    session.execute(insert(Candidate.__table__), [
        {key: value for key in columns if (value := getattr(candidate, key)) is not None}
        for candidate in fresh
    ])
    ids = {(platform, external_id): cid for platform, external_id, cid in session.execute(
        select(Candidate.platform, Candidate.external_id, Candidate.id).where(
            Candidate.workspace_id == workspace_id,
            Candidate.external_id.in_([c.external_id for c in fresh])))}
    for candidate in fresh:
        candidate.id = ids[(candidate.platform, candidate.external_id)]
    return fresh


def _update(candidate: Candidate, item: Found, owned: set[str], history: list[Reading],
            now: datetime) -> None:
    candidate.url = item.url
    candidate.title = item.title[:300] or candidate.title
    candidate.channel_id = item.channel_id or candidate.channel_id
    candidate.channel_title = item.channel_title[:200] or candidate.channel_title
    candidate.published_at = item.published_at or candidate.published_at
    candidate.duration_s = item.duration_s if item.duration_s is not None else candidate.duration_s
    candidate.license = item.license or candidate.license
    candidate.thumbnail_url = item.thumbnail_url or candidate.thumbnail_url
    candidate.rights_basis = rights_basis(item, owned, candidate.rights_basis)
    candidate.last_seen_at = now
    median = item.channel_median_views or (candidate.data or {}).get("channel_median_views")
    result = score(item.views, item.likes, item.comments, candidate.published_at, median, history, now)
    candidate.score = result.value
    candidate.data = {
        **(candidate.data or {}), "views": item.views, "velocity": result.velocity,
        "velocity_measured": result.measured, "engagement": result.engagement,
        "outlier": result.outlier, "channel_median_views": median, "live": item.live,
    }


def _latest_readings(session: Session, candidate_ids: list[int]) -> dict[int, Reading]:
    if not candidate_ids:
        return {}
    latest = (select(func.max(CandidateStat.id))
              .where(CandidateStat.candidate_id.in_(candidate_ids))
              .group_by(CandidateStat.candidate_id))
    rows = session.execute(select(CandidateStat.candidate_id, CandidateStat.taken_at, CandidateStat.views)
                           .where(CandidateStat.id.in_(latest))).all()
    return {cid: Reading(taken_at, views) for cid, taken_at, views in rows}
