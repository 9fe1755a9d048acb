"""/storage: what media uses the disk, how much is free, and the clean-up that keeps it from filling."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from core import jobs, scheduler
from core.commands.jobs import origin
from core.commands.registry import Invocation, arg, command
from core.config import Settings
from core.messages import Reply
from core.models import AuditEntry, Role
from core.retention import space
from core.retention.kinds import KIND_HELP, Kind
from core.retention.policy import Policy
from core.retention.sweep import files, places, size_text
from core.services import Services
from core.storage import StoreError

SWEEP_HOUR_UTC = 4
SPACE_CHECK_MINUTES = 15

scheduler.register_system_job("storage:sweep", "core.retention.sweep:daily_job", trigger="cron",
                              hour=SWEEP_HOUR_UTC, minute=0)
scheduler.register_system_job("storage:space", "core.retention.space:space_job", trigger="interval",
                              minutes=SPACE_CHECK_MINUTES)


@command("storage", arg("action", "clean: run the clean-up now", required=False, choices=("clean",)),
         role=Role.owner)
def storage(inv: Invocation, svc: Services) -> Reply:
    """Disk used by media per kind and the free space; /storage clean removes expired media now."""
    if inv["action"] == "clean":
        job = jobs.start(svc, "storage-sweep", {}, origin(inv), queue=jobs.IO_QUEUE)
        return jobs.started_reply(job, "removing expired media now")
    settings = svc.settings
    lines = []
    for store in places(settings):
        try:
            used = space.usage(store)
        except StoreError as exc:
            lines.append(f"{store.description}: {exc}")
            continue
        lines += [f"Media in {used.place}:", *_kinds(used.size, used.files)]
    lines += [_free(disk, settings) for disk in space.disks(settings)]
    lines.append(f"Kept: {Policy.from_settings(settings).describe()}; files a job, a pending proposal, an "
                 "unfinished publication or an undelivered message needs always stay.")
    lines.append(f"The clean-up runs daily at {SWEEP_HOUR_UTC:02d}:00 UTC ({_last_sweep(svc)}); "
                 "/storage clean runs it now.")
    return Reply(text="\n".join(lines))


def _kinds(size: Counter[Kind], count: Counter[Kind]) -> list[str]:
    rows = [f"  {kind.value}: {size_text(size[kind])} in {files(count[kind])} ({KIND_HELP[kind]})"
            for kind in Kind if count[kind]]
    total = f"  total: {size_text(sum(size.values()))} in {files(sum(count.values()))}"
    return [*rows, total] if rows else ["  nothing yet"]


def _free(disk: space.Disk, settings: Settings) -> str:
    low = " — LOW" if disk.free < settings.storage_warning_free_gb * space.GB else ""
    return (f"Free: {size_text(disk.free)} of {size_text(disk.total)} on {disk.path}{low} (warning below "
            f"{settings.storage_warning_free_gb:g} GB, renders refused below "
            f"{settings.render_min_free_gb:g} GB).")


def _last_sweep(svc: Services) -> str:
    with svc.db.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "storage.sweep")
                               .order_by(AuditEntry.id.desc()).limit(1))
    if entry is None:
        return "it has not run yet"
    detail = entry.detail or {}
    return (f"last run {entry.created_at:%Y-%m-%d %H:%M} UTC removed {files(int(detail.get('removed', 0)))}, "
            f"{size_text(int(detail.get('freed', 0)))}")
