"""`ettametta run`: everything configured, in one process and one event loop.

The bots whose tokens are set, the outbox relays, the web server for OAuth callbacks,
local worker processes, and the console front when no bot token is set (or on request).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TextIO

from bot.console import ConsoleFront
from bot.fronts import ChatFront, chat_fronts
from bot.oauth_web import oauth_routes
from bot.web import WebServer
from core import scheduler
from core.config import Settings
from core.db import upgrade
from core.services import Services
from workers.bootstrap import build_services
from workers.local import WorkerPool

log = logging.getLogger(__name__)

SUPERVISE_SECONDS = 5.0


def prepare_database(settings: Settings, services: Services) -> None:
    """The embedded SQLite default migrates itself; a shared database is migrated on purpose."""
    if settings.is_sqlite:
        upgrade(settings)
    elif not services.db.is_migrated():
        raise SystemExit("The database is not migrated: run `ettametta db upgrade` first.")


async def serve(
    settings: Settings,
    *,
    console: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    services = build_services(settings)
    prepare_database(settings, services)
    pool = _start_pool(settings)
    schedules = scheduler.Scheduler(services)
    schedules.start()
    fronts = await _start_fronts(services)
    web = WebServer(services, (oauth_routes, *(route for front in fronts for route in front.web_routes)))
    await web.start()
    stop = asyncio.Event()
    background = [asyncio.create_task(front.relay.run(stop)) for front in fronts]
    if pool is not None:
        background.append(asyncio.create_task(_supervise(pool, stop)))
    try:
        if console or not fronts:
            await ConsoleFront(services, stdin, stdout).run()
        else:
            await _wait_for_signal()
    finally:
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
        for front in fronts:
            await front.stop()
        await web.stop()
        await asyncio.to_thread(schedules.stop)
        scheduler.shutdown_writers()
        if pool is not None:
            await asyncio.to_thread(pool.stop)
        services.db.dispose()
    return 0


def _start_pool(settings: Settings) -> WorkerPool | None:
    if settings.queue_url != "local" or settings.workers == 0:
        return None
    pool = WorkerPool(settings, settings.workers)
    pool.start()
    return pool


async def _start_fronts(services: Services) -> list[ChatFront]:
    """Log in each configured front; one that fails is reported and the others keep running."""
    started = []
    for front in chat_fronts(services):
        try:
            await front.start()
        except Exception as exc:
            log.error("%s front could not start: %s", front.front, exc)
            continue
        started.append(front)
    return started


async def _supervise(pool: WorkerPool, stop: asyncio.Event) -> None:
    while not stop.is_set():
        pool.replace_dead()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SUPERVISE_SECONDS)


async def _wait_for_signal() -> None:
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)
    await done.wait()
