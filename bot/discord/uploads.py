"""Files people attach to a slash command, saved under DATA_DIR/uploads with names we choose."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import aiohttp

CHUNK = 256 * 1024
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


class UploadError(Exception):
    """The attachment could not be taken; the message is shown to the person."""


def stored_name(filename: str) -> str:
    """A fresh name that keeps only a plain extension: the person's file name never becomes a path."""
    suffix = Path(filename).suffix.lower()
    return uuid.uuid4().hex + (suffix if _SUFFIX.match(suffix) else "")


async def download(
    session: aiohttp.ClientSession, url: str, filename: str, size: int, folder: Path, max_bytes: int
) -> Path:
    if size > max_bytes:
        raise UploadError(f"{filename} is {size / 1024 / 1024:.0f} MB; the bot takes files up to "
                          f"{max_bytes / 1024 / 1024:.0f} MB (MAX_INPUT_MB).")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / stored_name(filename)
    written = 0
    try:
        async with session.get(url) as response:
            if response.status != 200:
                raise UploadError(f"Discord did not hand over {filename} (HTTP {response.status}); "
                                  "attach it again.")
            with target.open("wb") as out:
                async for chunk in response.content.iter_chunked(CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise UploadError(f"{filename} is bigger than the {max_bytes // 1024 // 1024} MB "
                                          "the bot takes (MAX_INPUT_MB).")
                    out.write(chunk)
    except aiohttp.ClientError as exc:
        target.unlink(missing_ok=True)
        raise UploadError(f"Downloading {filename} from Discord failed ({exc}); attach it again.") from exc
    except UploadError:
        target.unlink(missing_ok=True)
        raise
    return target
