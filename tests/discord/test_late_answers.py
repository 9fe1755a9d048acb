"""Answers Discord's clock has run out on: a command answering after its interaction token died
(15 minutes: 401 / 50027) still reaches the person, and autocompletion answers within 3 seconds
even while the database is locked."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from core.commands import registry
from core.commands.registry import Command, Invocation
from core.messages import Reply
from core.services import Services
from tests.fakes.discord_server import ADMIN_ROLE_ID, FakeDiscord, FakeUser
from tests.support.discord import bot_services, job_requested_by, running_front

TOKEN_LIFETIME_PASSED = 16 * 60
DATABASE_LOCKED_SECONDS = 3.0


@pytest.fixture
def slow_commands(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """/slow and /slowsecret answer once the test lets them (as a command stuck behind a long job)."""
    release = threading.Event()

    def slow(inv: Invocation, svc: Services) -> Reply:
        """Answer late (test command)."""
        release.wait(20)
        return Reply(text="Slow answer S1.")

    def slow_secret(inv: Invocation, svc: Services) -> Reply:
        """Answer late, to me alone (test command)."""
        release.wait(20)
        return Reply(text="Only for you: P1.", ephemeral=True)

    monkeypatch.setitem(registry._COMMANDS, "slow", Command("slow", "Answer late.", slow))
    monkeypatch.setitem(registry._COMMANDS, "slowsecret", Command("slowsecret", "Answer late.", slow_secret))
    yield release
    release.set()


async def test_an_answer_after_the_interaction_expired_is_posted_in_the_channel(
    fake: FakeDiscord, services: Services, slow_commands: threading.Event
) -> None:
    sam = fake.add_user("sam")
    posted = await _answered_late(fake, services, slow_commands, "slow", sam, lambda: [
        m for m in fake.channel_messages() if "S1" in fake.text(m) and "interaction_id" not in m])
    text = fake.text(posted[0])
    assert f"The answer to <@{sam.id}>'s /slow (it took longer than Discord waits for an answer)" in text
    assert [(r.status, r.code) for r in fake.refused] == [(401, 50027)]


async def test_a_private_answer_after_the_interaction_expired_goes_by_dm(
    fake: FakeDiscord, services: Services, slow_commands: threading.Event
) -> None:
    sam = fake.add_user("sam")
    dm = await _answered_late(fake, services, slow_commands, "slowsecret", sam,
                              lambda: fake.channel_messages(fake.dm_channel_id(sam)))
    assert "The answer to your /slowsecret in" in fake.text(dm[0]) and "P1" in fake.text(dm[0])
    assert not [m for m in fake.channel_messages() if "P1" in fake.text(m)], "never in the channel"


async def _answered_late(fake: FakeDiscord, services: Services, release: threading.Event, command: str,
                         user: FakeUser, arrived: Callable[[], Any]) -> Any:
    """Run `command`, let Discord's 15 minutes pass, then let it answer; wait for `arrived`."""
    async with running_front(services):
        asked = await fake.slash(command, user=user)
        await fake.wait_for(lambda: asked.acknowledged)
        fake.advance(TOKEN_LIFETIME_PASSED)
        release.set()
        return await fake.wait_for(arrived)


def hold_sqlite(services: Services, seconds: float) -> threading.Thread:
    """Another process holds SQLite's write lock for `seconds`."""
    path = services.settings.db_url.removeprefix("sqlite:///")

    def hold(ready: threading.Event) -> None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        ready.set()
        threading.Event().wait(seconds)
        connection.execute("ROLLBACK")
        connection.close()

    return _holding(hold)


def hold_postgresql(services: Services, seconds: float) -> threading.Thread:
    """A migration holds the jobs table (ACCESS EXCLUSIVE: no one may even read it) for `seconds`."""
    engine = create_engine(services.settings.db_url)

    def hold(ready: threading.Event) -> None:
        with engine.connect() as connection:
            connection.execute(text("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE"))
            ready.set()
            threading.Event().wait(seconds)
            connection.rollback()
        engine.dispose()

    return _holding(hold)


def _holding(hold: Callable[[threading.Event], None]) -> threading.Thread:
    ready = threading.Event()
    holder = threading.Thread(target=hold, args=(ready,), daemon=True)
    holder.start()
    ready.wait(10)
    return holder


@pytest.fixture
def pg_discord_services(tmp_path: Path, postgres_url: str) -> Iterator[Services]:
    with bot_services(tmp_path, database_url=postgres_url) as built:
        yield built


async def _autocomplete_while_busy(fake: FakeDiscord, services: Services,
                                   hold: Callable[[Services, float], threading.Thread]) -> None:
    """A job id is being typed while the database can't answer: the answer comes in time, made of
    what the previous request found, and Discord refuses nothing."""
    editor = fake.add_user("ed", roles=(ADMIN_ROLE_ID,))
    first_job, second_job = job_requested_by(services, editor), job_requested_by(services, editor)
    async with running_front(services) as front:
        front.client.interactions.suggester.budget = 1.0  # the product's 2.5 s; a loaded test machine
        before = await fake.autocomplete("cancel", "job", "", user=editor)
        await fake.wait_for(lambda: before.acknowledged)
        holder = hold(services, DATABASE_LOCKED_SECONDS)
        asked = await fake.autocomplete("cancel", "job", str(second_job), user=editor)
        await fake.wait_for(lambda: asked.acknowledged or asked.id in fake.late, timeout=15)
        answered_while_locked = holder.is_alive()
        await fake.wait_for(lambda: not holder.is_alive(), timeout=15)
    assert {c["value"] for c in before.choices} == {first_job, second_job}
    assert asked.acknowledged == 8 and fake.late == [] and answered_while_locked
    assert [c["value"] for c in asked.choices] == [second_job], "the suggestions ready, filtered as typed"
    assert fake.refused == []


async def test_autocomplete_while_sqlite_is_locked_answers_in_time_with_what_is_ready(
    fake: FakeDiscord, services: Services
) -> None:
    await _autocomplete_while_busy(fake, services, hold_sqlite)


async def test_autocomplete_while_a_postgresql_table_is_locked_answers_in_time_with_what_is_ready(
    fake: FakeDiscord, pg_discord_services: Services
) -> None:
    await _autocomplete_while_busy(fake, pg_discord_services, hold_postgresql)
