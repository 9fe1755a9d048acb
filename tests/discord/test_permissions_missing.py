"""A channel where the bot may not post (403 / 50013 Missing Permissions, 50001 Missing Access):
the message is ended after one refusal, the person who started the job learns which permission
is missing where and gets the message privately, and /status shows it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.discord.seen import live_token
from core import outbox
from core.commands import registry
from core.commands.registry import Command, Invocation
from core.messages import Attachment, Reply
from core.models import Job, JobState, OutboxEvent
from core.services import Services
from tests.fakes.discord_server import CHANNEL_ID, EPHEMERAL, FakeDiscord, FakeUser
from tests.support.discord import job_requested_by, report_progress, running_front


def dm_texts(fake: FakeDiscord, user: FakeUser) -> list[str]:
    return [fake.text(m) for m in fake.channel_messages(fake.dm_channel_id(user))]


def post_result(services: Services, job_id: int, reply: Reply) -> None:
    with services.db.session() as session:
        outbox.reply_to_job(session, session.get_one(Job, job_id), reply)


def ended(services: Services) -> list[OutboxEvent]:
    with services.db.session() as session:
        return list(session.scalars(select(OutboxEvent).where(OutboxEvent.failure.is_not(None))))


async def permissions_seen(fake: FakeDiscord, front: object) -> None:
    """Wait until the bot's cache has the channel's new overwrites (CHANNEL_UPDATE)."""
    await fake.wait_for(lambda: front.client.get_channel(CHANNEL_ID).overwrites)  # type: ignore[attr-defined]


async def test_a_result_the_bot_may_not_attach_is_ended_and_its_requester_gets_it_with_the_reason(
    fake: FakeDiscord, services: Services
) -> None:
    sam = fake.add_user("sam")
    chart = services.settings.data_dir / "chart.png"
    chart.parent.mkdir(parents=True, exist_ok=True)
    chart.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 256)
    job_id = job_requested_by(services, sam)
    async with running_front(services) as front:
        await fake.deny("attach_files")
        await permissions_seen(fake, front)
        post_result(services, job_id, Reply(text="Views this week: 1,204.", attachments=[
            Attachment(path=str(chart), kind="image", name="chart.png")]))
        told = await fake.wait_for(lambda: fake.channel_messages(fake.dm_channel_id(sam)))
        await fake.wait_for(lambda: ended(services))
        status = await fake.slash("status", user=sam)
        answer = await fake.wait_for(lambda: (m := fake.original(status)) and m.get("embeds") and m)
    text = fake.text(told[0])
    assert "I couldn't post this in #shorts: I don't have the Attach Files permission there" in text
    assert "Views this week: 1,204." in text
    assert [a["filename"] for a in told[0]["attachments"]] == ["chart.png"]
    [row] = ended(services)
    assert row.failure == "no_permission" and row.attempts == 0
    assert "the bot doesn't have the Attach Files permission in #shorts" in row.last_error
    assert [(r.status, r.code) for r in fake.refused] == [(403, 50013)], "refused once, never retried"
    assert "the bot doesn't have the Attach Files permission in #shorts" in fake.text(answer), (
        "/status says what and where")


def start_job(inv: Invocation, svc: Services) -> Reply:
    """Start a long job here (test command)."""
    with svc.db.session() as session:
        job = Job(kind="render", workspace_id=inv.workspace_id, requested_by=inv.member_id,
                  reply_front="discord", reply_chat=inv.chat_ref, state=JobState.running)
        session.add(job)
        session.flush()
        return Reply(text=f"Started job #{job.id}.")


@pytest.fixture
def work_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry._COMMANDS, "work", Command("work", "Start a long job.", start_job))


async def test_while_the_command_is_on_screen_the_requester_is_told_under_it_and_progress_stops_asking(
    fake: FakeDiscord, services: Services, work_command: None
) -> None:
    sam = fake.add_user("sam")
    async with running_front(services) as front:
        await fake.deny("send_messages")
        await permissions_seen(fake, front)
        asked = await fake.slash("work", user=sam)
        await fake.wait_for(lambda: (m := fake.original(asked)) and m.get("embeds"))
        await fake.wait_for(lambda: _answered(services, sam))
        for percent in (10, 40, 70):
            report_progress(services, 1, percent, "encoding")
            await fake.wait_for(lambda p=percent: _settled(services, p))
        post_result(services, 1, Reply(text="Render #1 is ready."))
        notices = await fake.wait_for(lambda: len(fake.followups(asked)) >= 2 and fake.followups(asked))
    texts = [fake.text(m) for m in notices]
    assert all(int(m["flags"]) & EPHEMERAL for m in notices), "only sam sees them"
    assert ("I can't post the progress of job #1 in #shorts: I don't have the Send Messages permission there"
            in texts[0])
    assert "Render #1 is ready." in texts[1]
    assert [(r.status, r.code) for r in fake.refused] == [(403, 50013)] * 2, (
        "one refusal for the progress message and one for the result; later progress is not tried")
    assert [m for m in fake.channel_messages() if "interaction_id" not in m] == []


async def test_a_channel_the_bot_can_no_longer_see_ends_the_jobs_messages_and_the_result_arrives_by_dm(
    fake: FakeDiscord, services: Services
) -> None:
    sam = fake.add_user("sam")
    job_id = job_requested_by(services, sam)
    async with running_front(services) as front:
        report_progress(services, job_id, 10, "encoding")
        await fake.wait_for(lambda: fake.channel_messages())
        await fake.deny("view_channel")
        await permissions_seen(fake, front)
        for percent in (40, 70):
            report_progress(services, job_id, percent, "encoding")
            await fake.wait_for(lambda p=percent: _settled(services, p))
        post_result(services, job_id, Reply(text="Render #1 is ready."))
        dms = await fake.wait_for(lambda: len(dm_texts(fake, sam)) >= 2 and dm_texts(fake, sam))
    assert "in #shorts: I don't have the View Channel permission there" in dms[0]
    assert "Render #1 is ready." in dms[1]
    assert [(r.status, r.code) for r in fake.refused] == [(403, 50001)] * 2
    with services.db.session() as session:
        assert session.scalar(select(OutboxEvent).where(OutboxEvent.delivered_at.is_(None))) is None


def _answered(services: Services, user: FakeUser) -> bool:
    with services.db.session() as session:
        return live_token(session, str(user.id))[0] is not None


def _settled(services: Services, percent: int) -> bool:
    """The relay has dealt with the progress report at `percent` (delivered, ended or dropped)."""
    with services.db.session() as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.kind == "progress")).all()
        return any(r.payload["percent"] == percent and r.delivered_at is not None for r in rows)
