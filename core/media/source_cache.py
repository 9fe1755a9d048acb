"""What was learned from a source file, kept by the file's content so no source is analysed twice.

A source is known by the SHA-256 of its bytes, so a copy, a rename or a second download of the
same video finds the same entry. Each kind of result is one JSON document,
`DATA_DIR/cache/sources/<sha256>/<name>.json`; the name carries a version (`faces-v1`), so a
changed algorithm never reads an old result. The face analysis keeps its samples here, and the
clip finder its transcript. A document that cannot be read is a miss and one that cannot be
written is skipped with a warning: the cache is never the reason a render fails.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BLOCK = 1 << 20
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}$")


def source_key(path: Path) -> str:
    """The SHA-256 (hex) of the file's bytes; remembered per (path, size, mtime) in this process."""
    stat = path.stat()
    return _digest(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def read(data_dir: Path, key: str, name: str) -> Any | None:
    """The document `name` kept for source `key`, or None when there is none (or it is unreadable)."""
    file = _file(data_dir, key, name)
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("source cache %s unreadable (%s); analysing again", file, exc)
        return None


def write(data_dir: Path, key: str, name: str, value: Any) -> None:
    """Keep `value` (anything JSON holds) as document `name` of source `key`, replaced atomically."""
    file = _file(data_dir, key, name)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=file.parent, suffix=".tmp",
                                         delete=False) as handle:
            json.dump(value, handle, separators=(",", ":"))
        os.replace(handle.name, file)
    except OSError as exc:
        log.warning("source cache %s not written (%s); continuing without it", file, exc)


def _file(data_dir: Path, key: str, name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", key) or not _NAME.match(name):
        raise ValueError(f"bad source cache key {key!r} or name {name!r}")
    return data_dir / "cache" / "sources" / key / f"{name}.json"


@lru_cache(maxsize=64)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()
