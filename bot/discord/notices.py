"""Telling one person something privately: under their command while its token lives, else by DM.

An interaction's token lets the bot add ephemeral follow-ups (seen only by that person) for 15
minutes (bot/discord/seen.py remembers the last one per person, and whether its own answer is
out yet: a follow-up sent before it would take its place). After that, a DM.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord

from bot.discord.failures import token_gone
from bot.discord.posting import DM_UPLOAD_LIMIT, DMClosed, post, send_dm
from bot.discord.seen import live_token
from core.messages import Reply
from core.services import Services

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, services: Services, client: discord.Client) -> None:
        self.services = services
        self.client = client

    async def privately(self, user_ref: str, reply: Reply) -> discord.Message | None:
        """Show `reply` to the person only; None when neither a live interaction nor a DM reaches
        them (their DMs are closed)."""
        token, _ = await asyncio.to_thread(self._token, user_ref)
        if token:
            try:
                return await self.ephemeral(token, reply)
            except discord.HTTPException as exc:
                if not token_gone(exc):
                    raise
                log.info("the interaction of %s expired; sending by DM instead", user_ref)
        user_id = int(user_ref)
        user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
        try:
            return await send_dm(self.services, user, reply)
        except DMClosed:
            log.info("could not tell %s privately: DMs closed and no live interaction", user_ref)
            return None

    async def ephemeral(self, token: str, reply: Reply) -> discord.Message | None:
        """An ephemeral follow-up to the interaction with `token` (raises if the token is gone)."""
        webhook = followup_webhook(self.client, token)

        async def send(**kwargs: Any) -> discord.Message:
            return await webhook.send(ephemeral=True, wait=True, **kwargs)

        return await post(self.services, send, reply, DM_UPLOAD_LIMIT, reactions=False)

    def _token(self, user_ref: str) -> tuple[str | None, str]:
        with self.services.db.session() as session:
            return live_token(session, user_ref)


def followup_webhook(client: discord.Client, token: str) -> discord.Webhook:
    """The interaction's follow-up webhook, as `discord.Interaction.followup` builds it, for an
    interaction the bot only knows by its token."""
    payload: Any = {"id": client.application_id, "type": 3, "token": token}
    return discord.Webhook.from_state(data=payload, state=client._connection)
