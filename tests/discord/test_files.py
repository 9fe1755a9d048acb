"""Files over Discord's upload limit are replaced by their preview, with a note saying so."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core import outbox
from core.commands import registry
from core.commands.registry import Command, Invocation
from core.messages import Attachment, Reply
from core.models import OutboxEvent
from core.services import Services
from tests.fakes.discord_server import CHANNEL_ID
from tests.support.discord import fake_discord, running_front

LIMIT = 64 * 1024



@pytest.fixture
def big_video(tmp_path: Path) -> Attachment:
    video = tmp_path / "final.mp4"
    video.write_bytes(b"\x00" * (LIMIT * 2))
    preview = tmp_path / "preview.jpg"
    preview.write_bytes(b"\xff\xd8\xff" + b"\x00" * 1024)
    return Attachment(path=str(video), kind="video", name="final.mp4", fallback=str(preview))


async def test_an_answer_over_the_interaction_limit_sends_the_preview(
    monkeypatch: pytest.MonkeyPatch, services: Services, big_video: Attachment
) -> None:
    def final_cut(inv: Invocation, svc: Services) -> Reply:
        """Show the final cut (test command)."""
        return Reply(text="Here is the final cut.", attachments=[big_video])

    monkeypatch.setitem(registry._COMMANDS, "final", Command("final", "Show the final cut.", final_cut))
    async with fake_discord(monkeypatch, interaction_upload_limit=LIMIT) as fake, running_front(services):
        asked = await fake.slash("final", user=fake.add_user("sam"))
        answer = await fake.wait_for(lambda: (m := fake.original(asked)) and m.get("embeds") and m)
    assert [a["filename"] for a in answer["attachments"]] == ["preview.jpg"]
    assert "final.mp4 is 128 KB, over this chat's 64 KB upload limit" in fake.text(answer)


async def test_a_result_refused_as_too_large_is_sent_again_with_the_preview(
    monkeypatch: pytest.MonkeyPatch, services: Services, big_video: Attachment
) -> None:
    async with fake_discord(monkeypatch, guild_upload_limit=LIMIT) as fake, running_front(services):
        with services.db.session() as session:
            done = Reply(text="Render done.", attachments=[big_video])
            outbox.post(session, "discord", str(CHANNEL_ID), done)
        message = await fake.wait_for(lambda: [m for m in fake.channel_messages()
                                               if "Render done." in fake.text(m)])
    assert [a["filename"] for a in message[0]["attachments"]] == ["preview.jpg"]
    assert "here is its preview (preview.jpg) instead" in fake.text(message[0])
    with services.db.session() as session:
        assert session.scalars(select(OutboxEvent)).one().delivered_at is not None
