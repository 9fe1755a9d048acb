"""The render job: fetch the source if discovery has not yet, render it, post the result.

Idempotent: a render already recorded as done with its files on disk is announced again,
not redone; a re-run after a crash starts the pass over (ffmpeg overwrites its output).
"""

from __future__ import annotations

import logging
from pathlib import Path

from core import jobs, storage
from core.jobs import JobCancelled, JobFailed
from core.media import engine, records
from core.media.probe import MediaError
from core.media.recipe import RecipeError, load_recipe
from core.messages import Reply
from core.models import Render, Source
from core.retention import space
from core.services import Services
from workers.context import JobContext
from workers.tasks import task

log = logging.getLogger(__name__)

DOWNLOAD_SHARE = 10.0  # percent of the progress bar given to fetching a discovered video


@task("render", queue=jobs.RENDER_CPU_QUEUE, time_limit_s=3 * 3600)
def run_render(ctx: JobContext) -> Reply:
    render_id = int(ctx.payload["render_id"])
    services = ctx.services
    with services.db.session() as session:
        render = session.get(Render, render_id)
        if render is None:
            raise JobFailed(f"render #{render_id} no longer exists")
        if render.state == "done" and records.files_exist(render):
            return records.result_reply(render)
        source = session.get_one(Source, render.source_id)
        local_path, candidate_id = source.local_path, source.candidate_id
        recipe_json = dict(render.recipe or {})
        render.state = "running"
    try:
        space.require_render_space(services.settings)
        recipe = load_recipe(recipe_json)
        path, offset = _local_file(ctx, render_id, local_path, candidate_id)
        result = engine.render(path, engine.Targets.in_dir(records.render_dir(services.settings, render_id)),
                               recipe, services.settings, _scaled(ctx, offset))
    except JobCancelled:
        _fail(services, render_id, "cancelled")
        raise
    except (MediaError, RecipeError, space.LowDiskSpace) as exc:
        _fail(services, render_id, str(exc))
        raise JobFailed(str(exc)) from exc
    except Exception as exc:
        _fail(services, render_id, f"{type(exc).__name__}: {exc}")
        raise
    for made in (result.targets.output, result.targets.preview, result.targets.thumbnail):
        storage.share(services.settings, Path(made))
    with services.db.session() as session:
        render = session.get_one(Render, render_id)
        propose = records.record_done(session, render, result)
        reply = records.result_reply(render)
    jobs.dispatch(services, propose)
    return reply


def _local_file(ctx: JobContext, render_id: int, local_path: str | None,
                candidate_id: int | None) -> tuple[Path, float]:
    """The source on disk, downloading a discovered candidate first if needed."""
    if local_path:
        return storage.ensure_local(ctx.services.settings, Path(local_path)), 0.0
    if candidate_id is None:
        raise JobFailed(f"render #{render_id} has no file and no discovered video to fetch")
    from core.discovery.download import download_candidate

    def progress(percent: float, text: str) -> None:
        ctx.progress(percent * DOWNLOAD_SHARE / 100, f"downloading: {text}")

    path = download_candidate(ctx.services, candidate_id, progress)
    storage.share(ctx.services.settings, Path(path))
    with ctx.services.db.session() as session:
        render = session.get_one(Render, render_id)
        session.get_one(Source, render.source_id).local_path = str(path)
    return Path(path), DOWNLOAD_SHARE


def _scaled(ctx: JobContext, offset: float) -> engine.Report:
    def report(percent: float, text: str, eta: float | None) -> None:
        ctx.progress(offset + percent * (100 - offset) / 100, text, eta)

    return report


def _fail(services: Services, render_id: int, error: str) -> None:
    with services.db.session() as session:
        records.mark(session, render_id, "failed", error=error[:500])
