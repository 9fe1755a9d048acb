"""Owner-only files: what ettametta creates can be read and written by its own user alone.

`DATA_DIR` holds the encrypted OAuth tokens, the generated secret key, the database, the logs
and media that may not be published yet. Every process the `ettametta` command starts sets
its umask to 077 first, so every directory it creates is 0700 and every file 0600, whoever
writes it: our code, SQLite (its -wal and -shm files take the database file's mode), the
log handler, matplotlib's charts, ffmpeg's renders, boto3's downloads, a front saving an
upload. Child processes (local workers, Celery's pool, ffmpeg) inherit the umask.

An install made before this rule has a world-readable `DATA_DIR`: start-up tightens it (and
a local `MEDIA_STORE` outside it) to 0700, which closes everything below it at once.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from core.config import Settings

log = logging.getLogger(__name__)

UMASK = 0o077
DIR_MODE = 0o700


def restrict(settings: Settings) -> None:
    """Owner-only from now on in this process and its children; tighten the existing top folders."""
    os.umask(UMASK)
    for folder in top_folders(settings):
        tighten(folder)


def top_folders(settings: Settings) -> list[Path]:
    """`DATA_DIR`, and the local media store when it lies outside it."""
    folders = [settings.data_dir]
    if settings.media_store and not settings.media_store.startswith("s3://"):
        store = Path(settings.media_store).expanduser().resolve()
        if not store.is_relative_to(settings.data_dir):
            folders.append(store)
    return folders


def tighten(folder: Path) -> None:
    """Make an existing folder of ours 0700 (one owned by someone else is left alone)."""
    try:
        info = folder.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & ~DIR_MODE:
        folder.chmod(DIR_MODE)
        log.info("made %s owner-only (it was %o)", folder, stat.S_IMODE(info.st_mode))
