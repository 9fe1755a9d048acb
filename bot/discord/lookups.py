"""Autocompletion of ids (jobs, proposals, renders…) from the workspace's own rows.

Discord gives an autocomplete request 3 seconds and it can't be deferred, so the lookup is
bounded (`BUDGET_SECONDS`): when the database is busy the answer is what is ready — the
rows found last time for the same workspace and kind, filtered by what is typed now — and
an empty list at worst. One lookup per workspace and kind runs at a time; requests made
while it runs (a person typing) share it, so a stuck database never piles up threads.
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
MAX_CANDIDATES = 200
BUDGET_SECONDS = 2.5
MODELS: dict[str, Any] = {
    "job": Job, "proposal": Proposal, "render": Render, "watch": Watch, "account": Account,
    "publication": Publication, "preset": Preset, "candidate": Candidate,
}
_DESCRIBED_BY = ("name", "title", "kind", "source_kind", "platform", "state")
Found = list[tuple[str, Any]]


def candidates(services: Services, workspace_ref: str, lookup: str, as_text: bool) -> Found:
    """The workspace's newest rows of a kind as (label, value) pairs; a text parameter gets the
    row's name (presets) or its id."""
    model = MODELS.get(lookup)
    if model is None:
        return []
    with services.db.session() as session:
        workspace_id = session.scalar(select(Workspace.id).where(
            Workspace.front == "discord", Workspace.external_id == workspace_ref))
        if workspace_id is None:
            return []
        rows = session.scalars(select(model).where(model.workspace_id == workspace_id)
                               .order_by(model.id.desc()).limit(MAX_CANDIDATES)).all()
        return [(f"#{row.id} {_describe(row)}".strip()[:100],
                 (getattr(row, "name", None) or str(row.id)) if as_text else row.id) for row in rows]


def matching(found: Found, typed: str) -> Found:
    """The first MAX_SUGGESTIONS whose label contains what is typed (any case)."""
    return [(label, value) for label, value in found if typed.lower() in label.lower()][:MAX_SUGGESTIONS]


class Suggester:
    """Suggestions within a time budget, from the last rows found when the database is slow."""

    def __init__(self, services: Services, budget: float = BUDGET_SECONDS) -> None:
        self.services = services
        self.budget = budget
        self._ready: dict[tuple[str, str, bool], Found] = {}
        self._looking: dict[tuple[str, str, bool], asyncio.Task[Found]] = {}

    async def suggest(self, workspace_ref: str, lookup: str, typed: str, as_text: bool,
                      budget: float | None = None) -> Found:
        """(label, value) pairs found within `budget` seconds (default: the suggester's)."""
        key = (workspace_ref, lookup, as_text)
        looking = self._looking.get(key)
        if looking is None or looking.done():
            looking = asyncio.create_task(asyncio.to_thread(
                candidates, self.services, workspace_ref, lookup, as_text))
            looking.add_done_callback(lambda done: self._keep(key, done))
            self._looking[key] = looking
        wait = self.budget if budget is None else budget
        try:
            found = await asyncio.wait_for(asyncio.shield(looking), max(wait, 0.0))
        except TimeoutError:
            found = self._ready.get(key, [])
            log.warning("autocomplete of %s took over %.1f s (database busy?); answered with %d ready",
                        lookup, wait, len(matching(found, typed)))
        except Exception:
            log.exception("autocomplete of %s failed; answered with what was ready", lookup)
            found = self._ready.get(key, [])
        return matching(found, typed)

    def _keep(self, key: tuple[str, str, bool], done: asyncio.Task[Found]) -> None:
        if not done.cancelled() and done.exception() is None:
            self._ready[key] = done.result()


def _describe(row: Any) -> str:
    parts = [str(getattr(row, attr)) for attr in _DESCRIBED_BY if getattr(row, attr, "")]
    return " · ".join(parts[:2])
