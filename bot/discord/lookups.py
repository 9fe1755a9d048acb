"""Autocompletion of ids (jobs, proposals, renders…) from the workspace's own rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.models import (
    Account,
    Candidate,
    Job,
    Preset,
    Proposal,
    Publication,
    Render,
    Watch,
    Workspace,
)
from core.services import Services

MAX_SUGGESTIONS = 25
MODELS: dict[str, Any] = {
    "job": Job, "proposal": Proposal, "render": Render, "watch": Watch, "account": Account,
    "publication": Publication, "preset": Preset, "candidate": Candidate,
}
_DESCRIBED_BY = ("name", "title", "kind", "source_kind", "platform", "state")


def suggestions(
    services: Services, workspace_ref: str, lookup: str, typed: str, as_text: bool
) -> list[tuple[str, Any]]:
    """(label, value) pairs, newest first; a text parameter gets the row's name (presets) or its id."""
    model = MODELS.get(lookup)
    if model is None:
        return []
    with services.db.session() as session:
        workspace_id = session.scalar(select(Workspace.id).where(
            Workspace.front == "discord", Workspace.external_id == workspace_ref))
        if workspace_id is None:
            return []
        rows = session.scalars(
            select(model).where(model.workspace_id == workspace_id).order_by(model.id.desc()).limit(200)
        ).all()
        found = []
        for row in rows:
            label = f"#{row.id} {_describe(row)}".strip()
            value: Any = (getattr(row, "name", None) or str(row.id)) if as_text else row.id
            if typed.lower() in label.lower():
                found.append((label[:100], value))
            if len(found) == MAX_SUGGESTIONS:
                break
    return found


def _describe(row: Any) -> str:
    parts = [str(getattr(row, attr)) for attr in _DESCRIBED_BY if getattr(row, attr, "")]
    return " · ".join(parts[:2])
