"""Discord's rate limits: a long one on edits (retry_after beyond discord.py's 30 s ceiling, which
raises `RateLimited`) holds the job's progress message until it passes, then only the newest
progress is sent; a short one, slept inside the request, delays only its own channel."""

from __future__ import annotations

import asyncio

from core import outbox
from core.messages import Reply
from core.services import Services
from tests.fakes.discord_server import CHANNEL_ID, OTHER_CHANNEL_ID, FakeDiscord
from tests.support.discord import job_in_channel, pass_time, report_progress, running_front

RELAY_PASSES = 0.5  # seconds of relay passes (every 0.05 s) for an update to be tried, or not


def _progress(fake: FakeDiscord) -> list[dict]:
    return [m for m in fake.channel_messages() if "Job #" in m["content"]]


async def test_a_long_rate_limit_on_edits_holds_the_progress_then_sends_only_the_newest(
    fake: FakeDiscord, services: Services
) -> None:
    job = job_in_channel(services)
    fake.limit_edits(CHANNEL_ID, limit=1, window=90.0)
    async with running_front(services, min_edit_interval=0.0) as front:
        report_progress(services, job, 10, "reading")
        message_id = int((await fake.wait_for(lambda: _progress(fake)))[0]["id"])
        report_progress(services, job, 20, "cutting")
        await fake.wait_for(lambda: "20%" in fake.messages[message_id]["content"])
        report_progress(services, job, 30, "encoding")
        await fake.wait_for(lambda: fake.refusals(status=429))
        for percent in (40, 50, 60):
            report_progress(services, job, percent, "encoding")
            await asyncio.sleep(RELAY_PASSES)
        refused_while_limited = len(fake.refused)
        pass_time(fake, front, services, 91)
        await fake.wait_for(lambda: "60%" in fake.messages[message_id]["content"])
        await asyncio.sleep(RELAY_PASSES)
    assert refused_while_limited == 1, "one 429, then the channel's edits wait for its retry_after"
    assert fake.edits.count(message_id) == 2, "20%, then straight to the newest (60%)"
    assert len(fake.refused) == 1


async def test_a_rate_limit_slept_in_one_channel_does_not_hold_up_another_channels_result(
    fake: FakeDiscord, services: Services
) -> None:
    fake.limit_posts(CHANNEL_ID, limit=1, window=3.0)
    with services.db.session() as session:
        outbox.post(session, "discord", str(CHANNEL_ID), Reply(text="A1 in shorts"))
        outbox.post(session, "discord", str(CHANNEL_ID), Reply(text="A2 in shorts"))
        outbox.post(session, "discord", str(OTHER_CHANNEL_ID), Reply(text="B1 in clips"))
    async with running_front(services):
        await fake.wait_for(lambda: len(fake.messages) == 3)
    order = [fake.text(m) for m in fake.messages.values()]
    assert order.index("B1 in clips") < order.index("A2 in shorts"), (
        "clips' result did not wait for the limit slept in shorts")
    assert [(r.status, r.path.split("/")[-2]) for r in fake.refused] == [(429, str(CHANNEL_ID))]
