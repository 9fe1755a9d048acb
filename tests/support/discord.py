"""A real discord.py client (our Discord front) against the fake Discord in tests/fakes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl

from bot.discord import DiscordFront
from core import outbox
from core.config import Settings
from core.db import upgrade
from core.messages import Progress
from core.models import Job, JobState
from core.services import Services
from tests.conftest import make_settings
from tests.fakes.discord_server import BOT_TOKEN, CHANNEL_ID, FakeDiscord
from workers.bootstrap import build_services
from workers.local import LocalDispatcher


def point_discord_py_at(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    """discord.py has no setting for its URLs: these two patches are the seam (PLATFORMS.md)."""
    monkeypatch.setattr(discord.http.Route, "BASE", f"{fake.base}/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        yarl.URL(f"ws://127.0.0.1:{fake.port}/gateway"))


def discord_settings(tmp_path: Path, **overrides: Any) -> Settings:
    overrides.setdefault("discord_token", BOT_TOKEN)
    return make_settings(tmp_path, **overrides)


def discord_services(settings: Settings) -> Services:
    upgrade(settings)
    return build_services(settings, LocalDispatcher())


@asynccontextmanager
async def fake_discord(monkeypatch: pytest.MonkeyPatch, **limits: int) -> AsyncIterator[FakeDiscord]:
    """The fake Discord running, with discord.py pointed at it."""
    server = FakeDiscord(**limits)
    await server.start()
    point_discord_py_at(server, monkeypatch)
    try:
        yield server
    finally:
        await server.stop()


@contextmanager
def bot_services(tmp_path: Path, **overrides: Any) -> Iterator[Services]:
    """Migrated services whose settings carry the fake's bot token."""
    built = discord_services(discord_settings(tmp_path, **overrides))
    try:
        yield built
    finally:
        built.db.dispose()


@asynccontextmanager
async def running_front(services: Services, **options: Any) -> AsyncIterator[DiscordFront]:
    """The front logged in and ready, with its outbox relay running, as `ettametta run` has it."""
    options.setdefault("min_edit_interval", 0.2)
    options.setdefault("relay_interval", 0.05)
    front = DiscordFront(services, guild_ready_timeout=0.05, **options)
    await front.start()
    stop = asyncio.Event()
    relay = asyncio.create_task(front.relay.run(stop))
    try:
        yield front
    finally:
        stop.set()
        await relay
        await front.stop()


def job_in_channel(services: Services) -> int:
    """A running job that reports to the fake guild's channel."""
    with services.db.session() as session:
        job = Job(kind="render", reply_front="discord", reply_chat=str(CHANNEL_ID), state=JobState.running)
        session.add(job)
        session.flush()
        return job.id


def report_progress(services: Services, job_id: int, percent: float, text: str) -> None:
    """What a worker's `ctx.progress` writes (tests/test_console_probe.py runs the real one)."""
    with services.db.session() as session:
        job = session.get_one(Job, job_id)
        outbox.progress(session, job, Progress(job_id=job_id, kind="render", percent=percent, text=text))
