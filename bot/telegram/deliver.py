"""The outbox deliverer: worker results, progress edits and private messages for Telegram.

A private message to someone who never started the bot fails with 403; the group then gets
a deep link (`t.me/<bot>?start=<code>`) and the message waits in the outbox until they
press Start (see `deliver_waiting`), so nothing is lost. Every other refusal is classified
by bot/telegram/failures.py: a group upgraded to a supergroup is followed, a deleted progress
message is posted afresh, a chat the bot can never reach again ends the event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.relay import DeliveryError, Envelope
from bot.telegram.callers import FRONT
from bot.telegram.codes import dm_code
from bot.telegram.failures import classify
from bot.telegram.sender import ReplySender
from core import outbox
from core.messages import Progress, Reply
from core.models import Job, Member, OutboxEvent, OutboxKind, Workspace
from core.services import Services

log = logging.getLogger(__name__)

DM_REMINDER_SECONDS = 24 * 3600
REMEMBERED_MESSAGES = 2000


@dataclass(frozen=True)
class PrivateRoute:
    """Where a private message goes, and the group that may carry its deep link."""

    user_ref: str
    group_ref: str | None
    user_name: str


class TelegramDeliverer:
    front = FRONT

    def __init__(self, services: Services, bot: Bot, sender: ReplySender) -> None:
        self.services = services
        self.bot = bot
        self.sender = sender
        self._shown: OrderedDict[tuple[str, str], str] = OrderedDict()

    def _remember(self, key: tuple[str, str], text: str) -> None:
        """What each recent message shows, so a no-op edit is skipped without asking Telegram."""
        self._shown[key] = text
        self._shown.move_to_end(key)
        while len(self._shown) > REMEMBERED_MESSAGES:
            self._shown.popitem(last=False)

    async def send(self, envelope: Envelope) -> str | None:
        message = envelope.message
        if isinstance(message, Progress):
            with _classified(envelope.chat_ref):
                sent = await self.bot.send_message(envelope.chat_ref, message.line())
            self._remember((envelope.chat_ref, str(sent.message_id)), message.line())
            return str(sent.message_id)
        if envelope.kind is OutboxKind.direct or message.private:
            return await self._send_private(envelope, message)
        with _classified(envelope.chat_ref):
            return str((await self.sender.send(envelope.chat_ref, message)).message_id)

    async def edit(self, envelope: Envelope, message_id: str) -> None:
        """Replace a progress message's text, skipping edits that would change nothing."""
        message = envelope.message
        text = message.line() if isinstance(message, Progress) else message.text
        shown_key = (envelope.chat_ref, message_id)
        if self._shown.get(shown_key) == text:
            return
        markup = None
        if isinstance(message, Reply) and message.choices:
            markup = await self.sender.keyboard(envelope.chat_ref, message.choices)
        with _classified(envelope.chat_ref):
            try:
                await self.bot.edit_message_text(text, chat_id=envelope.chat_ref, message_id=int(message_id),
                                                 reply_markup=markup)
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    raise
        self._remember(shown_key, text)

    async def _send_private(self, envelope: Envelope, reply: Reply) -> str | None:
        route = await asyncio.to_thread(self._route, envelope)
        if route is None:
            log.warning("outbox event %s is private but names no recipient; not posted in the group",
                        envelope.event_id)
            return None
        with _classified(route.user_ref):
            try:
                return str((await self.sender.send(route.user_ref, reply)).message_id)
            except Forbidden as exc:
                if route.group_ref is None or "initiate" not in exc.message.lower():
                    raise
        code = await asyncio.to_thread(self._code, envelope.event_id, route.user_ref)
        link = f"{self.services.settings.telegram_link_url.rstrip('/')}/{self.bot.username}?start={code}"
        with _classified(route.group_ref):
            await self.bot.send_message(
                route.group_ref,
                f"{route.user_name}, I have a private message for you. Open {link} and press Start: "
                "it will arrive there.",
            )
        raise DeliveryError("waiting for the person to start a private chat (deep link posted)",
                            DM_REMINDER_SECONDS)

    def _route(self, envelope: Envelope) -> PrivateRoute | None:
        with self.services.db.session() as session:
            event = session.get_one(OutboxEvent, envelope.event_id)
            workspace = session.get(Workspace, event.workspace_id) if event.workspace_id else None
            group = workspace.external_id if workspace and workspace.external_id.startswith("-") else None
            user_ref: str | None = event.chat_ref
            if envelope.kind is not OutboxKind.direct:
                job = session.get(Job, event.job_id) if event.job_id else None
                requester = session.get(Member, job.requested_by) if job and job.requested_by else None
                user_ref = requester.user_ref if requester else None
                group = event.chat_ref if event.chat_ref.startswith("-") else group
            if user_ref is None:
                return None
            name = session.scalar(select(Member.display_name).where(
                Member.workspace_id == event.workspace_id, Member.user_ref == user_ref))
            return PrivateRoute(user_ref, group, name or "Hello")

    def _code(self, event_id: int, user_ref: str) -> str:
        with self.services.db.session() as session:
            return dm_code(session, session.get_one(OutboxEvent, event_id), user_ref)

    async def deliver_waiting(self, user_ref: str, event_id: int | None = None) -> int:
        """Deliver the private messages waiting for this person, who just started the bot:
        their direct messages, and the event their deep link named."""
        waiting = await asyncio.to_thread(self._waiting, user_ref, event_id)
        for event_id, payload in waiting:
            sent = await self.sender.send(user_ref, Reply.model_validate(payload))
            await asyncio.to_thread(self._delivered, event_id, str(sent.message_id))
        return len(waiting)

    def _waiting(self, user_ref: str, event_id: int | None) -> list[tuple[int, dict]]:
        mine = (OutboxEvent.kind == OutboxKind.direct) & (OutboxEvent.chat_ref == user_ref)
        if event_id is not None:
            mine = mine | (OutboxEvent.id == event_id)
        with self.services.db.session() as session:
            events = session.scalars(select(OutboxEvent).where(
                OutboxEvent.front == FRONT, OutboxEvent.delivered_at.is_(None), mine,
            ).order_by(OutboxEvent.id)).all()
            return [(event.id, dict(event.payload)) for event in events]

    def _delivered(self, event_id: int, message_id: str) -> None:
        with self.services.db.session() as session:
            outbox.mark_delivered(session, event_id, message_id)


@contextlib.contextmanager
def _classified(chat_ref: str) -> Iterator[None]:
    """Telegram's refusals of a message for `chat_ref` as the relay's `DeliveryError`s."""
    try:
        yield
    except TelegramError as exc:
        raise classify(exc, chat_ref) from exc
