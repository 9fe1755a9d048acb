"""Files people attach to a command: fetched with getFile into DATA_DIR/uploads under a new name."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from telegram import Message
from telegram.error import TelegramError

from bot.telegram.client import MB
from core.commands.registry import CommandError
from core.config import Settings

_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")
_MIME_SUFFIX = {"video/mp4": ".mp4", "video/quicktime": ".mov", "video/webm": ".webm",
                "audio/mpeg": ".mp3", "image/png": ".png", "image/jpeg": ".jpg"}


def has_file(message: Message) -> bool:
    return any((message.document, message.video, message.audio, message.animation))


async def fetch(message: Message, settings: Settings, download_limit: int | None) -> Path:
    """Download the message's file; its name on disk is generated, never the sender's."""
    media = message.video or message.document or message.audio or message.animation
    if media is None:
        raise CommandError("There is no file on that message.")
    if download_limit and (media.file_size or 0) > download_limit:
        raise CommandError(
            f"That file is {media.file_size / MB:.0f} MB; Telegram only lets bots fetch files up to "
            f"{download_limit // MB} MB. Send a shorter clip, or run a self-hosted Bot API server "
            "(TELEGRAM_API_BASE_URL) to lift the limit."
        )
    target_dir = settings.data_dir / "uploads"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"tg-{uuid.uuid4().hex}{_suffix(media)}"
    try:
        telegram_file = await media.get_file()
        await telegram_file.download_to_drive(target)
    except TelegramError as exc:
        target.unlink(missing_ok=True)
        raise CommandError(f"I couldn't fetch that file from Telegram ({exc.message}); "
                           "send it again.") from None
    return target


def _suffix(media: object) -> str:
    name = getattr(media, "file_name", None) or ""
    suffix = Path(name).suffix
    if _SUFFIX.match(suffix):
        return suffix.lower()
    return _MIME_SUFFIX.get(getattr(media, "mime_type", None) or "", ".bin")
