"""The Discord front: slash commands from the registry, buttons and reactions, DMs, the outbox relay."""

from bot.discord.front import DiscordFront

__all__ = ["DiscordFront"]
