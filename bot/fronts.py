"""The chat fronts (Discord, Telegram) as `run` sees them: start, relay, stop."""

from __future__ import annotations

from typing import Protocol

from bot.relay import Relay
from bot.web import RouteSetup
from core.services import Services


class ChatFront(Protocol):
    front: str
    relay: Relay
    web_routes: tuple[RouteSetup, ...]

    async def start(self) -> None:
        """Log in and begin receiving; raises with a clear message on a bad token."""

    async def stop(self) -> None: ...


def chat_fronts(services: Services) -> list[ChatFront]:
    """The fronts whose tokens are configured."""
    fronts: list[ChatFront] = []
    if services.settings.discord_token:
        from bot.discord import DiscordFront

        fronts.append(DiscordFront(services))
    if services.settings.telegram_token:
        from bot.telegram import TelegramFront

        fronts.append(TelegramFront(services))
    return fronts
