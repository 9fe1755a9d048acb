"""The daily clean-up: remove expired media, left-over files and old scratch; never what is needed.

It walks this machine's `DATA_DIR` (`uploads/`, `media/`) and, when `MEDIA_STORE` is set, the
shared store (a directory, or an S3 bucket: the lifecycle is ours, no bucket rule needed). A
file goes when it is older than its kind's age (`policy`), or — for files rows point at —
when no row refers to it any more and it is older than the scratch grace; it stays while
anything needs it (`needed`). Render scratch left in the system temp folder by a killed
render goes after the same grace. Each run is written to the audit log (`storage.sweep`).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from core import audit
from core.config import Settings
from core.models import utcnow
from core.retention import needed
from core.retention.kinds import MANAGED_PREFIXES, Kind, kind_of, row_backed
from core.retention.policy import Policy
from core.services import Services
from core.storage import Entry, LocalStore, MediaStore, StoreError, open_store

log = logging.getLogger(__name__)

TEMP_SCRATCH = "ettametta-render-*"
KEPT_DEPTH = 2  # never remove the folders uploads/, media/, media/renders/ …


@dataclass(frozen=True)
class Removal:
    place: str
    key: str
    kind: Kind
    size: int
    reason: str


@dataclass
class SweepReport:
    removed: list[Removal] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def freed(self) -> int:
        return sum(r.size for r in self.removed)

    def summary(self) -> str:
        """'removed 12 files (3.4 GB)' with a word on problems, for the chat and the log."""
        text = f"removed {files(len(self.removed))} ({size_text(self.freed)})"
        return text + (f"; {len(self.problems)} problems, e.g. {self.problems[0]}" if self.problems else "")


def size_text(size: int) -> str:
    """Bytes for people: '3.4 GB', '12.0 MB', '800 KB', '0 bytes' (decimal units, as disks are sold)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6)):
        if size >= scale / 10:
            return f"{size / scale:.1f} {unit}"
    return f"{size / 1e3:.0f} KB" if size else "0 bytes"


def files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


def places(settings: Settings) -> list[MediaStore]:
    """Where media lives: this machine's DATA_DIR, and the shared store when there is one."""
    found: list[MediaStore] = [LocalStore(settings.data_dir)]
    if settings.media_store:
        store = open_store(settings)
        if not (isinstance(store, LocalStore) and store.root == settings.data_dir):
            found.append(store)
    return found


def entries(store: MediaStore) -> Iterator[Entry]:
    for prefix in MANAGED_PREFIXES:
        yield from store.entries(prefix)


def decide(entry: Entry, uses: needed.Uses, policy: Policy, now: datetime) -> str | None:
    """Why the file should go ('expired', 'unreferenced', 'scratch'), or None to keep it."""
    kind = kind_of(entry.key)
    if kind is Kind.other or uses.is_needed(entry.key):
        return None
    age = now - entry.modified
    if kind is Kind.scratch:
        return "scratch" if age > policy.scratch else None
    if entry.key in uses.referenced:
        limit = policy.limit(kind, uses.referenced[entry.key])
    elif row_backed(entry.key):
        return "unreferenced" if age > policy.scratch else None
    else:
        limit = policy.limit(kind)
    return "expired" if limit is not None and age > limit else None


def sweep(services: Services, now: datetime | None = None) -> SweepReport:
    """Remove what the policy says may go; returns what was removed and any problem met."""
    settings, now = services.settings, now or utcnow()
    policy = Policy.from_settings(settings)
    with services.db.session() as session:
        uses = needed.collect(session, settings)
    report = SweepReport()
    for store in places(settings):
        try:
            _sweep_store(store, uses, policy, now, report)
        except StoreError as exc:
            report.problems.append(str(exc))
    _sweep_temp(policy, now, report)
    with services.db.session() as session:
        audit.record(session, "storage.sweep", workspace_id=None, member_id=None, subject="storage",
                     removed=len(report.removed), freed=report.freed, problems=report.problems[:5])
    log.info("storage clean-up: %s", report.summary())
    return report


def _sweep_store(store: MediaStore, uses: needed.Uses, policy: Policy, now: datetime,
                 report: SweepReport) -> None:
    for entry in list(entries(store)):
        reason = decide(entry, uses, policy, now)
        if reason is None:
            continue
        try:
            store.delete(entry.key)
        except (OSError, StoreError) as exc:
            report.problems.append(f"{entry.key}: {exc}")
            continue
        report.removed.append(Removal(store.description, entry.key, kind_of(entry.key), entry.size, reason))
        if isinstance(store, LocalStore):
            _prune(store.root, entry.key)


def _prune(root: Path, key: str) -> None:
    """Remove the folders a removal left empty (a render's folder), never the top ones."""
    parent = (root / key).parent
    while len(parent.relative_to(root).parts) > KEPT_DEPTH:
        try:
            parent.rmdir()
        except OSError:
            return
        parent = parent.parent


def _sweep_temp(policy: Policy, now: datetime, report: SweepReport) -> None:
    """Scratch folders of renders that were killed (a finished render removes its own)."""
    for folder in Path(tempfile.gettempdir()).glob(TEMP_SCRATCH):
        try:
            modified = datetime.fromtimestamp(folder.stat().st_mtime, UTC)
            if not folder.is_dir() or now - modified <= policy.scratch:
                continue
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder)
        except OSError as exc:
            report.problems.append(f"{folder}: {exc}")
            continue
        report.removed.append(Removal("temp", folder.name, Kind.scratch, size, "scratch"))


def daily_job() -> None:
    """The scheduler's entry point (registered in core/commands/storage.py), called with no arguments."""
    from core import scheduler

    sweep(scheduler.services())
