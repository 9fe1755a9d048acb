"""Telegram people and chats as `core.identity.Caller`s: a group is a workspace, so is a private chat."""

from __future__ import annotations

import time

from telegram import Bot, Chat, ChatMember, User

from core.identity import Caller

FRONT = "telegram"
ADMIN_STATUSES = frozenset({ChatMember.ADMINISTRATOR, ChatMember.OWNER})
ADMIN_CACHE_SECONDS = 60.0


class Callers:
    """Turns (chat, user) into a Caller; group administrators are found with getChatMember, cached
    briefly so a busy group doesn't cost one API call per message."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._admins: dict[tuple[int, int], tuple[float, bool]] = {}

    async def caller(self, chat: Chat, user: User, *, as_chat: Chat | None = None) -> Caller:
        """`as_chat` is the sender_chat of a message an anonymous administrator posted as the
        group itself: only administrators can do that."""
        anonymous_admin = as_chat is not None and as_chat.id == chat.id
        return Caller(
            front=FRONT,
            workspace_ref=str(chat.id),
            chat_ref=str(chat.id),
            user_ref=str(user.id),
            user_name=user.full_name or user.username or str(user.id),
            workspace_name=chat.title or user.full_name or "private chat",
            platform_admin=anonymous_admin or await self.is_admin(chat, user),
        )

    async def is_admin(self, chat: Chat, user: User) -> bool:
        """True in a private chat (it is the person's own workspace) and for group admins."""
        if chat.type == Chat.PRIVATE:
            return True
        key = (chat.id, user.id)
        cached = self._admins.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        member = await self.bot.get_chat_member(chat.id, user.id)
        admin = member.status in ADMIN_STATUSES
        self._admins[key] = (time.monotonic() + ADMIN_CACHE_SECONDS, admin)
        return admin
