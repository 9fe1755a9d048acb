"""A real discord.py client (our Discord front) against the fake Discord in tests/fakes."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from sqlalchemy import update

from bot.discord import DiscordFront
from core import outbox
from core.config import Settings
from core.db import upgrade
from core.identity import Caller, resolve
from core.messages import Progress
from core.models import Job, JobState, OutboxEvent, utcnow
from core.services import Services
from tests.conftest import make_settings
from tests.fakes.discord_server import BOT_TOKEN, CHANNEL_ID, GUILD_ID, FakeDiscord, FakeUser
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
        _log_refusals(server)


REFUSALS_LOG = "FAKE_DISCORD_REFUSALS_LOG"


def _log_refusals(server: FakeDiscord) -> None:
    """With FAKE_DISCORD_REFUSALS_LOG=FILE, each test appends how many requests the fake refused and
    which (docs/discord.md: how the before/after figures of the closing notes are counted)."""
    path = os.environ.get(REFUSALS_LOG)
    if not path:
        return
    line = {"test": os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0], "refused": len(server.refused),
            "answers": sorted({f"{r.status}/{r.code}" for r in server.refused})}
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(line) + "\n")


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


def pass_time(fake: FakeDiscord, front: DiscordFront, services: Services, seconds: float) -> None:
    """`seconds` pass for Discord (rate-limit windows, interaction tokens), for the relay's clock,
    and for the outbox rows waiting to be tried again."""
    fake.advance(seconds)
    front.relay.clock = lambda: time.monotonic() + seconds
    with services.db.session() as session:
        session.execute(update(OutboxEvent).where(OutboxEvent.delivered_at.is_(None))
                        .values(next_attempt_at=utcnow()))


def job_in_channel(services: Services) -> int:
    """A running job that reports to the fake guild's channel."""
    with services.db.session() as session:
        job = Job(kind="render", reply_front="discord", reply_chat=str(CHANNEL_ID), state=JobState.running)
        session.add(job)
        session.flush()
        return job.id


def guild_caller(user: FakeUser, channel_id: int = CHANNEL_ID) -> Caller:
    """`user` as the core sees them in a channel of the fake guild."""
    return Caller(front="discord", workspace_ref=str(GUILD_ID), chat_ref=str(channel_id),
                  user_ref=str(user.id), user_name=user.name)


def job_requested_by(services: Services, user: FakeUser, channel_id: int = CHANNEL_ID) -> int:
    """A running job that `user` started from a channel of the fake guild."""
    with services.db.session() as session:
        identity = resolve(session, guild_caller(user, channel_id))
        job = Job(kind="render", workspace_id=identity.workspace_id, requested_by=identity.member_id,
                  reply_front="discord", reply_chat=str(channel_id), state=JobState.running)
        session.add(job)
        session.flush()
        return job.id


def report_progress(services: Services, job_id: int, percent: float, text: str) -> None:
    """What a worker's `ctx.progress` writes (tests/test_console_probe.py runs the real one)."""
    with services.db.session() as session:
        job = session.get_one(Job, job_id)
        outbox.progress(session, job, Progress(job_id=job_id, kind="render", percent=percent, text=text))
