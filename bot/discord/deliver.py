"""The outbox on Discord: results and failures posted, progress edited in place, DMs sent.

Message ids are stored as "channel:message" so an edit needs no lookup. Short 429s are
absorbed by discord.py's rate-limit buckets; longer ones (and anything else that fails)
become a `DeliveryError` classified by bot/discord/failures.py: the relay tries again later,
posts a deleted progress message afresh (10008), or ends a message that can never arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import discord
from sqlalchemy import select

from bot.discord.failures import classify
from bot.discord.identity import FRONT
from bot.discord.posting import OPEN_DMS_HELP, DMClosed, channel_upload_limit, post_prepared, send_dm
from bot.discord.render import prepare, progress_content
from bot.discord.seen import Notice, notice_for
from bot.relay import DeliveryError, Envelope
from core.messages import Progress, Reply
from core.models import Job, Member, OutboxEvent, OutboxKind
from core.services import Services

log = logging.getLogger(__name__)

DM_RETRY_SECONDS = 600.0
TOO_LARGE = 40005
EPHEMERAL = 64
NOTICE_WAIT_SECONDS = 1.0


class DiscordDeliverer:
    front = FRONT

    def __init__(self, services: Services, client: discord.Client) -> None:
        self.services = services
        self.client = client

    async def send(self, envelope: Envelope) -> str | None:
        with _delivery_errors():
            if envelope.kind is OutboxKind.direct:
                return await self._direct(envelope)
            if isinstance(envelope.message, Reply) and envelope.message.private:
                return await self._private_to_requester(envelope)
            channel = self._channel(envelope.chat_ref)
            if isinstance(envelope.message, Progress):
                message = await channel.send(content=progress_content(envelope.message))
            else:
                message = await self._post(channel, envelope.message)
        return f"{message.channel.id}:{message.id}" if message else None

    async def edit(self, envelope: Envelope, message_id: str) -> None:
        channel_id, _, mid = message_id.partition(":")
        message = self._channel(channel_id).get_partial_message(int(mid))
        with _delivery_errors():
            if isinstance(envelope.message, Progress):
                await message.edit(content=progress_content(envelope.message))
                return
            text_only = envelope.message.model_copy(update={"attachments": []})
            prepared = await asyncio.to_thread(prepare, self.services, text_only, 0)
            kwargs = prepared.message()
            kwargs.pop("files")
            await message.edit(content=None, **kwargs)

    def _channel(self, chat_ref: str) -> discord.abc.Messageable:
        channel = self.client.get_channel(int(chat_ref))
        return channel if channel is not None else self.client.get_partial_messageable(int(chat_ref))  # type: ignore[return-value]

    async def _post(self, channel: discord.abc.Messageable, reply: Reply) -> discord.Message | None:
        """Within the guild's known limit; if Discord still says too large, swap the biggest file."""
        limit = channel_upload_limit(channel)
        while True:
            prepared = await asyncio.to_thread(prepare, self.services, reply, limit)
            try:
                return await post_prepared(self.services, channel.send, prepared)
            except discord.HTTPException as exc:
                if (exc.code != TOO_LARGE and exc.status != 413) or not prepared.uploads:
                    raise
                limit = max(upload.size for upload in prepared.uploads) - 1
                log.info("Discord refused an upload as too large; trying with files under %d bytes", limit)

    async def _private_to_requester(self, envelope: Envelope) -> str | None:
        """A private result of a job goes to the person who started it, never to the channel."""
        user_ref = await asyncio.to_thread(self._requester, envelope.event_id)
        if user_ref is None:
            raise DeliveryError("a private message with no one to send it to (its job has no requester)",
                                DM_RETRY_SECONDS)
        return await self._direct(Envelope(envelope.event_id, user_ref, OutboxKind.direct, envelope.key,
                                           envelope.message))

    def _requester(self, event_id: int) -> str | None:
        with self.services.db.session() as session:
            return session.scalar(
                select(Member.user_ref).join(Job, Job.requested_by == Member.id)
                .join(OutboxEvent, OutboxEvent.job_id == Job.id).where(OutboxEvent.id == event_id))

    async def _direct(self, envelope: Envelope) -> str | None:
        user_id = int(envelope.chat_ref)
        user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
        reply = envelope.message
        if isinstance(reply, Progress):
            reply = Reply(text=reply.line())
        try:
            message = await send_dm(self.services, user, reply)
        except DMClosed:
            if not await self._tell_dms_closed(envelope):
                raise DeliveryError("the member's DMs are closed; waiting for the command's answer first",
                                    NOTICE_WAIT_SECONDS) from None
            raise DeliveryError("the member's DMs are closed (Discord 50007); will try again",
                                DM_RETRY_SECONDS) from None
        return f"{message.channel.id}:{message.id}" if message else None

    async def _tell_dms_closed(self, envelope: Envelope) -> bool:
        """Tell the person how to open DMs, once per message; False while their command is unanswered."""
        notice, chat, token = await asyncio.to_thread(self._notice, envelope)
        if notice is Notice.wait:
            return False
        text = OPEN_DMS_HELP.format(again="I'll keep the message and send it once your DMs are open.")
        if notice is Notice.ephemeral and token and self.client.application_id:
            route = discord.http.Route("POST", "/webhooks/{webhook_id}/{webhook_token}",
                                       webhook_id=self.client.application_id, webhook_token=token)
            try:
                await self.client.http.request(route, json={"content": text, "flags": EPHEMERAL})
                return True
            except discord.HTTPException as exc:
                log.info("the interaction expired (%s); telling them in the channel instead", exc.status)
        if notice is not Notice.done:
            await self._channel(chat).send(f"<@{envelope.chat_ref}> " + text,
                                           allowed_mentions=discord.AllowedMentions(users=True))
        return True

    def _notice(self, envelope: Envelope) -> tuple[Notice, str, str | None]:
        with self.services.db.session() as session:
            return notice_for(session, envelope.chat_ref, envelope.event_id)


@contextlib.contextmanager
def _delivery_errors() -> Iterator[None]:
    try:
        yield
    except (discord.RateLimited, discord.HTTPException) as exc:
        raise classify(exc) from exc
