"""A real PTB Application (our Telegram front) running against the fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.telegram import TelegramFront
from core import jobs, outbox
from core.models import Member, Render, Workspace
from core.proposals.making import ReplyTo, propose
from core.proposals.replies import proposal_reply
from core.services import Services
from tests.conftest import with_settings
from tests.fakes.telegram_server import TOKEN, FakeTelegram
from tests.support.media import video
from tests.support.proposals import make_render

GROUP = -100500
ADMIN = 11
VIEWER = 22
EDITOR = 33


@dataclass
class Running:
    fake: FakeTelegram
    front: TelegramFront
    services: Services

    def texts(self, chat_id: int) -> list[str]:
        """What the chat now shows (requests the server refused don't count)."""
        return [c.params.get("text") or c.params.get("caption", "")
                for c in self.fake.calls
                if c.ok and c.method.startswith("send") and str(c.params.get("chat_id")) == str(chat_id)]

    async def said(self, chat_id: int, fragment: str, timeout: float = 15.0) -> str:
        return await self.fake.wait_for(
            lambda: next((t for t in self.texts(chat_id) if fragment in t), None), timeout)

    def group_workspace(self) -> int:
        with self.services.db.session() as session:
            return session.scalar(select(Workspace.id).where(Workspace.external_id == str(GROUP)))

    def member_id(self, user: int) -> int | None:
        """The user as a member of the group's workspace (once they have written there)."""
        with self.services.db.session() as session:
            return session.scalar(select(Member.id).join(Workspace).where(
                Workspace.external_id == str(GROUP), Member.user_ref == str(user)))

    def queued_job(self, requester: int = ADMIN) -> int:
        """A probe job waiting in the queue (no worker runs), started from the group by `requester`."""
        origin = jobs.Origin(self.group_workspace(), self.member_id(requester), "telegram", str(GROUP))
        with self.services.db.session() as session:
            return jobs.enqueue(session, "probe", {"path": "x.mp4"}, origin).id

    def keyboard(self, text_fragment: str) -> tuple[int, list[dict[str, str]]]:
        """The group message containing `text_fragment`: its id and its buttons."""
        call = next(c for c in reversed(self.fake.sent("sendMessage", GROUP))
                    if c.ok and text_fragment in c.params["text"])
        message_id = next(mid for (chat, mid), m in self.fake.messages.items()
                          if chat == GROUP and m.get("text") == call.params["text"])
        buttons = [b for row in json.loads(call.params["reply_markup"])["inline_keyboard"] for b in row]
        return message_id, buttons

    async def cancel_button(self, user: int = ADMIN) -> tuple[int, int, str]:
        """`user` starts a job and asks /queue; returns the job, the message and its Cancel key."""
        self.fake.send_text(GROUP, user, "/help")
        await self.fake.wait_for(lambda: self.member_id(user))
        job_id = self.queued_job(user)
        self.fake.send_text(GROUP, user, "/queue")
        await self.said(GROUP, f"#{job_id} probe — waiting")
        message_id, buttons = self.keyboard(f"#{job_id} probe")
        return job_id, message_id, buttons[0]["callback_data"]


@contextlib.asynccontextmanager
async def telegram_front(
    services: Services,
    *,
    local_server: bool = False,
    relay: bool = True,
    start: bool = True,
    **settings: Any,
) -> AsyncIterator[Running]:
    """Start the fake and the front; `local_server` also sets TELEGRAM_API_BASE_URL to the fake."""
    fake = await FakeTelegram(local_server=local_server).start()
    fake.group(GROUP, "Creators", admins={ADMIN})
    overrides: dict[str, Any] = {"telegram_token": TOKEN, **settings}
    if local_server:
        overrides["telegram_api_base_url"] = fake.root
    svc = dataclasses.replace(services, settings=with_settings(services.settings, **overrides))
    front = TelegramFront(svc, api_root=fake.root, min_edit_interval=0.0, relay_interval=0.05)
    stop = asyncio.Event()
    task = None
    try:
        if start:
            await front.start()
        if relay:
            task = asyncio.create_task(front.relay.run(stop))
        yield Running(fake, front, svc)
    finally:
        stop.set()
        if task is not None:
            await task
        if start:
            await front.stop()
        await fake.stop()


async def post_proposal(tg: Running, tmp_path: Path) -> tuple[int, int, dict[str, str]]:
    """A real proposal (offline writer) for the group; returns its id, message id and button keys."""
    for user in (VIEWER, EDITOR):
        tg.fake.send_text(GROUP, user, "/help")
    await tg.fake.wait_for(lambda: len(tg.texts(GROUP)) >= 2)
    tg.fake.send_text(GROUP, ADMIN, f"/role {EDITOR} editor")
    await tg.said(GROUP, f"user{EDITOR} is now editor.")
    preview = video(tmp_path / "preview.mp4", seconds=1, size="90x160", audio=False)
    thumbnail = tmp_path / "thumbnail.png"
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(preview), "-frames:v", "1",
                    str(thumbnail)], check=True)
    workspace_id = tg.group_workspace()
    render_id = make_render(tg.services, workspace_id, "Cold brew takes twelve hours. Here is why it works.",
                            preview_path=str(preview), thumbnail_path=str(thumbnail))
    proposal = propose(tg.services, workspace_id, render_id, ReplyTo("telegram", str(GROUP)))
    with tg.services.db.session() as session:
        reply = proposal_reply(proposal, session.get(Render, render_id))
        outbox.post(session, "telegram", str(GROUP), reply, workspace_id=workspace_id)
    await tg.said(GROUP, f"Proposal #{proposal.id} for render #{render_id}")
    message_id, keyboard = tg.keyboard(f"Proposal #{proposal.id} for render")
    buttons = {b["text"]: b["callback_data"] for b in keyboard}
    return proposal.id, message_id, buttons
