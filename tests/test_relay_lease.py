"""One relay per front per deployment, however many bot processes share the database."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.relay import Envelope, Relay
from core import outbox
from core.messages import Reply
from core.services import Services


class Recorder:
    front = "testfront"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, envelope: Envelope) -> str | None:
        self.sent.append(envelope.message.text)
        return str(envelope.event_id)

    async def edit(self, envelope: Envelope, message_id: str) -> None:
        self.sent.append(envelope.message.text)


def _post(services: Services, texts: list[str]) -> None:
    with services.db.session() as session:
        for text in texts:
            outbox.post(session, Recorder.front, "chat-1", Reply(text=text))


async def _until(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture(params=["sqlite", "postgres"])
def db_services(request: pytest.FixtureRequest) -> Services:
    return request.getfixturevalue("services" if request.param == "sqlite" else "pg_services")


async def test_two_relays_of_one_front_deliver_each_event_once_and_hand_over_at_stop(
    db_services: Services,
) -> None:
    first, second = Recorder(), Recorder()
    relays = [Relay(db_services, first, interval=0.05), Relay(db_services, second, interval=0.05)]
    stops = [asyncio.Event(), asyncio.Event()]
    tasks = [asyncio.create_task(relay.run(stop)) for relay, stop in zip(relays, stops, strict=True)]
    texts = [f"event {n}" for n in range(20)]
    _post(db_services, texts)

    await _until(lambda: len(first.sent) + len(second.sent) >= 20)
    await asyncio.sleep(0.3)
    assert sorted(first.sent + second.sent) == sorted(texts)
    assert not (first.sent and second.sent), "only the lease holder delivered"

    holder = 0 if first.sent else 1
    stops[holder].set()
    await tasks[holder]
    _post(db_services, ["after hand-over"])
    other = (first, second)[1 - holder]
    await _until(lambda: "after hand-over" in other.sent)

    stops[1 - holder].set()
    await tasks[1 - holder]
    assert (first.sent + second.sent).count("after hand-over") == 1
