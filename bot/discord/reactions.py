"""A reaction on one of our messages picks the choice with that emoji, as the person who reacted.

Uses `on_raw_reaction_add`, which fires for messages posted before a restart too; what each
emoji means is read from the database. A reaction the core refuses (wrong role) is removed.
"""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.discord.choices import reaction_command
from bot.discord.identity import caller_for
from bot.discord.posting import OPEN_DMS_HELP, DMClosed, channel_upload_limit, post, send_dm
from bot.discord.seen import remember
from core.identity import Caller
from core.invoke import run_text
from core.messages import Reply
from core.services import Services

log = logging.getLogger(__name__)


class ReactionHandler:
    def __init__(self, services: Services, client: discord.Client) -> None:
        self.services = services
        self.client = client

    async def added(self, event: discord.RawReactionActionEvent) -> None:
        if self.client.user is None or event.user_id == self.client.user.id:
            return
        text = await asyncio.to_thread(self._command_for, event.message_id, str(event.emoji))
        if text is None:
            return
        user = event.member or self.client.get_user(event.user_id)
        if user is None:
            user = await self.client.fetch_user(event.user_id)
        caller = caller_for(user, event.channel_id)
        reply = await asyncio.to_thread(self._run, caller, text)
        channel = self.client.get_channel(event.channel_id) or self.client.get_partial_messageable(
            event.channel_id)
        if reply.error:
            log.info("reaction %s by %s refused: %s", event.emoji, event.user_id, reply.text)
            message = channel.get_partial_message(event.message_id)  # type: ignore[union-attr]
            try:
                await message.remove_reaction(event.emoji, discord.Object(event.user_id))
            except discord.HTTPException as exc:
                log.warning("could not remove a refused reaction (give the bot Manage Messages): %s", exc)
            return
        if reply.private:
            try:
                await send_dm(self.services, user, reply)
            except DMClosed:
                await channel.send(f"<@{event.user_id}> " + OPEN_DMS_HELP.format(again="react again."))
            return
        await post(self.services, channel.send, reply, channel_upload_limit(channel))  # type: ignore[union-attr]

    def _run(self, caller: Caller, text: str) -> Reply:
        with self.services.db.session() as session:
            remember(session, caller.user_ref, caller.chat_ref, None)
        return run_text(self.services, caller, text)

    def _command_for(self, message_id: int, emoji: str) -> str | None:
        with self.services.db.session() as session:
            return reaction_command(session, message_id, emoji)
