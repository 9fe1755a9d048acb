"""Which media files rows refer to, and which are needed now and must never be removed.

Needed: the files of every queued or running job (its render's folder and source, its
publication's render, a candidate being downloaded, any path in its payload), the renders of
proposals awaiting a decision and of publications not yet finished, and the attachments of
messages not yet delivered. Referenced: every file a source, candidate or render row names,
with whether the render was published (it is then kept longer).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.media.records import render_dir
from core.models import (
    Candidate,
    Job,
    JobState,
    OutboxEvent,
    Proposal,
    ProposalState,
    Publication,
    Render,
    Source,
)
from core.storage import key_for

PUBLISHED = ("published", "inbox")
UNFINISHED_PUBLICATION = ("queued", "uploading", "uploaded")


@dataclass
class Uses:
    """`referenced`: key → published?; `needed`: keys, and key prefixes (folders), that must stay."""

    referenced: dict[str, bool] = field(default_factory=dict)
    needed: set[str] = field(default_factory=set)
    needed_prefixes: set[str] = field(default_factory=set)

    def is_needed(self, key: str) -> bool:
        return key in self.needed or any(key.startswith(prefix) for prefix in self.needed_prefixes)


def collect(session: Session, settings: Settings) -> Uses:
    uses = Uses()
    keys = _Keys(settings)
    published = set(session.scalars(
        select(Proposal.render_id).join(Publication, Publication.proposal_id == Proposal.id)
        .where(Publication.state.in_(PUBLISHED))))
    for render_id, *paths in session.execute(
            select(Render.id, Render.output_path, Render.preview_path, Render.thumbnail_path)):
        for key in keys.of(paths):
            uses.referenced[key] = render_id in published
    for (path,) in session.execute(select(Source.local_path).where(Source.local_path.is_not(None))):
        uses.referenced.update(dict.fromkeys(keys.of([path]), False))
    for (path,) in session.execute(select(Candidate.local_path).where(Candidate.local_path.is_not(None))):
        uses.referenced.update(dict.fromkeys(keys.of([path]), False))
    _needed_by_jobs(session, keys, uses)
    _needed_by_decisions(session, keys, uses)
    for (payload,) in session.execute(select(OutboxEvent.payload).where(OutboxEvent.delivered_at.is_(None))):
        uses.needed.update(keys.of(a.get("path") for a in (payload or {}).get("attachments") or []))
    return uses


class _Keys:
    """Recorded paths (absolute, on this machine) as store keys; paths outside DATA_DIR have none."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def of(self, paths: Iterable[Any]) -> list[str]:
        found = []
        for path in paths:
            if isinstance(path, str) and path and Path(path).is_absolute():
                key = key_for(self.settings, Path(path))
                if key is not None:
                    found.append(key)
        return found


def _needed_by_jobs(session: Session, keys: _Keys, uses: Uses) -> None:
    active = session.scalars(select(Job).where(Job.state.in_([JobState.queued, JobState.running])))
    for job in active:
        payload = job.payload or {}
        uses.needed.update(keys.of(payload.values()))
        render_ids = [int(payload["render_id"])] if "render_id" in payload else []
        if "publication_id" in payload:
            render_ids += _renders_of_publication(session, int(payload["publication_id"]))
        if "proposal_id" in payload:
            render_ids += _renders_of_proposals(session, [int(payload["proposal_id"])])
        for render_id in render_ids:
            _need_render(session, keys, uses, render_id)
        if "candidate_id" in payload:
            _need_candidate(session, keys, uses, int(payload["candidate_id"]))


def _needed_by_decisions(session: Session, keys: _Keys, uses: Uses) -> None:
    """Proposals awaiting a decision and publications still under way keep their renders."""
    pending = list(session.scalars(select(Proposal.id).where(Proposal.state == ProposalState.pending)))
    unfinished = list(session.scalars(select(Publication.proposal_id)
                                      .where(Publication.state.in_(UNFINISHED_PUBLICATION))))
    for render_id in _renders_of_proposals(session, pending + unfinished):
        _need_render(session, keys, uses, render_id)


def _need_render(session: Session, keys: _Keys, uses: Uses, render_id: int) -> None:
    uses.needed_prefixes.update(f"{key}/" for key in keys.of([str(render_dir(keys.settings, render_id))]))
    render = session.get(Render, render_id)
    if render is None:
        return
    uses.needed.update(keys.of([render.output_path, render.preview_path, render.thumbnail_path]))
    source = session.get(Source, render.source_id)
    if source is not None:
        uses.needed.update(keys.of([source.local_path]))
        if source.candidate_id is not None:
            _need_candidate(session, keys, uses, source.candidate_id)


def _need_candidate(session: Session, keys: _Keys, uses: Uses, candidate_id: int) -> None:
    downloads = keys.settings.media_dir / "downloads"
    uses.needed_prefixes.update(f"{key}." for key in keys.of([str(downloads / f"candidate-{candidate_id}")]))
    candidate = session.get(Candidate, candidate_id)
    if candidate is not None:
        uses.needed.update(keys.of([candidate.local_path]))


def _renders_of_publication(session: Session, publication_id: int) -> list[int]:
    publication = session.get(Publication, publication_id)
    return _renders_of_proposals(session, [publication.proposal_id]) if publication else []


def _renders_of_proposals(session: Session, proposal_ids: list[int]) -> list[int]:
    if not proposal_ids:
        return []
    return list(session.scalars(select(Proposal.render_id).where(Proposal.id.in_(proposal_ids))))
