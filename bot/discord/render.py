"""Replies and progress as Discord messages: an embed, files within the upload limit, buttons.

A file over the chat's upload limit is replaced by its preview (each file is uploaded once,
even when the preview was attached already), and the note says how big it was, the limit
Discord set for that chat, and where the full file is: a download link (bot/downloads.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord

from bot import downloads
from bot.discord.choices import ChoiceButton, custom_id_for
from core.config import Settings
from core.messages import Attachment, Choice, Progress, Reply
from core.services import Services

MiB = 1024 * 1024
EMBED_DESCRIPTION_LIMIT = 4096
CONTENT_LIMIT = 2000
MAX_FILES = 10
MAX_BUTTONS = 25
ERROR_COLOUR = discord.Colour.red()
COLOUR = discord.Colour.blurple()


@dataclass(frozen=True)
class UploadLimit:
    """The largest file Discord takes in a place, in bytes, and that place in words
    ("this server's", "a direct message's")."""

    size: int
    place: str = "this chat's"


@dataclass(frozen=True)
class Upload:
    path: Path
    name: str
    kind: str
    size: int


@dataclass(frozen=True)
class Prepared:
    """A reply made ready off the event loop: files sized up, button ids recorded in the DB."""

    reply: Reply
    uploads: tuple[Upload, ...] = ()
    notes: tuple[str, ...] = ()
    buttons: tuple[tuple[str, Choice], ...] = field(default_factory=tuple)

    def message(self) -> dict[str, Any]:
        """Keyword arguments for send/edit/followup (build on the event loop: Views need it)."""
        text = "\n\n".join([self.reply.text, *self.notes])
        if len(text) > EMBED_DESCRIPTION_LIMIT:
            text = text[: EMBED_DESCRIPTION_LIMIT - 1] + "…"
        embed = discord.Embed(description=text, colour=ERROR_COLOUR if self.reply.error else COLOUR)
        files = [discord.File(u.path, filename=u.name) for u in self.uploads]
        image = next((u for u in self.uploads if u.kind == "image"), None)
        if image is not None:
            embed.set_image(url=f"attachment://{image.name}")
        kwargs: dict[str, Any] = {"embed": embed, "files": files}
        if self.buttons:
            view = discord.ui.View(timeout=None)
            for custom_id, choice in self.buttons:
                view.add_item(ChoiceButton(custom_id, choice.label, choice.emoji or None))
            kwargs["view"] = view
        return kwargs

    @property
    def reaction_choices(self) -> list[Choice]:
        return [c for c in self.reply.choices if c.emoji]


def prepare(
    services: Services, reply: Reply, upload_limit: UploadLimit, refused: frozenset[Path] = frozenset()
) -> Prepared:
    """Blocking part of rendering (file sizes, one-time codes); run it in a thread. `refused`
    are files Discord answered 413 for although they were within the known limit."""
    uploads, notes = fit_uploads(services.settings, reply.attachments, upload_limit, refused)
    buttons: list[tuple[str, Choice]] = []
    if reply.choices:
        with services.db.session() as session:
            seen: set[str] = set()
            for choice in reply.choices[:MAX_BUTTONS]:
                custom_id = custom_id_for(session, choice)
                if custom_id not in seen:
                    seen.add(custom_id)
                    buttons.append((custom_id, choice))
    return Prepared(reply, tuple(uploads), tuple(notes), tuple(buttons))


def fit_uploads(
    settings: Settings, attachments: list[Attachment], limit: UploadLimit,
    refused: frozenset[Path] = frozenset(),
) -> tuple[list[Upload], list[str]]:
    """Files within the limit go as they are; a bigger one is replaced by its preview, with a note
    saying why and where the full file is. No file is uploaded twice."""
    uploads: list[Upload] = []
    notes: list[str] = []
    for attachment in attachments[:MAX_FILES]:
        path = Path(attachment.path)
        name = attachment.name or path.name
        if not path.is_file():
            notes.append(f"{name} is no longer on the bot's disk, so it can't be attached.")
            continue
        size = path.stat().st_size
        if _fits(path, size, limit, refused):
            uploads.append(Upload(path, name, attachment.kind, size))
            continue
        preview = _preview(attachment, limit, refused)
        if preview is not None:
            uploads.append(preview)
        notes.append(_too_big(settings, path, name, size, limit, preview))
    return _once_each(uploads), notes


def _fits(path: Path, size: int, limit: UploadLimit, refused: frozenset[Path]) -> bool:
    return size <= limit.size and path not in refused


def _preview(attachment: Attachment, limit: UploadLimit, refused: frozenset[Path]) -> Upload | None:
    fallback = Path(attachment.fallback) if attachment.fallback else None
    if fallback is None or not fallback.is_file():
        return None
    size = fallback.stat().st_size
    return Upload(fallback, fallback.name, _kind_of(fallback), size) if _fits(
        fallback, size, limit, refused) else None


def _too_big(settings: Settings, path: Path, name: str, size: int, limit: UploadLimit,
             preview: Upload | None) -> str:
    """Why `name` is not attached, what is instead, and where the whole file is."""
    if size <= limit.size:
        why = f"Discord refused {name} ({size_text(size)}) as too large for this chat"
    else:
        why = f"{name} is {size_text(size)}, over {limit.place} {size_text(limit.size)} upload limit"
    instead = (f"its preview ({preview.name}) is attached instead" if preview is not None
               else "it has no preview small enough to attach instead")
    link = downloads.link_for(settings, path, name)
    where = (f"Download the full file (the link works for {downloads.lifetime_words()}): {link}" if link
             else f"The full file stays on the bot's machine as {path.name}.")
    return f"{why}: {instead}. {where}"


def _once_each(uploads: list[Upload]) -> list[Upload]:
    """A preview attached in its own right and as a stand-in is uploaded once."""
    seen: set[Path] = set()
    kept = []
    for upload in uploads:
        if upload.path.resolve() not in seen:
            seen.add(upload.path.resolve())
            kept.append(upload)
    return kept


def _kind_of(path: Path) -> str:
    return "image" if path.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp", ".gif"} else "file"


def size_text(size: int) -> str:
    """Sizes as Discord shows them: binary megabytes ("10 MB" is 10 MiB)."""
    if size < MiB:
        return f"{size // 1024} KB"
    if size % MiB == 0:
        return f"{size // MiB} MB"
    return f"{size / MiB:.1f} MB"


def progress_content(progress: Progress) -> str:
    return progress.line()[:CONTENT_LIMIT]
