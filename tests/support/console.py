"""Driving the console front as a script, the way `ettametta run --console < file` does."""

from __future__ import annotations

import asyncio
import io

from bot.console import ConsoleFront
from core.services import Services


def run_script(services: Services, lines: list[str], *, user: str = "tester") -> str:
    """Feed commands to a scripted console (a worker must be running) and return what it printed."""
    stdin = io.StringIO("\n".join(lines) + "\n")
    stdout = io.StringIO()
    front = ConsoleFront(services, stdin, stdout, interactive=False, user=user)
    asyncio.run(front.run())
    return stdout.getvalue()
