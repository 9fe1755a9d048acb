"""Files over Discord's upload limit: the preview goes instead, once, with a note that states the
limit Discord set for that chat and links the full file, which the bot's web server serves."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.web import WebServer
from core import outbox
from core.commands import registry
from core.commands.registry import Command, Invocation
from core.messages import Attachment, Reply
from core.models import Job, OutboxEvent
from core.services import Services
from tests.fakes.discord_server import CHANNEL_ID, FakeDiscord, MiB
from tests.support.discord import fake_discord, job_requested_by, running_front

LIMIT = 64 * 1024


def _render_files(folder: Path, size: int) -> tuple[Path, Path, Path]:
    """A finished render as the render job leaves it: the full video, its preview, a thumbnail."""
    folder.mkdir(parents=True, exist_ok=True)
    full, preview, thumbnail = (folder / "render-7.mp4", folder / "render-7-preview.mp4",
                                folder / "render-7.png")
    with full.open("wb") as handle:
        handle.truncate(size)
    preview.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4096)
    thumbnail.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 512)
    return full, preview, thumbnail


def _result(full: Path, preview: Path, thumbnail: Path) -> Reply:
    """What core.media.records.result_reply sends: preview, thumbnail, and the full file."""
    return Reply(text="Render #7 is ready.", attachments=[
        Attachment(path=str(preview), kind="video", name=preview.name),
        Attachment(path=str(thumbnail), kind="image", name=thumbnail.name),
        Attachment(path=str(full), kind="video", name=full.name, fallback=str(preview))])


@pytest.fixture
def big_video(services: Services) -> Attachment:
    folder = services.settings.data_dir / "renders"
    folder.mkdir(parents=True)
    video = folder / "final.mp4"
    video.write_bytes(b"\x00" * (LIMIT * 2))
    preview = folder / "preview.jpg"
    preview.write_bytes(b"\xff\xd8\xff" + b"\x00" * 1024)
    return Attachment(path=str(video), kind="video", name="final.mp4", fallback=str(preview))


def _posted(fake: FakeDiscord, text: str, channel_id: int = CHANNEL_ID) -> list[dict]:
    return [m for m in fake.channel_messages(channel_id) if text in fake.text(m)]


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


async def test_a_render_over_the_servers_limit_posts_its_preview_once_and_links_the_full_file(
    fake: FakeDiscord, services: Services
) -> None:
    full, preview, thumbnail = _render_files(services.settings.data_dir / "renders" / "7", 12 * MiB)
    with services.db.session() as session:
        outbox.post(session, "discord", str(CHANNEL_ID), _result(full, preview, thumbnail))
    async with running_front(services) as front:
        web = WebServer(services, front.web_routes)
        assert await web.start()
        try:
            message = (await fake.wait_for(lambda: _posted(fake, "Render #7 is ready.")))[0]
            note = fake.text(message)
            link = note.split("Download the full file")[1].split(": ", 1)[1].split()[0]
            served = link.replace(services.settings.public_url.rstrip("/"), f"http://127.0.0.1:{web.port}")
            async with aiohttp.ClientSession() as http:
                async with http.get(served) as response:
                    body = await response.read()
                    disposition = response.headers["Content-Disposition"]
                async with http.get(served.replace("/files/", "/files/x")) as altered:
                    altered_status = altered.status
        finally:
            await web.stop()
    assert sorted(a["filename"] for a in message["attachments"]) == ["render-7-preview.mp4", "render-7.png"]
    assert "render-7.mp4 is 12 MB, over this server's 10 MB upload limit" in note
    assert "its preview (render-7-preview.mp4) is attached instead" in note
    assert "the link works for 7 days" in note
    assert response.status == 200 and len(body) == 12 * MiB and "render-7.mp4" in disposition
    assert altered_status == 404, "a link that was changed opens nothing"
    assert fake.refused == []


async def test_a_direct_message_takes_10_mib_so_a_12_mib_render_goes_as_its_preview_at_once(
    fake: FakeDiscord, services: Services
) -> None:
    sam = fake.add_user("sam")
    full, preview, thumbnail = _render_files(services.settings.data_dir / "renders" / "7", 12 * MiB)
    job_id = job_requested_by(services, sam)
    with services.db.session() as session:
        result = _result(full, preview, thumbnail).model_copy(update={"private": True})
        outbox.reply_to_job(session, session.get_one(Job, job_id), result)
    async with running_front(services):
        dm = (await fake.wait_for(lambda: _posted(fake, "Render #7 is ready.", fake.dm_channel_id(sam))))[0]
    assert sorted(a["filename"] for a in dm["attachments"]) == ["render-7-preview.mp4", "render-7.png"]
    assert "render-7.mp4 is 12 MB, over a direct message's 10 MB upload limit" in fake.text(dm)
    assert fake.refused == [], "nothing Discord would refuse was sent"


async def test_after_a_413_the_note_states_the_limit_discord_gives_for_the_server(
    monkeypatch: pytest.MonkeyPatch, services: Services
) -> None:
    full, preview, thumbnail = _render_files(services.settings.data_dir / "renders" / "7", 12 * MiB)
    async with fake_discord(monkeypatch, premium_tier=2) as fake, running_front(services):
        await fake.set_boost(0, tell_the_bot=False)  # the boosts ran out; the bot's cache says 50 MB
        with services.db.session() as session:
            outbox.post(session, "discord", str(CHANNEL_ID), _result(full, preview, thumbnail))
        message = (await fake.wait_for(lambda: _posted(fake, "Render #7 is ready.")))[0]
    assert "render-7.mp4 is 12 MB, over this server's 10 MB upload limit" in fake.text(message)
    assert sorted(a["filename"] for a in message["attachments"]) == ["render-7-preview.mp4", "render-7.png"]
    assert [(r.status, r.code) for r in fake.refused] == [(413, 40005)]


async def test_a_file_refused_within_the_known_limit_is_not_given_a_made_up_limit(
    monkeypatch: pytest.MonkeyPatch, services: Services, big_video: Attachment
) -> None:
    async with fake_discord(monkeypatch, guild_upload_limit=LIMIT) as fake, running_front(services):
        with services.db.session() as session:
            done = Reply(text="Render done.", attachments=[big_video])
            outbox.post(session, "discord", str(CHANNEL_ID), done)
        message = await fake.wait_for(lambda: _posted(fake, "Render done."))
    assert [a["filename"] for a in message[0]["attachments"]] == ["preview.jpg"]
    note = fake.text(message[0])
    assert "Discord refused final.mp4 (128 KB) as too large for this chat" in note
    assert "upload limit" not in note, "Discord named no limit, so neither does the note"
    assert "Download the full file" in note
    with services.db.session() as session:
        assert session.scalars(select(OutboxEvent)).one().delivered_at is not None
