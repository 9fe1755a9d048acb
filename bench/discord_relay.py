"""Benchmark: how long one Discord channel's result waits while another channel is rate limited.

The real Discord front (discord.py, the outbox relay) against the fake Discord on loopback.
Each round puts three results in the outbox at once: two for #shorts and one for #clips. In the
limited rounds #shorts allows one post per `--window` seconds, so its second post gets a 429
that discord.py sleeps inside the request (under its 30 s ceiling). Prints the median time for
#clips' result to appear, limited and not (the baseline, measured in the same run), and their
ratio: 1.0 means #shorts' limit did not hold #clips up at all.

    .venv/bin/python bench/discord_relay.py [--rounds 5] [--window 4.7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The repo root replaces this script's folder on the path (bench/queue.py would shadow `queue`).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import pytest  # noqa: E402

from core import outbox  # noqa: E402
from core.messages import Reply  # noqa: E402
from core.services import Services  # noqa: E402
from tests.fakes.discord_server import CHANNEL_ID, OTHER_CHANNEL_ID, FakeDiscord  # noqa: E402
from tests.support.discord import bot_services, fake_discord, running_front  # noqa: E402


async def one_round(services: Services, fake: FakeDiscord, window: float | None, n: int) -> float:
    """Seconds from writing the three results to #clips' result arriving."""
    fake.post_limits.clear()
    if window is not None:
        fake.limit_posts(CHANNEL_ID, limit=1, window=window)
    clips = f"clips result {n}"
    started = time.monotonic()
    with services.db.session() as session:
        outbox.post(session, "discord", str(CHANNEL_ID), Reply(text=f"shorts result {n}a"))
        outbox.post(session, "discord", str(CHANNEL_ID), Reply(text=f"shorts result {n}b"))
        outbox.post(session, "discord", str(OTHER_CHANNEL_ID), Reply(text=clips))
    await fake.wait_for(lambda: any(clips in fake.text(m) for m in fake.messages.values()), timeout=60)
    waited = time.monotonic() - started
    await fake.wait_for(lambda: any(f"shorts result {n}b" in fake.text(m) for m in fake.messages.values()),
                        timeout=60)
    fake.post_limits.clear()
    await asyncio.sleep(window or 0)
    return waited


async def main(rounds: int, window: float) -> None:
    with (tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch,
          bot_services(Path(folder)) as services):
        async with fake_discord(patch) as fake, running_front(services, relay_interval=0.05):
            baseline = [await one_round(services, fake, None, n) for n in range(rounds)]
            limited = [await one_round(services, fake, window, rounds + n) for n in range(rounds)]
    base, held = statistics.median(baseline), statistics.median(limited)
    print(f"#clips' result, #shorts not limited: median {base * 1000:.0f} ms over {rounds} rounds")
    print(f"#clips' result, #shorts limited ({window:.1f} s 429): median {held * 1000:.0f} ms")
    print(f"ratio limited / not limited: {held / base:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--window", type=float, default=4.7)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.window))
