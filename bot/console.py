"""The console front: the same commands in a terminal, or scripted from standard input.

Interactive, it is a REPL whose job progress and results appear as they arrive. With
standard input not a terminal it runs one command per line, waits for the jobs each line
started (and for their messages) before the next, and returns at the end of input.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.relay import Envelope, Relay
from core import jobs, outbox
from core.identity import Caller
from core.invoke import run_text
from core.messages import Progress, Reply
from core.models import Workspace
from core.services import Services

FRONT = "console"
WORKSPACE = "local"
PROMPT = "ettametta> "


class ConsoleFront:
    front = FRONT

    def __init__(
        self,
        services: Services,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        *,
        interactive: bool | None = None,
        user: str | None = None,
    ) -> None:
        self.services = services
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.caller = Caller(
            front=FRONT,
            workspace_ref=WORKSPACE,
            chat_ref=WORKSPACE,
            user_ref=user or getpass.getuser(),
            user_name=user or getpass.getuser(),
            workspace_name="console",
            platform_admin=True,
        )
        self.relay = Relay(services, self, interval=0.2)
        self._choices: list[str] = []
        self._workspace_id: int | None = None

    async def send(self, envelope: Envelope) -> str | None:
        self.show(envelope.message, arrived=True)
        return envelope.key or str(envelope.event_id)

    async def edit(self, envelope: Envelope, message_id: str) -> None:
        self.show(envelope.message, arrived=True)

    def show(self, message: Reply | Progress, *, arrived: bool = False) -> None:
        """Print a message; one that arrived while the person types is printed above the prompt."""
        if arrived and self.interactive:
            self.stdout.write("\r\033[K")
        self._print(self._render(message))
        if arrived and self.interactive:
            self.stdout.write(PROMPT + _typed_so_far())
            self.stdout.flush()

    def _render(self, message: Reply | Progress) -> str:
        if isinstance(message, Progress):
            return message.line()
        lines = [("Error: " if message.error else "") + message.text]
        for attachment in message.attachments:
            lines.append(f"  [{attachment.kind}] {attachment.path}")
        if message.choices:
            self._choices = [choice.command for choice in message.choices]
            for number, choice in enumerate(message.choices, 1):
                lines.append(f"  {number}) {choice.label}  ({choice.command})")
            lines.append("Answer with a number, or type a command.")
        return "\n".join(lines)

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def run(self) -> None:
        """Read commands until end of input (or /quit), then let scripted jobs finish."""
        stop = asyncio.Event()
        relay = asyncio.create_task(self.relay.run(stop))
        try:
            if self.interactive:
                self._print("ettametta console — /help lists the commands, /quit leaves.")
            while True:
                line = await asyncio.to_thread(self._read_line)
                if line is None or line.strip() in ("/quit", "/exit"):
                    break
                if line.strip():
                    await self.handle(line)
                    if not self.interactive:
                        await self.wait_idle()
            if not self.interactive:
                await self.wait_idle()
        finally:
            await self.relay.deliver_pending()
            stop.set()
            await relay

    def _read_line(self) -> str | None:
        if self.interactive:
            try:
                return input(PROMPT)
            except EOFError:
                return None
        line = self.stdin.readline()
        return line if line else None

    async def handle(self, line: str) -> Reply:
        text = line.strip()
        if text.isdigit() and not self._choices:
            reply = Reply(text="There is nothing to choose from right now; /help lists the commands.",
                          error=True)
            self.show(reply)
            return reply
        if text.isdigit():
            index = int(text) - 1
            if not 0 <= index < len(self._choices):
                reply = Reply(text=f"Pick a number from 1 to {len(self._choices)}.", error=True)
                self.show(reply)
                return reply
            text = self._choices[index]
            self._print(f"> {text}")
        if not self.interactive:
            self._print(f"{PROMPT}{text}")
        reply = await asyncio.to_thread(run_text, self.services, self.caller, text)
        self.show(reply)
        return reply

    async def wait_idle(self, poll: float = 0.2) -> None:
        """Wait until this workspace has no due job and no undelivered console message."""
        while True:
            busy = await asyncio.to_thread(self._busy)
            if not busy:
                return
            await self.relay.deliver_pending()
            await asyncio.sleep(poll)

    def _busy(self) -> bool:
        with self.services.db.session() as session:
            workspace_id = self._workspace(session)
            if workspace_id is None:
                return False
            return bool(jobs.active_jobs(session, workspace_id)) or bool(
                outbox.undelivered_count(session, FRONT, workspace_id)
            )

    def _workspace(self, session: Session) -> int | None:
        if self._workspace_id is None:
            self._workspace_id = session.scalar(
                select(Workspace.id).where(Workspace.front == FRONT, Workspace.external_id == WORKSPACE)
            )
        return self._workspace_id


def _typed_so_far() -> str:
    try:
        import readline
    except ImportError:
        return ""
    return readline.get_line_buffer()
