"""A `Reply` as Telegram messages: files first, then the text with its choices as a keyboard.

Files over the upload limit are replaced by their preview (`Attachment.fallback`) with a
note saying why; text longer than a Telegram message is split.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters

from bot.telegram.client import MB, PHOTO_LIMIT
from bot.telegram.codes import choice_key
from core.messages import Attachment, Choice, Reply
from core.services import Services

MAX_TEXT = 4096
MAX_CAPTION = 1024
BUTTONS_PER_ROW = 3
SHORT_LABEL = 12
_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})


class ReplySender:
    def __init__(self, services: Services, bot: Bot, upload_limit: int) -> None:
        self.services = services
        self.bot = bot
        self.upload_limit = upload_limit

    async def send(self, chat_id: str, reply: Reply, *, reply_to: int | None = None) -> Message:
        """Send the whole reply; returns the text message (the one later edits replace)."""
        for attachment in reply.attachments:
            await self._send_attachment(chat_id, attachment)
        markup = await self.keyboard(chat_id, reply.choices) if reply.choices else None
        chunks = split_text(reply.text or "Done.")
        message: Message | None = None
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            message = await self.bot.send_message(
                chat_id, chunk, reply_markup=markup if last else None,
                reply_parameters=_reply_to(reply_to) if index == 0 else None,
            )
        assert message is not None
        return message

    async def keyboard(self, chat_id: str, choices: list[Choice]) -> InlineKeyboardMarkup:
        keys = await asyncio.to_thread(self._keys, chat_id, [c.command for c in choices])
        buttons = [InlineKeyboardButton(_label(choice), callback_data=key)
                   for choice, key in zip(choices, keys, strict=True)]
        return InlineKeyboardMarkup(_rows(buttons, choices))

    def _keys(self, chat_id: str, commands: list[str]) -> list[str]:
        with self.services.db.session() as session:
            return [choice_key(session, chat_id, command) for command in commands]

    async def _send_attachment(self, chat_id: str, attachment: Attachment) -> None:
        path = Path(attachment.path)
        name = attachment.name or path.name
        if not path.is_file():
            await self.bot.send_message(chat_id, f"({name} is no longer on the bot's disk.)")
            return
        size = path.stat().st_size
        if size <= self.upload_limit:
            await self._upload(chat_id, path, attachment.kind, name, caption="")
            return
        note = (f"{name} is {size / MB:.0f} MB, over the {self.upload_limit // MB} MB a bot may "
                "upload here")
        fallback = Path(attachment.fallback) if attachment.fallback else None
        if fallback and fallback.is_file() and fallback.stat().st_size <= self.upload_limit:
            kind = "image" if fallback.suffix.lower() in _IMAGE_SUFFIXES else "video"
            await self._upload(chat_id, fallback, kind, fallback.name,
                               caption=f"{note}; here is the preview.")
        else:
            await self.bot.send_message(chat_id, f"{note}, and there is no preview to send instead.")

    async def _upload(self, chat_id: str, path: Path, kind: str, name: str, caption: str) -> None:
        caption = caption[:MAX_CAPTION] or None  # type: ignore[assignment]
        if kind == "video":
            await self.bot.send_video(chat_id, path, caption=caption, filename=name,
                                      supports_streaming=True)
        elif kind == "image" and path.stat().st_size <= PHOTO_LIMIT:
            await self.bot.send_photo(chat_id, path, caption=caption, filename=name)
        else:
            await self.bot.send_document(chat_id, path, caption=caption, filename=name)


def _reply_to(message_id: int | None) -> ReplyParameters | None:
    return ReplyParameters(message_id, allow_sending_without_reply=True) if message_id else None


def _label(choice: Choice) -> str:
    return f"{choice.emoji} {choice.label}".strip()


def _rows(buttons: list[InlineKeyboardButton], choices: list[Choice]) -> list[list[InlineKeyboardButton]]:
    """Short labels (pick 1, 2, 3…) share rows; long ones get a row each."""
    rows: list[list[InlineKeyboardButton]] = []
    for button, choice in zip(buttons, choices, strict=True):
        short = len(_label(choice)) <= SHORT_LABEL
        if short and rows and len(rows[-1]) < BUTTONS_PER_ROW and len(rows[-1][0].text) <= SHORT_LABEL:
            rows[-1].append(button)
        else:
            rows.append([button])
    return rows


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split at line ends where possible so no message exceeds Telegram's 4096 characters."""
    chunks: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    chunks.append(text)
    return chunks
