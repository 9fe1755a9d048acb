"""Discord messages and channels that disappear under the bot: a deleted progress message is
posted afresh (404 / 10008), a deleted channel ends its messages with a reason (404 / 10003)."""

from __future__ import annotations

from sqlalchemy import select

from core import outbox
from core.messages import Reply
from core.models import Job, OutboxEvent
from core.services import Services
from tests.fakes.discord_server import CHANNEL_ID, FakeDiscord
from tests.support.discord import job_in_channel, report_progress, running_front


def _progress_messages(fake: FakeDiscord) -> list[dict]:
    return [m for m in fake.channel_messages() if "Job #" in m["content"]]


async def test_a_deleted_progress_message_is_posted_afresh_and_the_result_still_arrives(
    fake: FakeDiscord, services: Services
) -> None:
    job_id = job_in_channel(services)
    async with running_front(services, min_edit_interval=0.0):
        report_progress(services, job_id, 10, "encoding")
        first = (await fake.wait_for(lambda: _progress_messages(fake)))[0]
        fake.delete_message(int(first["id"]))
        report_progress(services, job_id, 50, "encoding")
        fresh = await fake.wait_for(lambda: [m for m in _progress_messages(fake) if "50%" in m["content"]])
        report_progress(services, job_id, 80, "encoding")
        await fake.wait_for(lambda: "80%" in fake.messages[int(fresh[0]["id"])]["content"])
        with services.db.session() as session:
            outbox.reply_to_job(session, session.get_one(Job, job_id), Reply(text="Rendered."))
        await fake.wait_for(lambda: [m for m in fake.channel_messages() if "Rendered." in fake.text(m)])
    assert len(_progress_messages(fake)) == 1 and fresh[0]["id"] != first["id"]
    with services.db.session() as session:
        assert session.scalar(select(OutboxEvent).where(OutboxEvent.delivered_at.is_(None))) is None


async def test_messages_for_a_deleted_channel_end_with_a_reason_and_are_not_retried(
    fake: FakeDiscord, services: Services
) -> None:
    fake.delete_channel(CHANNEL_ID)
    with services.db.session() as session:
        event = outbox.post(session, "discord", str(CHANNEL_ID), Reply(text="Rendered."))
        session.flush()
        event_id = event.id
    async with running_front(services) as front:
        await fake.wait_for(lambda: _ended(services, event_id))
        await front.relay.deliver_pending()
    with services.db.session() as session:
        row = session.get_one(OutboxEvent, event_id)
    assert row.failure == "chat_gone" and row.attempts == 0 and "10003" in row.last_error


def _ended(services: Services, event_id: int) -> bool:
    with services.db.session() as session:
        return session.get_one(OutboxEvent, event_id).delivered_at is not None
