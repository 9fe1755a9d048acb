"""The Render row: where its files live, how a finished render is recorded and announced.

Finishing a render and asking for title proposals happen in one transaction, so a render
marked done always has its `propose` job (the AI issue's task picks it up).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core import jobs
from core.config import Settings
from core.media.engine import RenderResult
from core.messages import Attachment, Reply
from core.models import Job, Render

PROPOSE_KIND = "propose"


def render_dir(settings: Settings, render_id: int) -> Path:
    return settings.media_dir / "renders" / str(render_id)


def render_queue(settings: Settings) -> str:
    """GPU workers take renders only when NVENC is asked for; otherwise any CPU render worker."""
    return jobs.RENDER_GPU_QUEUE if settings.video_encoder == "nvenc" else jobs.RENDER_CPU_QUEUE


def mark(session: Session, render_id: int, state: str, **data: Any) -> None:
    render = session.get_one(Render, render_id)
    render.state = state
    if data:
        render.data = {**(render.data or {}), **data}


def record_done(session: Session, render: Render, result: RenderResult) -> Job:
    """Mark the render done with its files and transcript, and enqueue its `propose` job."""
    render.state = "done"
    render.output_path = str(result.targets.output)
    render.preview_path = str(result.targets.preview)
    render.thumbnail_path = str(result.targets.thumbnail)
    render.duration_s = result.duration_s
    render.width, render.height = result.width, result.height
    render.size_bytes = result.size_bytes
    render.encoder = result.encoder
    render.transcript = [word.to_json() for word in result.transcript]
    render.data = {
        **(render.data or {}), "summary": result.summary(), "error": None,
        "window": [round(result.start, 3), round(result.end, 3)], "captions": result.captions,
        "wall_s": round(result.wall_s, 2), "transcribe_s": round(result.transcribe_s, 2),
        "pass_s": round(result.pass_s, 2), "realtime_factor": round(result.realtime_factor, 2),
        "fit": result.fit, "people": result.people,
    }
    origin = _origin(session, render)
    return jobs.enqueue(session, PROPOSE_KIND, {"render_id": render.id}, origin,
                        queue=jobs.DEFAULT_QUEUE, idempotency_key=f"propose:render:{render.id}")


def result_reply(render: Render) -> Reply:
    """The finished render for the chat: summary, preview, thumbnail, and the full file."""
    summary = (render.data or {}).get("summary", "")
    attachments = [
        Attachment(path=str(render.preview_path), kind="video", name=f"render-{render.id}-preview.mp4"),
        Attachment(path=str(render.thumbnail_path), kind="image", name=f"render-{render.id}.png"),
        Attachment(path=str(render.output_path), kind="video", name=f"render-{render.id}.mp4",
                   fallback=str(render.preview_path)),
    ]
    return Reply(text=f"Render #{render.id} is ready. {summary}", attachments=attachments,
                 subject=f"render:{render.id}")


def files_exist(render: Render) -> bool:
    paths = (render.output_path, render.preview_path, render.thumbnail_path)
    return all(path and Path(path).is_file() for path in paths)


def _origin(session: Session, render: Render) -> jobs.Origin:
    job = session.get(Job, render.job_id) if render.job_id else None
    if job is None:
        return jobs.Origin(render.workspace_id, None, None, None)
    return jobs.Origin(job.workspace_id, job.requested_by, job.reply_front, job.reply_chat)
