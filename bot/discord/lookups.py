"""Autocompletion of ids (jobs, proposals, renders…) from the workspace's own rows.

Discord gives an autocomplete request 3 seconds and it can't be deferred, so the lookup is
bounded (`BUDGET_SECONDS`): when the database is busy the answer is what is ready — the
last suggestions found for the same workspace and kind, filtered by what is typed now — and
an empty list at worst.
"""

from __future__ import annotations

import asyncio
import logging
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

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 25
BUDGET_SECONDS = 2.5
MAX_READY = 200
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


class Suggester:
    """Suggestions within a time budget, remembering the last ones found for each kind."""

    def __init__(self, services: Services, budget: float = BUDGET_SECONDS) -> None:
        self.services = services
        self.budget = budget
        self._ready: dict[tuple[str, str, bool], list[tuple[str, Any]]] = {}

    async def suggest(self, workspace_ref: str, lookup: str, typed: str, as_text: bool,
                      budget: float | None = None) -> list[tuple[str, Any]]:
        """(label, value) pairs found within `budget` seconds (default BUDGET_SECONDS)."""
        key = (workspace_ref, lookup, as_text)
        try:
            found = await asyncio.wait_for(asyncio.to_thread(
                suggestions, self.services, workspace_ref, lookup, typed, as_text),
                self.budget if budget is None else budget)
        except TimeoutError:
            ready = [(label, value) for label, value in self._ready.get(key, [])
                     if typed.lower() in label.lower()]
            log.warning("autocomplete of %s took over %.1f s (database busy?); answered with %d ready",
                        lookup, self.budget if budget is None else budget, len(ready))
            return ready
        known = self._ready.get(key, [])
        self._ready[key] = (found + [item for item in known if item not in found])[:MAX_READY]
        return found


def _describe(row: Any) -> str:
    parts = [str(getattr(row, attr)) for attr in _DESCRIBED_BY if getattr(row, attr, "")]
    return " · ".join(parts[:2])
