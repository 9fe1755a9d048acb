"""Commands of the render engine: /render, /presets and /preset save|list|show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core import audit, jobs, storage
from core.commands.jobs import origin
from core.commands.registry import CommandError, Invocation, Param, arg, command, flag, option
from core.media import preset_store, presets, records, sources
from core.media.inputs import LOCAL_PATH_FRONTS
from core.media.recipe import Recipe, RecipeError
from core.messages import Reply
from core.models import Render, Role
from core.retention import space
from core.services import Services

RECIPE_OPTIONS: tuple[Param, ...] = tuple(
    option(name, help_text) for name, (_path, _kind, help_text) in presets.OPTIONS.items()
)


@command(
    "render",
    arg("source", "the video: attach it, or a candidate id or discovered URL, or a path (console)",
        required=False, lookup="candidate"),
    arg("preset", "a preset name (/presets lists them)", required=False, lookup="preset"),
    *RECIPE_OPTIONS,
    flag("no-captions", "leave the captions out"),
    role=Role.editor,
)
def render(inv: Invocation, svc: Services) -> Reply:
    """Render a video into a vertical short: /render clip.mp4 bold-captions auto-trim=45."""
    source_text, preset_name = inv["source"], inv["preset"]
    try:
        space.require_render_space(svc.settings)
    except space.LowDiskSpace as exc:
        raise CommandError(str(exc)) from None
    with svc.db.session() as session:
        if inv.attachments and source_text and not preset_name:
            # with a file attached, the first word is the preset: "/render bold-captions"
            source_text, preset_name = None, source_text
        name, recipe = _recipe(session, inv, preset_name)
        source = sources.resolve(session, inv, source_text)
        row = Render(workspace_id=inv.workspace_id, source_id=source.id, preset=name,
                     recipe=recipe.to_json(), state="pending")
        session.add(row)
        session.flush()
        job = jobs.enqueue(session, "render", {"render_id": row.id}, origin(inv),
                           queue=records.render_queue(svc.settings),
                           default_attempts=svc.settings.job_max_attempts)
        row.job_id = job.id
        audit.record(session, "render.start", workspace_id=inv.workspace_id, member_id=inv.member_id,
                     subject=f"render:{row.id}", source=source.id, basis=source.rights_basis,
                     preset=name)
        label = f"render #{row.id} of {source.title or source.uri} ({name})"
        source_path = source.local_path
    if source_path:
        storage.share(svc.settings, Path(source_path))
    jobs.dispatch(svc, job)
    return jobs.started_reply(job, label)


def _recipe(session: Any, inv: Invocation, preset_name: str | None) -> tuple[str, Recipe]:
    try:
        name, recipe = preset_store.find(session, inv.workspace_id, preset_name or presets.DEFAULT_PRESET)
        recipe = presets.with_overrides(recipe, _overrides(inv))
    except RecipeError as exc:
        raise CommandError(str(exc)) from None
    return name, recipe


def _overrides(inv: Invocation) -> dict[str, Any]:
    values = {name: inv[name] for name in presets.OPTIONS}
    if values["lut"]:
        if inv.front not in LOCAL_PATH_FRONTS:
            raise CommandError("A LUT file can only be named from the bot's console.")
        values["lut"] = str(Path(values["lut"]).expanduser().resolve())
    if inv["no-captions"]:
        values["captions"] = False
    return values


@command("presets")
def list_presets(inv: Invocation, svc: Services) -> Reply:
    """List the render presets: built-in ones and this workspace's own."""
    lines = ["Built-in presets (/render SOURCE NAME):", *(f"  {line}" for line in presets.listing())]
    with svc.db.session() as session:
        own = preset_store.saved(session, inv.workspace_id)
    if own:
        lines += ["This workspace's presets:", *(f"  {row.name}" for row in own)]
    else:
        lines.append("No presets of your own yet: /preset save NAME [BASE] option=value …")
    lines.append("Options for /render and /preset save: " + ", ".join(f"{n}=" for n in presets.OPTIONS))
    return Reply(text="\n".join(lines))


@command(
    "preset",
    arg("action", "what to do", choices=("save", "list", "show")),
    arg("name", "the preset's name", required=False, lookup="preset"),
    arg("base", "save: the preset to start from (default clean)", required=False, lookup="preset"),
    *RECIPE_OPTIONS,
    flag("no-captions", "save: leave the captions out"),
)
def preset(inv: Invocation, svc: Services) -> Reply:
    """Save a workspace preset from a base plus options, list them, or show one."""
    action, name = inv["action"], inv["name"]
    if action == "list":
        return list_presets(inv, svc)
    if not name:
        raise CommandError(f"Name the preset: /preset {action} NAME.")
    with svc.db.session() as session:
        if action == "show":
            try:
                shown, recipe = preset_store.find(session, inv.workspace_id, name)
            except RecipeError as exc:
                raise CommandError(str(exc)) from None
            return Reply(text=f"Preset {shown}:\n{presets.explain(recipe)}")
        if inv.role < Role.editor:
            raise CommandError("Only editors and owners can save presets.")
        base, recipe = _recipe(session, inv, inv["base"])
        try:
            row = preset_store.save(session, inv.workspace_id, inv.member_id, name, recipe)
        except RecipeError as exc:
            raise CommandError(str(exc)) from None
        audit.record(session, "preset.save", workspace_id=inv.workspace_id, member_id=inv.member_id,
                     subject=f"preset:{row.name}", base=base)
    return Reply(text=f"Saved preset {row.name} (from {base}):\n{presets.explain(recipe)}\n"
                      f"Use it with /render SOURCE {row.name}.")
