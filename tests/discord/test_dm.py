"""Private things go by DM; closed DMs are explained where the person is, and nothing is lost."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core import outbox
from core.commands import registry
from core.commands.registry import Command, Invocation
from core.identity import Caller, resolve
from core.invoke import run_text
from core.messages import Reply
from core.models import Job, Member, OneTimeCode, OutboxEvent, Workspace, utcnow
from core.services import Services
from tests.fakes.discord_server import ADMIN_ROLE_ID, CHANNEL_ID, EPHEMERAL, GUILD_ID, FakeDiscord, FakeUser
from tests.support.discord import bot_services, guild_caller, job_requested_by, running_front


def send_link(inv: Invocation, svc: Services) -> Reply:
    """Send me a private link (test command, the way /connect does it)."""
    with svc.db.session() as session:
        outbox.direct(session, session.get_one(Member, inv.member_id), Reply(text="Your one-time link: L1"))
    return Reply(text="Check your DMs: I sent you a link.")


def whisper(inv: Invocation, svc: Services) -> Reply:
    """Answer privately (test command)."""
    return Reply(text="Only for you: W1", private=True)


@pytest.fixture
def private_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two commands that answer privately; the registry has them only during the test."""
    monkeypatch.setitem(registry._COMMANDS, "link", Command("link", "Send me a link.", send_link))
    monkeypatch.setitem(registry._COMMANDS, "whisper", Command("whisper", "Answer privately.", whisper))


def dm_texts(fake: FakeDiscord, user: FakeUser) -> list[str]:
    return [fake.text(m) for m in fake.channel_messages(fake.dm_channel_id(user))]


def direct_event(services: Services) -> OutboxEvent:
    with services.db.session() as session:
        return session.scalars(select(OutboxEvent).where(OutboxEvent.kind == "direct")).one()


async def test_a_private_link_arrives_by_dm(
    fake: FakeDiscord, services: Services, private_commands: None
) -> None:
    sam = fake.add_user("sam")
    async with running_front(services):
        asked = await fake.slash("link", user=sam)
        await fake.wait_for(lambda: dm_texts(fake, sam))
        answer = await fake.wait_for(lambda: (m := fake.original(asked)) and m.get("embeds") and m)
    assert dm_texts(fake, sam) == ["Your one-time link: L1"]
    assert "Check your DMs" in fake.text(answer)
    assert direct_event(services).delivered_at is not None


async def test_closed_dms_are_explained_privately_and_the_link_waits(
    fake: FakeDiscord, services: Services, private_commands: None
) -> None:
    sam = fake.add_user("sam", dms_open=False)
    async with running_front(services):
        asked = await fake.slash("link", user=sam)
        notice = await fake.wait_for(
            lambda: [m for m in fake.followups(asked) if "DMs are closed" in fake.text(m)])
        assert int(notice[0]["flags"]) & EPHEMERAL
        assert "Check your DMs" in fake.text(fake.original(asked)), "the command's own answer stays"
        event = direct_event(services)
        assert event.delivered_at is None and "50007" in (event.last_error or "")
        sam.dms_open = True
        with services.db.session() as session:
            session.execute(update(OutboxEvent).values(next_attempt_at=utcnow()))
        await fake.wait_for(lambda: dm_texts(fake, sam))
    assert dm_texts(fake, sam) == ["Your one-time link: L1"], "the link was kept and sent once DMs opened"
    assert len([m for m in fake.followups(asked) if "DMs are closed" in fake.text(m)]) == 1


async def test_a_private_answer_to_closed_dms_says_how_to_open_them(
    fake: FakeDiscord, services: Services, private_commands: None
) -> None:
    sam = fake.add_user("sam", dms_open=False)
    async with running_front(services):
        asked = await fake.slash("whisper", user=sam)
        notice = await fake.wait_for(lambda: fake.followups(asked))
    assert "DMs are closed" in fake.text(notice[0]) and "run /whisper again" in fake.text(notice[0])
    assert int(notice[0]["flags"]) & EPHEMERAL
    assert "W1" not in str(fake.messages), "the private text never went to the channel"


async def test_a_direct_message_from_a_worker_when_dms_are_closed_is_announced_in_the_channel(
    fake: FakeDiscord, services: Services
) -> None:
    sam = fake.add_user("sam", dms_open=False)
    async with running_front(services):
        asked = await fake.slash("queue", user=sam)
        await fake.wait_for(lambda: (m := fake.original(asked)) and m.get("embeds"))
        fake.interactions.clear()  # as if the interaction's 15 minutes had passed
        caller = Caller(front="discord", workspace_ref=str(GUILD_ID), chat_ref=str(CHANNEL_ID),
                        user_ref=str(sam.id))
        with services.db.session() as session:
            member = session.get_one(Member, resolve(session, caller).member_id)
            outbox.direct(session, member, Reply(text="Your YouTube token expires tomorrow."))
        notice = await fake.wait_for(lambda: [m for m in fake.channel_messages()
                                              if m["content"].startswith(f"<@{sam.id}>")])
    assert "DMs are closed" in notice[0]["content"]
    assert direct_event(services).delivered_at is None


