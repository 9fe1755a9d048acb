"""The discord.py client: registers the persistent buttons, syncs slash commands, routes events."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.discord.choices import ChoiceButton
from bot.discord.interactions import InteractionHandler
from bot.discord.reactions import ReactionHandler
from bot.discord.slash import sync_commands
from core.services import Services

log = logging.getLogger(__name__)

LONG_RATE_LIMIT_SECONDS = 30.0


class DiscordClient(discord.Client):
    """Dependencies come in through the constructor; start-up work happens in `setup_hook`."""

    def __init__(self, services: Services, **options: Any) -> None:
        intents = discord.Intents.default()
        options.setdefault("max_ratelimit_timeout", LONG_RATE_LIMIT_SECONDS)
        super().__init__(intents=intents, **options)
        self.services = services
        self.interactions = InteractionHandler(services)
        self.reactions = ReactionHandler(services, self)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ChoiceButton)
        settings = self.services.settings
        if self.application_id is None:
            raise RuntimeError("Discord did not say which application this bot token belongs to")
        await sync_commands(self.http, self.application_id, settings.guild_ids, settings.data_dir)

    async def close(self) -> None:
        await super().close()
        await self.interactions.close()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.application_command:
            await self.interactions.slash(interaction)
        elif interaction.type is discord.InteractionType.autocomplete:
            await self.interactions.autocomplete(interaction)

    async def on_choice_click(self, interaction: discord.Interaction, mode: str, value: str) -> None:
        await self.interactions.click(interaction, mode, value)

    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        await self.reactions.added(event)
