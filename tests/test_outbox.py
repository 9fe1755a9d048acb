"""The outbox: what workers report reaches the chat once, even when delivery first fails."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.relay import DeliveryError, Envelope, Relay
from core import outbox
from core.messages import Progress, Reply
from core.models import Job, OutboxEvent, utcnow
from core.outbox import Undeliverable


class FlakyChat:
    """A front whose first delivery fails, like a chat platform having a bad moment."""

    front = "test"

    def __init__(self, failures: int = 1) -> None:
        self.failures = failures
        self.sent: list[str] = []
        self.edits: list[tuple[str, str]] = []

    async def send(self, envelope: Envelope) -> str | None:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("503 from the platform", retry_after=0)
        self.sent.append(_text(envelope))
        return f"m{len(self.sent)}"

    async def edit(self, envelope: Envelope, message_id: str) -> None:
        self.edits.append((message_id, _text(envelope)))


def _text(envelope: Envelope) -> str:
    message = envelope.message
    return message.line() if isinstance(message, Progress) else message.text


def test_an_event_is_delivered_once_even_when_the_first_attempt_fails(services) -> None:
    with services.db.session() as session:
        outbox.post(session, "test", "chat-1", Reply(text="render finished"))
    chat = FlakyChat(failures=1)
    relay = Relay(services, chat)
    assert asyncio.run(relay.deliver_pending()) == 0
    assert asyncio.run(relay.deliver_pending()) == 1
    assert asyncio.run(relay.deliver_pending()) == 0
    assert chat.sent == ["render finished"]
    with services.db.session() as session:
        event = session.scalar(select(OutboxEvent))
        assert event.attempts == 1 and event.delivered_at is not None and event.platform_message_id == "m1"


def test_progress_edits_one_message_in_place_and_skips_stale_updates(services) -> None:
    with services.db.session() as session:
        job = Job(kind="render", payload={}, reply_front="test", reply_chat="chat-1")
        session.add(job)
        session.flush()
        outbox.progress(session, job, Progress(job_id=job.id, kind="render", percent=10))
    chat = FlakyChat(failures=0)
    relay = Relay(services, chat)
    asyncio.run(relay.deliver_pending())
    with services.db.session() as session:
        job = session.get(Job, 1)
        for percent in (40, 70):
            outbox.progress(session, job, Progress(job_id=job.id, kind="render", percent=percent))
    asyncio.run(relay.deliver_pending())
    assert len(chat.sent) == 1 and "10%" in chat.sent[0]
    assert [message_id for message_id, _ in chat.edits] == ["m1"]
    assert "70%" in chat.edits[0][1]


def test_overlapping_relay_passes_deliver_each_event_once(services) -> None:
    with services.db.session() as session:
        for n in range(5):
            outbox.post(session, "test", "chat-1", Reply(text=f"message {n}"))
    chat = FlakyChat(failures=0)
    relay = Relay(services, chat)

    async def two_passes() -> None:
        await asyncio.gather(relay.deliver_pending(), relay.deliver_pending())

    asyncio.run(two_passes())
    assert chat.sent == [f"message {n}" for n in range(5)]


class ChangingChat:
    """A front whose chats change under the bot, answering with classified refusals."""

    front = "test"

    def __init__(self, *, gone: set[str] = frozenset(), moved: dict[str, str] | None = None) -> None:
        self.gone = set(gone)
        self.moved = moved or {}
        self.sent: list[tuple[str, str]] = []

    async def send(self, envelope: Envelope) -> str | None:
        if envelope.chat_ref in self.moved:
            raise DeliveryError.chat_moved("moved", envelope.chat_ref, self.moved[envelope.chat_ref])
        if envelope.chat_ref in self.gone:
            raise DeliveryError.permanent("the bot was kicked", Undeliverable.bot_removed)
        self.sent.append((envelope.chat_ref, _text(envelope)))
        return f"m{len(self.sent)}"

    async def edit(self, envelope: Envelope, message_id: str) -> None:
        raise DeliveryError.message_gone("message to edit not found")


def test_a_message_that_can_never_arrive_is_ended_with_its_reason_not_retried(services) -> None:
    with services.db.session() as session:
        outbox.post(session, "test", "kicked-from", Reply(text="render finished"))
    relay = Relay(services, ChangingChat(gone={"kicked-from"}))
    assert asyncio.run(relay.deliver_pending()) == 0
    with services.db.session() as session:
        event = session.scalar(select(OutboxEvent))
        assert event.delivered_at is not None and event.failure == "bot_removed" and event.attempts == 0
        assert outbox.failures_since(session, event.created_at) == {Undeliverable.bot_removed: 1}
    assert asyncio.run(relay.deliver_pending()) == 0


def test_an_event_still_failing_after_a_week_is_given_up(services) -> None:
    with services.db.session() as session:
        event = outbox.post(session, "test", "chat-1", Reply(text="render finished"))
        session.flush()
        event.created_at = utcnow() - outbox.GIVE_UP_AFTER - timedelta(minutes=1)
    relay = Relay(services, FlakyChat(failures=1))
    asyncio.run(relay.deliver_pending())
    with services.db.session() as session:
        event = session.scalar(select(OutboxEvent))
        assert event.failure == "gave_up" and "503" in event.last_error


def test_a_moved_chat_is_followed_with_everything_bound_to_it(services) -> None:
    with services.db.session() as session:
        job = Job(kind="render", payload={}, reply_front="test", reply_chat="old")
        session.add(job)
        session.flush()
        outbox.reply_to_job(session, job, Reply(text="render finished"))
        outbox.post(session, "test", "old", Reply(text="and another"))
    chat = ChangingChat(moved={"old": "new"})
    assert asyncio.run(Relay(services, chat).deliver_pending()) == 2
    assert chat.sent == [("new", "render finished"), ("new", "and another")]
    with services.db.session() as session:
        assert session.scalar(select(Job.reply_chat)) == "new"


class LimitedChat:
    """A front whose platform rate-limits one chat for a minute and counts the requests it gets."""

    front = "test"

    def __init__(self, limited: str) -> None:
        self.limited = limited
        self.asked: list[str] = []
        self.sent: list[tuple[str, str]] = []

    async def send(self, envelope: Envelope) -> str | None:
        self.asked.append(envelope.chat_ref)
        if envelope.chat_ref == self.limited:
            raise DeliveryError.rate_limited("429: retry after 60 s", 60.0)
        self.sent.append((envelope.chat_ref, _text(envelope)))
        return f"m{len(self.sent)}"

    async def edit(self, envelope: Envelope, message_id: str) -> None:
        raise AssertionError("nothing here is edited")


def test_a_rate_limited_chat_waits_without_asking_again_or_crowding_out_other_chats(services) -> None:
    with services.db.session() as session:
        for n in range(60):
            outbox.post(session, "test", "busy", Reply(text=f"busy {n}"))
        outbox.post(session, "test", "quiet", Reply(text="quiet 1"))
    chat = LimitedChat("busy")
    relay = Relay(services, chat)
    asyncio.run(relay.deliver_pending())
    asyncio.run(relay.deliver_pending())
    assert chat.sent == [("quiet", "quiet 1")], "the quiet chat's message got past 60 held ones"
    assert chat.asked.count("busy") == 1, "one 429, then the busy chat waits its retry-after"
    with services.db.session() as session:
        assert outbox.undelivered_count(session, "test") == 60
