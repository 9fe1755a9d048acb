"""Telegram updates in, `run_text` calls through, replies out.

Commands are typed lines parsed by the same parser as the console (a file's caption counts
as a command line); buttons carry short keys that name the command they run; /start with a
payload is a deep link that delivers waiting private messages.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import CallbackQuery, Chat, Message, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import CallbackContext

from bot.telegram import uploads
from bot.telegram.callers import FRONT, Callers
from bot.telegram.client import retry_seconds
from bot.telegram.codes import ChoiceTarget, choice_target, use_dm_code
from bot.telegram.deliver import TelegramDeliverer
from bot.telegram.sender import ReplySender
from core import chats, outbox
from core.commands.parser import parse_line
from core.commands.registry import CommandError, get_command
from core.identity import Caller, resolve
from core.invoke import run_text
from core.messages import Reply
from core.models import OneTimeCode, OutboxKind, utcnow
from core.services import Services

log = logging.getLogger(__name__)

MAX_ANSWER = 200
STALE_BUTTON = "This button no longer works; run the command again."
PRESS_FAILED = "That didn't work this time; press the button again in a moment."
WELCOME = ("Hi, I'm ettametta: I turn videos into shorts, propose titles and publish them. "
           "/help lists the commands; attach a video with a command as its caption to work on it.")


class Handlers:
    def __init__(
        self,
        services: Services,
        callers: Callers,
        sender: ReplySender,
        deliverer: TelegramDeliverer,
        download_limit: int | None,
    ) -> None:
        self.services = services
        self.callers = callers
        self.sender = sender
        self.deliverer = deliverer
        self.download_limit = download_limit

    async def on_command(self, update: Update, context: CallbackContext) -> None:
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        text = (message.text or message.caption or "").strip()
        head = text.split(maxsplit=1)[0] if text.startswith("/") else ""
        if not head or not self._for_me(head, context):
            return
        if head.split("@", 1)[0].lower() == "/start":
            await self.on_start(message, text)
            return
        caller = await self.callers.caller(message.chat, message.from_user, as_chat=message.sender_chat)
        attachments: list[str] = []
        if uploads.has_file(message) and await asyncio.to_thread(self._may_run, caller, text):
            try:
                path = await uploads.fetch(message, self.services.settings, self.download_limit)
            except CommandError as exc:
                await self.respond(message.chat, caller, Reply(text=str(exc), error=True), message.message_id)
                return
            attachments.append(str(path))
        reply = await asyncio.to_thread(run_text, self.services, caller, text, attachments)
        await self.respond(message.chat, caller, reply, message.message_id)

    def _may_run(self, caller: Caller, text: str) -> bool:
        """Fetch a file only for a command the sender may run; run_text words the refusal."""
        try:
            command = get_command(parse_line(text).name)
        except CommandError:
            return False
        if command is None:
            return False
        with self.services.db.session() as session:
            return resolve(session, caller).role >= command.min_role

    def _for_me(self, head: str, context: CallbackContext) -> bool:
        """`/help@other_bot` in a group is meant for another bot."""
        _, _, mention = head.partition("@")
        return not mention or mention.lower() == (context.bot.username or "").lower()

    async def on_start(self, message: Message, text: str) -> None:
        """Plain /start greets; /start CODE (a deep link) also delivers what was waiting."""
        payload = text.split(maxsplit=1)[1].strip() if " " in text else ""
        await self.sender.send(str(message.chat.id), Reply(text=WELCOME))
        if message.chat.type != Chat.PRIVATE or message.from_user is None:
            return
        user_ref = str(message.from_user.id)
        event_id = await asyncio.to_thread(self._claim_code, payload, user_ref) if payload else None
        delivered = await self.deliverer.deliver_waiting(user_ref, event_id)
        if payload and not delivered:
            await self.sender.send(user_ref, Reply(text="Nothing is waiting for you here any more."))

    def _claim_code(self, code: str, user_ref: str) -> int | None:
        with self.services.db.session() as session:
            if not use_dm_code(session, code, user_ref):
                return None
            return session.get_one(OneTimeCode, code).data.get("event_id")

    async def on_migrate(self, update: Update, context: CallbackContext) -> None:
        """A group that becomes a supergroup gets a new chat id; everything bound to it moves.

        Telegram tells both chats (the old one names the new id, the new one the old id); the
        move is the same either way and safe to make twice.
        """
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id is not None:
            old, new = str(message.chat.id), str(message.migrate_to_chat_id)
        elif message.migrate_from_chat_id is not None:
            old, new = str(message.migrate_from_chat_id), str(message.chat.id)
        else:
            return
        await asyncio.to_thread(self._migrate, old, new)

    def _migrate(self, old: str, new: str) -> None:
        with self.services.db.session() as session:
            chats.move(session, FRONT, old, new)

    async def on_callback(self, update: Update, context: CallbackContext) -> None:
        """A button press runs its command as the presser; the press is always answered, even
        when something fails, so the person's client never spins."""
        query = update.callback_query
        if query is None:
            return
        answer, alert = PRESS_FAILED, True
        pressed: tuple[Caller, Reply] | None = None
        try:
            pressed = await self._press(query)
            reply = pressed[1] if pressed else Reply(text=STALE_BUTTON, error=True)
            first_line = reply.text.splitlines()[0] if reply.text else ""
            answer, alert = (reply.text if reply.error else first_line), reply.error
        finally:
            await _answer(query, answer, alert)
        if pressed is not None and not pressed[1].error and query.message is not None:
            await self.respond(query.message.chat, pressed[0], pressed[1], None)

    async def _press(self, query: CallbackQuery) -> tuple[Caller, Reply] | None:
        """Run the button's command as the presser; None when the key is unknown or foreign."""
        message = query.message
        target = await asyncio.to_thread(self._choice, query.data or "")
        if message is None or target is None or target.chat != str(message.chat.id):
            return None
        caller = await self.callers.caller(message.chat, query.from_user)
        return caller, await asyncio.to_thread(run_text, self.services, caller, target.command)

    def _choice(self, key: str) -> ChoiceTarget | None:
        with self.services.db.session() as session:
            return choice_target(session, key)

    async def respond(self, chat: Chat, caller: Caller, reply: Reply, reply_to: int | None) -> None:
        """Answer in the chat; private replies in a group go to the person's private chat."""
        if reply.private and chat.type != Chat.PRIVATE:
            await asyncio.to_thread(self._post_direct, caller, reply)
            await self.sender.send(str(chat.id), Reply(text="I'm sending you that in a private chat."),
                                   reply_to=reply_to)
            return
        try:
            await self.sender.send(str(chat.id), reply, reply_to=reply_to)
        except (RetryAfter, NetworkError) as exc:
            log.info("reply to chat %s deferred to the outbox: %s", chat.id, exc)
            delay = retry_seconds(exc) if isinstance(exc, RetryAfter) else 0.0
            await asyncio.to_thread(self._post_later, caller, reply, delay)

    def _post_direct(self, caller: Caller, reply: Reply) -> None:
        with self.services.db.session() as session:
            identity = resolve(session, caller)
            outbox.post(session, FRONT, caller.user_ref, reply.model_copy(update={"private": True}),
                        workspace_id=identity.workspace_id, kind=OutboxKind.direct)

    def _post_later(self, caller: Caller, reply: Reply, delay: float) -> None:
        """The relay delivers it once Telegram's retry_after has passed."""
        with self.services.db.session() as session:
            identity = resolve(session, caller)
            event = outbox.post(session, FRONT, caller.chat_ref, reply, workspace_id=identity.workspace_id)
            event.next_attempt_at = utcnow() + timedelta(seconds=delay)


async def _answer(query: CallbackQuery, text: str, alert: bool) -> None:
    """A press too old to answer (Telegram allows about 15 minutes) must not hide its result."""
    try:
        await query.answer(text[:MAX_ANSWER] or None, show_alert=alert)
    except BadRequest as exc:
        log.info("could not answer a button press: %s", exc.message)


async def log_error(update: object, context: CallbackContext) -> None:
    """PTB's error hook: handler failures are logged, never shown raw to users."""
    error = context.error
    if isinstance(error, TelegramError):
        log.warning("Telegram API error while handling an update: %s", error)
    else:
        log.error("handling a Telegram update failed", exc_info=error)