async def test_in_a_dm_the_person_has_their_own_workspace(fake: FakeDiscord, services: Services) -> None:
    sam = fake.add_user("sam")
    async with running_front(services):
        asked = await fake.slash("settings", {"name": "tone", "value": "calm"}, user=sam, dm=True)
        answer = await fake.wait_for(lambda: (m := fake.original(asked)) and m.get("embeds") and m)
    assert int(answer["channel_id"]) == fake.dm_channel_id(sam)
    assert "tone is now calm" in fake.text(answer), "they own their DM workspace"
    with services.db.session() as session:
        workspaces = session.scalars(select(Workspace.external_id).where(Workspace.front == "discord"))
        assert list(workspaces) == [f"dm:{sam.id}"]


async def test_a_private_job_result_goes_to_whoever_started_the_job(
    fake: FakeDiscord, services: Services
) -> None:
    sam = fake.add_user("sam")
    job_id = job_requested_by(services, sam)
    with services.db.session() as session:
        job = session.get_one(Job, job_id)
        outbox.reply_to_job(session, job, Reply(text="Your upload key: K1", private=True))
    async with running_front(services):
        await fake.wait_for(lambda: dm_texts(fake, sam))
    assert dm_texts(fake, sam) == ["Your upload key: K1"]
    assert not [m for m in fake.channel_messages() if "K1" in fake.text(m)]


@pytest.fixture
def connectable(tmp_path: Path) -> Iterator[Services]:
    """Services with YouTube set up, so /connect makes real one-time links."""
    with bot_services(tmp_path, google_client_id="fake-id", google_client_secret="fake-secret") as built:
        yield built


async def test_a_one_time_link_that_cant_be_dmed_is_shown_to_the_person_alone_under_their_command(
    fake: FakeDiscord, connectable: Services
) -> None:
    ada = fake.add_user("ada", roles=(ADMIN_ROLE_ID,), dms_open=False)
    async with running_front(connectable):
        asked = await fake.slash("connect", {"platform": "youtube"}, user=ada)
        shown = await fake.wait_for(lambda: [m for m in fake.followups(asked) if "state=" in fake.text(m)])
    assert int(shown[0]["flags"]) & EPHEMERAL
    assert fake.text(shown[0]).startswith("Your DMs are closed to me, so here it is where only you can")
    assert "Check your DMs" in fake.text(fake.original(asked)), "the command's own answer stays"
    assert direct_event(connectable).delivered_at is not None
    assert [(r.status, r.code) for r in fake.refused] == [(403, 50007)], "one DM attempt, no retries"


async def test_a_one_time_link_that_cant_be_dmed_later_is_not_retried_and_the_channel_says_connect_again(
    fake: FakeDiscord, connectable: Services
) -> None:
    ada = fake.add_user("ada", roles=(ADMIN_ROLE_ID,), dms_open=False)
    async with running_front(connectable):
        asked = await fake.slash("queue", user=ada)
        await fake.wait_for(lambda: (m := fake.original(asked)) and m.get("embeds"))
        with connectable.db.session() as session:  # the interaction's 15 minutes are over
            session.execute(update(OneTimeCode).values(expires_at=utcnow()))
        await asyncio.to_thread(run_text, connectable, guild_caller(ada), "/connect youtube")
        told = await fake.wait_for(lambda: [m for m in fake.channel_messages()
                                            if m["content"].startswith(f"<@{ada.id}>")])
        await fake.wait_for(lambda: direct_event(connectable).delivered_at is not None)
    assert "Nothing was lost: once they are open, run /connect youtube again." in told[0]["content"]
    assert "state=" not in str(fake.messages), "the link itself never went to the channel"
    event = direct_event(connectable)
    assert event.failure == "dms_closed" and event.attempts == 0, "ended, not retried when the link dies"
    assert [(r.status, r.code) for r in fake.refused] == [(403, 50007)]


async def test_a_one_time_link_that_expired_before_delivery_is_replaced_by_what_to_do(
    fake: FakeDiscord, services: Services
) -> None:
    sam = fake.add_user("sam")
    with services.db.session() as session:
        member = session.get_one(Member, resolve(session, guild_caller(sam)).member_id)
        outbox.direct(session, member, Reply(text="Open this link: https://example.test/?state=S1",
                                             expires_at=utcnow(), renew="/connect youtube"))
    async with running_front(services):
        dm = await fake.wait_for(lambda: dm_texts(fake, sam))
    assert dm == ["I had a one-time link for you, but it expired before I could deliver it. "
                  "Run /connect youtube for a new one."]
