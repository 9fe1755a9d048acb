"""A real PTB Application (our Telegram front) running against the fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from bot.telegram import TelegramFront
from core.services import Services
from tests.fakes.telegram_server import TOKEN, FakeTelegram

GROUP = -100500
ADMIN = 11
VIEWER = 22


@dataclass
class Running:
    fake: FakeTelegram
    front: TelegramFront
    services: Services

    def texts(self, chat_id: int) -> list[str]:
        """What the chat now shows (requests the server refused don't count)."""
        return [c.params.get("text") or c.params.get("caption", "")
                for c in self.fake.calls
                if c.ok and c.method.startswith("send") and str(c.params.get("chat_id")) == str(chat_id)]

    async def said(self, chat_id: int, fragment: str, timeout: float = 15.0) -> str:
        return await self.fake.wait_for(
            lambda: next((t for t in self.texts(chat_id) if fragment in t), None), timeout)


@contextlib.asynccontextmanager
async def telegram_front(
    services: Services,
    *,
    local_server: bool = False,
    relay: bool = True,
    start: bool = True,
    **settings: Any,
) -> AsyncIterator[Running]:
    """Start the fake and the front; `local_server` also sets TELEGRAM_API_BASE_URL to the fake."""
    fake = await FakeTelegram(local_server=local_server).start()
    fake.group(GROUP, "Creators", admins={ADMIN})
    overrides: dict[str, Any] = {"telegram_token": TOKEN, **settings}
    if local_server:
        overrides["telegram_api_base_url"] = fake.root
    svc = dataclasses.replace(services, settings=services.settings.model_copy(update=overrides))
    front = TelegramFront(svc, api_root=fake.root, min_edit_interval=0.0, relay_interval=0.05)
    stop = asyncio.Event()
    task = None
    try:
        if start:
            await front.start()
        if relay:
            task = asyncio.create_task(front.relay.run(stop))
        yield Running(fake, front, svc)
    finally:
        stop.set()
        if task is not None:
            await task
        if start:
            await front.stop()
        await fake.stop()
