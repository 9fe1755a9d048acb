"""The Discord front as `ettametta run` sees it: log in, stay connected, relay the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord

from bot.discord.client import DiscordClient
from bot.discord.deliver import DiscordDeliverer
from bot.discord.identity import FRONT
from bot.downloads import download_routes
from bot.relay import Relay
from bot.web import RouteSetup
from core.services import Services

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 60.0


class DiscordFront:
    front = FRONT
    web_routes: tuple[RouteSetup, ...] = (download_routes,)

    def __init__(
        self,
        services: Services,
        *,
        min_edit_interval: float = 3.0,
        relay_interval: float = 0.5,
        ready_timeout: float = READY_TIMEOUT_SECONDS,
        **client_options: Any,
    ) -> None:
        self.services = services
        self.client = DiscordClient(services, **client_options)
        self.relay = Relay(services, DiscordDeliverer(services, self.client),
                           interval=relay_interval, min_edit_interval=min_edit_interval)
        self.ready_timeout = ready_timeout
        self._connection: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Log in (which syncs the slash commands), connect, and return once the gateway is ready."""
        try:
            await self.client.login(self.services.settings.discord_token.get_secret_value())
        except discord.LoginFailure as exc:
            await self.client.close()
            raise RuntimeError("Discord refused DISCORD_TOKEN: copy the bot token again from the "
                               "Developer Portal (Bot → Reset Token)") from exc
        self._connection = asyncio.create_task(self.client.connect(reconnect=True))
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait({self._connection, ready}, timeout=self.ready_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            failure = self._connection.exception() if self._connection in done else None
            await self.stop()
            raise RuntimeError(f"Discord gateway did not become ready: {failure or 'timed out'}")

    async def stop(self) -> None:
        await self.client.close()
        if self._connection is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._connection, 5)
            self._connection = None
