"""Jobs from Discord: an attached file probed by a real worker, progress edited in place, 429s."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core import outbox
from core.messages import Reply
from core.models import Job, JobState, OutboxEvent
from core.services import Services
from tests.conftest import ThreadWorker
from tests.fakes.discord_server import ADMIN_ROLE_ID, CHANNEL_ID, FakeDiscord
from tests.support.discord import job_in_channel, report_progress, running_front
from tests.support.media import video


async def test_probe_of_an_attached_clip_answers_at_once_and_posts_the_result(
    fake: FakeDiscord, services: Services, tmp_path: Path
) -> None:
    clip = video(tmp_path / "holiday clip.mp4", seconds=1, size="160x120")
    editor = fake.add_user("ed", roles=(ADMIN_ROLE_ID,))
    with ThreadWorker(services):
        async with running_front(services):
            asked = await fake.slash("probe", user=editor, attachments={"path": ("../holiday clip.mp4",
                                                                                 clip.read_bytes())})
            answer = await fake.wait_for(lambda: (m := fake.original(asked)) and m.get("embeds") and m)
            result = await fake.wait_for(lambda: [m for m in fake.channel_messages()
                                                  if "video h264 160x120" in fake.text(m)])
            progress = await fake.wait_for(lambda: [m for m in fake.channel_messages()
                                                    if "Job #1 probe [" in m["content"]])
    assert asked.acknowledged == 5 and fake.late == []
    assert "Started job #1" in fake.text(answer)
    assert len(result) == 1 and len(progress) == 1, "one progress message, edited rather than repeated"
    uploads = list((services.settings.data_dir / "uploads").iterdir())
    assert len(uploads) == 1 and uploads[0].suffix == ".mp4" and "holiday" not in uploads[0].name
    with services.db.session() as session:
        job = session.scalars(select(Job)).one()
        assert job.state == JobState.succeeded and job.payload["path"] == str(uploads[0])


async def test_progress_is_one_message_edited_in_place(fake: FakeDiscord, services: Services) -> None:
    job = job_in_channel(services)
    async with running_front(services, min_edit_interval=0.1):
        report_progress(services, job, 10, "reading")
        first = await fake.wait_for(lambda: [m for m in fake.channel_messages() if "10%" in m["content"]])
        report_progress(services, job, 60, "cutting")
        await fake.wait_for(lambda: "60%" in fake.messages[int(first[0]["id"])]["content"])
    assert len(fake.channel_messages()) == 1
    assert int(first[0]["id"]) in fake.edits
    assert "cutting" in first[0]["content"]


async def test_a_short_rate_limit_is_absorbed_and_the_message_still_arrives(
    fake: FakeDiscord, services: Services
) -> None:
    job = job_in_channel(services)
    fake.rate_limited_posts = 1
    async with running_front(services):
        with services.db.session() as session:
            outbox.reply_to_job(session, session.get_one(Job, job), Reply(text="Rendered."))
        await fake.wait_for(lambda: [m for m in fake.channel_messages() if "Rendered." in fake.text(m)])
    with services.db.session() as session:
        event = session.scalars(select(OutboxEvent)).one()
        assert event.delivered_at is not None and event.platform_message_id.startswith(f"{CHANNEL_ID}:")
