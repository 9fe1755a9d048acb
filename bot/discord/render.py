"""Replies and progress as Discord messages: an embed, files within the upload limit, buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord

from bot.discord.choices import ChoiceButton, custom_id_for
from core.messages import Attachment, Choice, Progress, Reply
from core.services import Services

DEFAULT_UPLOAD_LIMIT = 20 * 1024 * 1024
EMBED_DESCRIPTION_LIMIT = 4096
CONTENT_LIMIT = 2000
MAX_FILES = 10
MAX_BUTTONS = 25
ERROR_COLOUR = discord.Colour.red()
COLOUR = discord.Colour.blurple()


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


def prepare(services: Services, reply: Reply, upload_limit: int) -> Prepared:
    """Blocking part of rendering (file sizes, one-time codes); run it in a thread."""
    uploads, notes = fit_uploads(reply.attachments, upload_limit)
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


def fit_uploads(attachments: list[Attachment], limit: int) -> tuple[list[Upload], list[str]]:
    """Files within the limit go as they are; a bigger one is replaced by its preview, with a note."""
    uploads: list[Upload] = []
    notes: list[str] = []
    for attachment in attachments[:MAX_FILES]:
        path = Path(attachment.path)
        name = attachment.name or path.name
        if not path.is_file():
            notes.append(f"{name} is no longer on the bot's disk, so it can't be attached.")
            continue
        size = path.stat().st_size
        if size <= limit:
            uploads.append(Upload(path, name, attachment.kind, size))
            continue
        fallback = Path(attachment.fallback) if attachment.fallback else None
        if fallback is not None and fallback.is_file() and fallback.stat().st_size <= limit:
            uploads.append(Upload(fallback, fallback.name, _kind_of(fallback), fallback.stat().st_size))
            notes.append(f"{name} is {size_text(size)}, over this chat's {size_text(limit)} upload "
                         f"limit: here is its preview ({fallback.name}) instead.")
        else:
            notes.append(f"{name} is {size_text(size)}, over this chat's {size_text(limit)} upload "
                         "limit, and has no smaller preview to send instead.")
    return uploads, notes


def _kind_of(path: Path) -> str:
    return "image" if path.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp", ".gif"} else "file"


def size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def progress_content(progress: Progress) -> str:
    return progress.line()[:CONTENT_LIMIT]
