"""Download links for files too big for a chat: signed, expiring, served by the web server.

When a chat can't take a file (Discord's upload limit), the message carries a smaller preview
and a link to the full file: `PUBLIC_URL/files/<token>/<name>`. The token is sealed
(core/keys.py: a Fernet token, AES-128-CBC with HMAC-SHA256, under the key HKDF derives from
the bot's `SECRET_KEY` for download links alone); it carries the file's path inside `DATA_DIR`
and the time it was made, and is refused once `LINK_LIFETIME` has passed or if anything in it
was changed. Only files inside `DATA_DIR` are ever linked or served. The file is sent as a
download (`Content-Disposition: attachment`), with HTTP ranges so a phone can resume it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from aiohttp import web
from cryptography.fernet import InvalidToken

from bot.web import SERVICES
from bot.web_page import Line, respond
from core.config import Settings
from core.keys import Purpose, Sealer

log = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(days=7)
ROUTE = "/files/{token}/{name}"
_ADDED = web.AppKey("download routes added", bool)


def sealer(settings: Settings) -> Sealer:
    """Download links have a key of their own: no other sealed value opens as one."""
    return Sealer(settings, Purpose.download_link)


def link_for(settings: Settings, path: Path, name: str) -> str | None:
    """A link to `path` valid for LINK_LIFETIME, or None when the file is outside DATA_DIR."""
    root = settings.data_dir.resolve()
    try:
        inside = path.resolve().relative_to(root)
    except ValueError:
        return None
    token = sealer(settings).seal(inside.as_posix().encode()).decode()
    return f"{settings.public_url.rstrip('/')}/files/{token}/{quote(name or path.name, safe='')}"


def lifetime_words() -> str:
    return f"{LINK_LIFETIME.days} days"


def file_for(settings: Settings, token: str) -> Path | None:
    """The file a token names, if it is genuine, unexpired, inside DATA_DIR and still there."""
    try:
        relative = sealer(settings).open(token.encode(), ttl=int(LINK_LIFETIME.total_seconds()))
    except (InvalidToken, ValueError):
        return None
    root = settings.data_dir.resolve()
    path = (root / relative.decode()).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def download_routes(app: web.Application) -> None:
    """Add GET /files/{token}/{name} (once, whichever fronts ask for it)."""
    if app.get(_ADDED):
        return
    app[_ADDED] = True
    app.router.add_get(ROUTE, download)


async def download(request: web.Request) -> web.StreamResponse:
    settings = request.app[SERVICES].settings
    path = file_for(settings, request.match_info["token"])
    if path is None:
        log.info("refused a download link: expired, altered or its file is gone")
        return respond("This link no longer works", [
            Line(f"Download links work for {lifetime_words()} and only as they were sent."),
            Line("The file may also have been removed from the bot's machine. Ask in your chat for "
                 "the render again, or ask whoever runs the bot.", "next"),
        ], status=404)
    name = request.match_info["name"].replace('"', "")
    return web.FileResponse(path, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
        "Cache-Control": "private, no-store",
    })
