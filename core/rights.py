"""Rights: every render or publish records why ettametta may use its source (DESIGN.md, Rights).

A file a person hands over directly is their own media (`owned`, attested by them). A
discovered video carries the basis discovery found (Creative Commons, the workspace's own
channel) or an editor's explicit licence attestation; without one, the command refuses.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.commands.registry import CommandError, Invocation
from core.models import Candidate, RightsBasis, Source, utcnow


def owned_file_source(session: Session, inv: Invocation, path: Path) -> Source:
    """Record a file the person gave us directly as their own media, attested by them now."""
    source = Source(
        workspace_id=inv.workspace_id,
        kind="file",
        uri=path.name,
        local_path=str(path),
        title=path.stem,
        rights_basis=RightsBasis.owned,
        attested_by=inv.member_id,
        attested_at=utcnow(),
    )
    session.add(source)
    session.flush()
    audit.record(session, "rights.attest", workspace_id=inv.workspace_id, member_id=inv.member_id,
                 subject=f"source:{source.id}", basis=RightsBasis.owned, file=path.name)
    return source


def candidate_source(session: Session, inv: Invocation, candidate: Candidate) -> Source:
    """A source for a discovered video, refused unless discovery or an editor gave it a basis."""
    basis = RightsBasis(candidate.rights_basis or RightsBasis.none)
    if basis is RightsBasis.none:
        raise CommandError(
            f"Candidate #{candidate.id} ({candidate.title[:60]}) is not yours and not Creative "
            "Commons, so I won't render it. If you hold a licence, an editor can record it with "
            f'/attest {candidate.id} "who granted it"; otherwise pick a cc-only or your own video.'
        )
    existing = session.scalar(
        select(Source).where(Source.workspace_id == inv.workspace_id,
                             Source.candidate_id == candidate.id)
    )
    if existing is not None:
        return existing
    attribution = {}
    if basis is RightsBasis.creative_commons:
        attribution = {"title": candidate.title, "channel": candidate.channel_title,
                       "url": candidate.url, "license": "CC BY 3.0"}
    source = Source(
        workspace_id=inv.workspace_id,
        kind="candidate",
        uri=candidate.url,
        local_path=candidate.local_path,
        candidate_id=candidate.id,
        title=candidate.title,
        channel=candidate.channel_title,
        rights_basis=basis,
        attested_by=(candidate.data or {}).get("attested_by"),
        attested_at=utcnow(),
        attribution=attribution,
    )
    session.add(source)
    session.flush()
    return source
