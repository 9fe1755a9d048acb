"""Fixtures of every Discord test: the fake Discord on loopback, and services for the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core.services import Services
from tests.fakes.discord_server import FakeDiscord
from tests.support.discord import bot_services, fake_discord


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with fake_discord(monkeypatch) as server:
        yield server


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    with bot_services(tmp_path) as built:
        yield built
