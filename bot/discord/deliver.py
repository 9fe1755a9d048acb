"""The outbox on Discord: results and failures posted, progress edited in place, DMs sent.

Message ids are stored as "channel:message" so an edit needs no lookup. Short 429s are slept
by discord.py inside the request (the relay's lanes keep other channels moving); longer ones
(`RateLimited`) and anything else that fails become a `DeliveryError` classified by
bot/discord/failures.py. A message the bot may not post (50013 / 50001) ends, and whoever
started its job is told which permission is missing where (bot/discord/permissions.py) and
gets the message privately. A file Discord refuses as too large (413) is replaced by its
preview under the limit Discord states for the server, fetched afresh.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import discord
from sqlalchemy import select

from bot.discord.failures import MISSING_PERMISSION, classify, token_gone
from bot.discord.identity import FRONT
from bot.discord.notices import Notifier
from bot.discord.permissions import MissingPermission, explain
from bot.discord.posting import OPEN_DMS_HELP, DMClosed, channel_upload_limit, post_prepared, send_dm
from bot.discord.render import UploadLimit, prepare, progress_content
from bot.discord.seen import Notice, notice_for, unanswered
from bot.relay import DeliveryError, Envelope
from core.messages import Progress, Reply
from core.models import Job, Member, OutboxEvent, OutboxKind, utcnow
from core.outbox import Undeliverable
from core.services import Services

log = logging.getLogger(__name__)

DM_RETRY_SECONDS = 600.0
TOO_LARGE = 40005
NOTICE_WAIT_SECONDS = 1.0
SHOWN_HERE = ("Your DMs are closed to me, so here it is where only you can see it. To get messages like "
              "this by DM, open them: click the server's name → Privacy Settings → Direct Messages.")


class DiscordDeliverer:
    front = FRONT

    def __init__(self, services: Services, client: discord.Client) -> None:
        self.services = services
        self.client = client
        self.notifier = Notifier(services, client)

    async def send(self, envelope: Envelope) -> str | None:
        try:
            message = await self._send(envelope)
        except (discord.RateLimited, discord.HTTPException) as exc:
            raise await self._refusal(envelope, exc) from exc
        return f"{message.channel.id}:{message.id}" if message else None

    async def edit(self, envelope: Envelope, message_id: str) -> None:
        channel_id, _, mid = message_id.partition(":")
        message = self._channel(channel_id).get_partial_message(int(mid))
        try:
            if isinstance(envelope.message, Progress):
                await message.edit(content=progress_content(envelope.message))
                return
            text_only = envelope.message.model_copy(update={"attachments": []})
            prepared = await asyncio.to_thread(prepare, self.services, text_only, UploadLimit(0))
            kwargs = prepared.message()
            kwargs.pop("files")
            await message.edit(content=None, **kwargs)
        except (discord.RateLimited, discord.HTTPException) as exc:
            raise await self._refusal(envelope, exc) from exc

    async def _send(self, envelope: Envelope) -> discord.Message | None:
        if envelope.kind is OutboxKind.direct:
            return await self._direct(envelope)
        if isinstance(envelope.message, Reply) and envelope.message.private:
            return await self._private_to_requester(envelope)
        channel = self._channel(envelope.chat_ref)
        if isinstance(envelope.message, Progress):
            return await channel.send(content=progress_content(envelope.message))
        return await self._post(channel, envelope.message)

    def _channel(self, chat_ref: str) -> discord.abc.Messageable:
        channel = self.client.get_channel(int(chat_ref))
        return channel if channel is not None else self.client.get_partial_messageable(int(chat_ref))  # type: ignore[return-value]

    async def _refusal(self, envelope: Envelope, error: discord.DiscordException) -> DeliveryError:
        if (isinstance(error, discord.HTTPException) and error.code in MISSING_PERMISSION
                and envelope.kind is not OutboxKind.direct):
            return await self._not_allowed(envelope, error)
        return classify(error)

    async def _post(self, channel: discord.abc.Messageable, reply: Reply) -> discord.Message | None:
        """Within the server's limit; if Discord still says too large, ask it for the server's limit
        again, and failing that swap the biggest file for its preview."""
        limit = channel_upload_limit(channel)
        refused: set[Path] = set()
        while True:
            prepared = await asyncio.to_thread(prepare, self.services, reply, limit, frozenset(refused))
            try:
                return await post_prepared(self.services, channel.send, prepared)
            except discord.HTTPException as exc:
                if (exc.code != TOO_LARGE and exc.status != 413) or not prepared.uploads:
                    raise
                fresh = await self._fresh_limit(channel, limit)
                biggest = max(prepared.uploads, key=lambda upload: upload.size)
                if fresh.size < limit.size:
                    limit = fresh
                else:
                    refused.add(biggest.path)
                log.info("Discord refused %s (%d bytes) as too large; the server's limit is %d bytes",
                         biggest.name, biggest.size, limit.size)

    async def _fresh_limit(self, channel: discord.abc.Messageable, known: UploadLimit) -> UploadLimit:
        """The server's upload limit as Discord states it now (its boost tier may have dropped)."""
        guild = getattr(channel, "guild", None)
        if guild is None:
            return known
        try:
            fetched = await self.client.fetch_guild(guild.id)
        except discord.HTTPException as exc:
            log.info("could not ask Discord for server %s's upload limit: %s", guild.id, exc)
            return known
        return UploadLimit(fetched.filesize_limit, known.place)

    async def _not_allowed(self, envelope: Envelope, error: discord.HTTPException) -> DeliveryError:
        """The bot may not post this there: end it, and tell whoever asked what is missing where."""
        message = envelope.message
        channel = self._channel(envelope.chat_ref)
        files = isinstance(message, Reply) and bool(message.attachments)
        why = explain(channel, error.code, embeds=isinstance(message, Reply), files=files)
        reason = (Undeliverable.bot_removed if getattr(channel, "guild", None) is None and error.code != 50013
                  else Undeliverable.no_permission)
        try:
            await self._tell_requester(envelope, why)
        except discord.HTTPException as exc:
            log.warning("could not tell the requester of outbox event %s that %s: %s", envelope.event_id,
                        why.phrase, exc)
        return DeliveryError.permanent(f"{why.phrase} (Discord {error.status} / {error.code})", reason)

    async def _tell_requester(self, envelope: Envelope, why: MissingPermission) -> None:
        user_ref = await asyncio.to_thread(self._requester, envelope.event_id)
        if user_ref is None:
            log.warning("outbox event %s can't be posted (%s) and has no requester to tell",
                        envelope.event_id, why.phrase)
            return
        bot = self.client.user.name if self.client.user else "the bot"
        message = envelope.message
        if isinstance(message, Progress):
            notice = Reply(text=f"I can't post the progress of job #{message.job_id} in {why.where}: I don't "
                                f"have {why.lacking} there. {why.fix(bot)} If its result can't be posted "
                                "there either, I'll send it to you privately.", error=True)
        else:
            notice = message.model_copy(update={
                "text": f"I couldn't post this in {why.where}: I don't have {why.lacking} there. "
                        f"{why.fix(bot)} Here it is, only for you:\n\n{message.text}",
                "choices": [], "private": True})
        await self.notifier.privately(user_ref, notice)

    async def _private_to_requester(self, envelope: Envelope) -> discord.Message | None:
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

    async def _direct(self, envelope: Envelope) -> discord.Message | None:
        """A DM. It waits for the person's command to be answered first (a notice about closed DMs
        must not take that answer's place); a message that expires is never sent late."""
        message = envelope.message
        reply = message if isinstance(message, Reply) else Reply(text=message.line())
        if reply.expires_at is not None and reply.expires_at <= utcnow():
            reply = _expired(reply)
        if await asyncio.to_thread(self._unanswered, envelope.chat_ref):
            raise DeliveryError("waiting for the person's command to be answered first", NOTICE_WAIT_SECONDS)
        user_id = int(envelope.chat_ref)
        user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
        try:
            return await send_dm(self.services, user, reply)
        except DMClosed:
            if reply.expires_at is not None:
                return await self._expiring_not_dmed(envelope, reply)
            await self._tell_dms_closed(envelope)
            raise DeliveryError("the member's DMs are closed (Discord 50007); will try again",
                                DM_RETRY_SECONDS) from None

    async def _expiring_not_dmed(self, envelope: Envelope, reply: Reply) -> discord.Message | None:
        """A message that will expire (a one-time link) is never retried with DMs closed: it is shown
        to the person alone under their command while it is on screen; otherwise they are told in
        the channel to open their DMs and run the command again for a fresh one."""
        notice, chat, token = await asyncio.to_thread(self._notice, envelope)
        if notice is Notice.ephemeral and token:
            try:
                return await self.notifier.ephemeral(token, reply.model_copy(
                    update={"text": f"{SHOWN_HERE}\n\n{reply.text}"}))
            except discord.HTTPException as exc:
                if not token_gone(exc):
                    raise
                log.info("the interaction expired (%s); telling them in the channel instead", exc.status)
        if chat and notice is not Notice.done:
            again = (f"once they are open, run {reply.renew} again." if reply.renew
                     else "once they are open, ask again.")
            await self._channel(chat).send(f"<@{envelope.chat_ref}> " + OPEN_DMS_HELP.format(again=again),
                                           allowed_mentions=discord.AllowedMentions(users=True))
        raise DeliveryError.permanent("the member's DMs are closed (Discord 50007) and the message expires "
                                      "before a retry could reach them", Undeliverable.dms_closed)

    async def _tell_dms_closed(self, envelope: Envelope) -> None:
        """Tell the person how to open DMs, once per message."""
        notice, chat, token = await asyncio.to_thread(self._notice, envelope)
        text = OPEN_DMS_HELP.format(again="I'll keep the message and send it once your DMs are open.")
        if notice is Notice.ephemeral and token:
            try:
                await self.notifier.ephemeral(token, Reply(text=text, error=True))
                return
            except discord.HTTPException as exc:
                log.info("the interaction expired (%s); telling them in the channel instead", exc.status)
        if chat and notice not in (Notice.done, Notice.wait):
            await self._channel(chat).send(f"<@{envelope.chat_ref}> " + text,
                                           allowed_mentions=discord.AllowedMentions(users=True))

    def _notice(self, envelope: Envelope) -> tuple[Notice, str, str | None]:
        with self.services.db.session() as session:
            return notice_for(session, envelope.chat_ref, envelope.event_id)

    def _unanswered(self, user_ref: str) -> bool:
        with self.services.db.session() as session:
            return unanswered(session, user_ref)


def _expired(reply: Reply) -> Reply:
    """What a person gets instead of a one-time link that expired before it could be delivered."""
    again = f" Run {reply.renew} for a new one." if reply.renew else ""
    return Reply(text=f"I had a one-time link for you, but it expired before I could deliver it.{again}")
