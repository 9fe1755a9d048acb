"""Which video a `/render SOURCE` means, with its rights basis recorded before any work starts.

A file handed over directly (attachment, or a path on the console/CLI) is the person's own.
A candidate id or a discovered video's URL takes its basis from discovery. A URL that
discovery never saw is refused: discovery is where rights are recorded, and ettametta does
not fetch arbitrary links.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.commands.registry import CommandError, Invocation
from core.media.inputs import LOCAL_PATH_FRONTS, input_file
from core.models import Candidate, Source
from core.rights import candidate_source, owned_file_source

_CANDIDATE = re.compile(r"^(?:candidate:)?(\d+)$", re.I)


def resolve(session: Session, inv: Invocation, text: str | None) -> Source:
    """The Source to render; CommandError says what to give instead."""
    if inv.attachments:
        return _owned(session, inv, text)
    if not text:
        raise CommandError("Give the video to render: attach it, or give a candidate id from "
                           "/trending or /scan, or (on the console) a file path.")
    match = _CANDIDATE.match(text.strip())
    if match:
        return candidate_source(session, inv, _candidate(session, inv, int(match.group(1))))
    if text.startswith(("http://", "https://")):
        return candidate_source(session, inv, _candidate_by_url(session, inv, text.strip()))
    if inv.front in LOCAL_PATH_FRONTS:
        return _owned(session, inv, text)
    raise CommandError("Attach the video to your message, or give a candidate id or the URL of a "
                       "video found by /trending, /scan or /watch.")


def _owned(session: Session, inv: Invocation, text: str | None) -> Source:
    path = input_file(inv, text)
    if not path.is_file():
        raise CommandError(f"{path.name}: no such file.")
    return owned_file_source(session, inv, path)


def _candidate(session: Session, inv: Invocation, candidate_id: int) -> Candidate:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or candidate.workspace_id != inv.workspace_id:
        raise CommandError(f"There is no candidate #{candidate_id} here. /trending or /scan finds "
                           "videos; each result shows its number.")
    return candidate


def _candidate_by_url(session: Session, inv: Invocation, url: str) -> Candidate:
    candidate = session.scalar(
        select(Candidate).where(Candidate.workspace_id == inv.workspace_id, Candidate.url == url)
        .order_by(Candidate.id.desc()).limit(1)
    )
    if candidate is None:
        raise CommandError("I only render videos that discovery has checked for rights. Find it "
                           "with /trending, /scan or /watch first, then /render its number — or, if "
                           "it is your own video, attach the file.")
    return candidate
