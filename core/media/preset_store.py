"""Presets a workspace saved for itself, looked up before the built-in ones."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.media import presets
from core.media.recipe import Recipe, RecipeError, load_recipe
from core.models import Preset as PresetRow

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def find(session: Session, workspace_id: int, name: str) -> tuple[str, Recipe]:
    """The preset's canonical name and recipe; RecipeError lists the names that exist."""
    key = name.strip().lower()
    row = session.scalar(select(PresetRow).where(PresetRow.workspace_id == workspace_id,
                                                 PresetRow.name == key))
    if row is not None:
        return row.name, load_recipe(row.recipe)
    found = presets.builtin(key)
    if found is not None:
        return found.name, found.recipe
    known = [*presets.BUILTIN, *(r.name for r in saved(session, workspace_id))]
    raise RecipeError(f"There is no preset {name!r}. Presets: {', '.join(known)}.")


def exists(session: Session, workspace_id: int, name: str) -> bool:
    try:
        find(session, workspace_id, name)
    except RecipeError:
        return False
    return True


def saved(session: Session, workspace_id: int) -> list[PresetRow]:
    return list(session.scalars(select(PresetRow).where(PresetRow.workspace_id == workspace_id)
                                .order_by(PresetRow.name)))


def save(session: Session, workspace_id: int, member_id: int, name: str, recipe: Recipe) -> PresetRow:
    """Create or replace a workspace preset; built-in names stay reserved."""
    key = name.strip().lower()
    if not _NAME.match(key):
        raise RecipeError("A preset name is 1–40 lowercase letters, digits, - or _, like my-style.")
    if key in presets.BUILTIN:
        raise RecipeError(f"{key} is a built-in preset; save yours under another name.")
    row = session.scalar(select(PresetRow).where(PresetRow.workspace_id == workspace_id,
                                                 PresetRow.name == key))
    if row is None:
        row = PresetRow(workspace_id=workspace_id, name=key, created_by=member_id)
        session.add(row)
    row.recipe = recipe.to_json()
    session.flush()
    return row
