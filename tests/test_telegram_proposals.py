"""Proposals on Telegram: the keyboard decides them as the person who pressed, once."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlalchemy import select

from core import outbox
from core.models import Proposal, ProposalState, Render, Workspace
from core.proposals.making import ReplyTo, propose
from core.proposals.replies import proposal_reply
from tests.support.media import video
from tests.support.proposals import make_render
from tests.support.telegram import ADMIN, GROUP, VIEWER, Running, telegram_front

EDITOR = 33


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
    with tg.services.db.session() as session:
        workspace_id = session.scalar(select(Workspace.id).where(Workspace.external_id == str(GROUP)))
    render_id = make_render(tg.services, workspace_id, "Cold brew takes twelve hours. Here is why it works.",
                            preview_path=str(preview), thumbnail_path=str(thumbnail))
    proposal = propose(tg.services, workspace_id, render_id, ReplyTo("telegram", str(GROUP)))
    with tg.services.db.session() as session:
        reply = proposal_reply(proposal, session.get(Render, render_id))
        outbox.post(session, "telegram", str(GROUP), reply, workspace_id=workspace_id)
    await tg.said(GROUP, f"Proposal #{proposal.id} for render #{render_id}")
    call = next(c for c in tg.fake.sent("sendMessage", GROUP) if c.params["text"].startswith("Proposal #"))
    message_id = next(mid for (chat, mid), m in tg.fake.messages.items()
                      if chat == GROUP and m.get("text") == call.params["text"])
    buttons = {b["text"]: b["callback_data"]
               for row in json.loads(call.params["reply_markup"])["inline_keyboard"] for b in row}
    return proposal.id, message_id, buttons


def state(tg: Running, proposal_id: int) -> tuple[str, int | None]:
    with tg.services.db.session() as session:
        proposal = session.get_one(Proposal, proposal_id)
        return proposal.state, proposal.chosen_index


async def alert(tg: Running, count: int) -> dict[str, str]:
    answers = await tg.fake.wait_for(lambda: tg.fake.sent("answerCallbackQuery")[count - 1:])
    return answers[-1].params


async def test_an_editor_picks_a_title_and_a_viewer_is_refused(services, tmp_path) -> None:
    async with telegram_front(services) as tg:
        proposal_id, message_id, buttons = await post_proposal(tg, tmp_path)
        media = [c.method for c in tg.fake.sent(chat_id=GROUP) if c.method in ("sendVideo", "sendPhoto")]
        assert media == ["sendVideo", "sendPhoto"]
        approve, pick_two = buttons["✅ Approve"], next(k for t, k in buttons.items() if t.startswith("2️⃣"))

        tg.fake.press(GROUP, VIEWER, message_id, approve)
        refused = await alert(tg, 1)
        assert "Only editors and owners can run /approve" in refused["text"]
        assert refused["show_alert"] == "true"
        assert state(tg, proposal_id) == (ProposalState.pending, None)

        tg.fake.press(GROUP, EDITOR, message_id, pick_two)
        await tg.said(GROUP, f"Approved proposal #{proposal_id}")
        assert state(tg, proposal_id) == (ProposalState.approved, 1)

        tg.fake.press(GROUP, EDITOR, message_id, approve)
        again = await alert(tg, 3)
        assert f"Proposal #{proposal_id} was already approved by user{EDITOR}" in again["text"]
        assert state(tg, proposal_id) == (ProposalState.approved, 1)
