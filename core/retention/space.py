"""Free disk space: what media uses per kind, a daily-at-most warning, and renders refused in time.

Renders write to `DATA_DIR` (and scratch to the system temp folder), so those file systems —
and a `MEDIA_STORE` directory — are the ones watched. Below `STORAGE_WARNING_FREE_GB` the
workspaces are warned in their chat, at most once a day; below `RENDER_MIN_FREE_GB` a render
is refused before it starts, with what to do, instead of failing halfway through the encode.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from core import leases, outbox
from core.config import Settings
from core.messages import Reply
from core.models import Job
from core.retention.kinds import Kind, kind_of
from core.retention.sweep import entries, places, size_text
from core.services import Services
from core.storage import LocalStore, MediaStore

GB = 1_000_000_000
WARNING_LEASE = "storage:low-space-warning"
WARNING_EVERY_S = 24 * 3600.0


class LowDiskSpace(Exception):
    """There is too little free space to start a render; the message says where and what to do."""


@dataclass(frozen=True)
class Disk:
    """One file system ettametta writes to: a folder on it, free and total bytes."""

    path: Path
    free: int
    total: int


@dataclass(frozen=True)
class Usage:
    """Bytes and files per kind in one place (this machine's DATA_DIR, or the shared store)."""

    place: str
    size: Counter[Kind]
    files: Counter[Kind]


def disks(settings: Settings) -> list[Disk]:
    """DATA_DIR, the temp folder and a MEDIA_STORE directory, one entry per file system."""
    folders = [settings.data_dir, Path(tempfile.gettempdir())]
    folders += [store.root for store in places(settings)[1:] if isinstance(store, LocalStore)]
    found: dict[int, Disk] = {}
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        usage = shutil.disk_usage(folder)
        found.setdefault(os.stat(folder).st_dev, Disk(folder, usage.free, usage.total))
    return list(found.values())


def tightest(settings: Settings) -> Disk:
    return min(disks(settings), key=lambda disk: disk.free)


def require_render_space(settings: Settings) -> None:
    """Raise LowDiskSpace when a render could run out of space (below RENDER_MIN_FREE_GB)."""
    disk = tightest(settings)
    if disk.free < settings.render_min_free_gb * GB:
        raise LowDiskSpace(
            f"Not enough free disk space to render: {size_text(disk.free)} free on {disk.path}, and a "
            f"render needs at least {settings.render_min_free_gb:g} GB (RENDER_MIN_FREE_GB). An owner can "
            "see what uses the space with /storage; old media goes in the daily clean-up "
            "(MEDIA_RETENTION_DAYS), or the bot's operator can free space on that disk.")


def usage(store: MediaStore) -> Usage:
    size: Counter[Kind] = Counter()
    files: Counter[Kind] = Counter()
    for entry in entries(store):
        kind = kind_of(entry.key)
        size[kind] += entry.size
        files[kind] += 1
    return Usage(store.description, size, files)


def warn_if_low(services: Services) -> bool:
    """Warn every workspace in its chat when free space is under the threshold, once a day at most."""
    settings = services.settings
    disk = tightest(settings)
    if disk.free >= settings.storage_warning_free_gb * GB:
        return False
    with services.db.session() as session:
        if not leases.acquire(session, WARNING_LEASE, f"warned:{os.urandom(6).hex()}", WARNING_EVERY_S):
            return False
        latest = (select(Job.workspace_id, func.max(Job.id).label("job_id"))
                  .where(Job.reply_front.is_not(None), Job.reply_chat.is_not(None))
                  .group_by(Job.workspace_id).subquery())
        chats = session.execute(select(Job.workspace_id, Job.reply_front, Job.reply_chat)
                                .join(latest, Job.id == latest.c.job_id)).all()
        reply = Reply(text=_warning(settings, disk), error=True, subject="storage")
        for workspace_id, front, chat in chats:
            outbox.post(session, front, chat, reply, workspace_id=workspace_id)
    return True


def _warning(settings: Settings, disk: Disk) -> str:
    return (f"Disk space is running low: {size_text(disk.free)} free of {size_text(disk.total)} on "
            f"{disk.path} (the warning comes below {settings.storage_warning_free_gb:g} GB; renders stop "
            f"below {settings.render_min_free_gb:g} GB). Owners: /storage shows what uses it. Old media goes "
            "in the daily clean-up; the bot's operator can keep less (MEDIA_RETENTION_DAYS) or free space.")


def space_job() -> None:
    """The scheduler's entry point (registered in core/commands/storage.py), called with no arguments."""
    from core import scheduler

    warn_if_low(scheduler.services())
