"""Telegram delivery: keyboards and callbacks, progress edits, deep links, 429s, upload limits."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from pathlib import Path

from sqlalchemy import select

from core import outbox
from core.messages import Attachment, Choice, Progress, Reply
from core.models import Job, JobState, Member, OneTimeCode, OutboxEvent
from tests.fakes.telegram_server import MB
from tests.support.media import video
from tests.support.telegram import ADMIN, GROUP, VIEWER, Running, telegram_front


def _job_state(tg: Running, job_id: int) -> str:
    with tg.services.db.session() as session:
        return session.get_one(Job, job_id).state


async def test_a_choice_keyboard_runs_its_command_as_the_presser(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.send_text(GROUP, VIEWER, "/help")
        job_id, message_id, key = await tg.cancel_button(ADMIN)
        _, buttons = tg.keyboard(f"#{job_id} probe")
        assert [b["text"] for b in buttons] == [f"Cancel #{job_id}"]
        assert len(key.encode()) <= 64 and "/cancel" not in key

        tg.fake.press(GROUP, VIEWER, message_id, key)
        refusal = await tg.fake.wait_for(lambda: tg.fake.sent("answerCallbackQuery"))
        assert "Only editors and owners can run /cancel" in refusal[0].params["text"]
        assert refusal[0].params["show_alert"] == "true"
        assert _job_state(tg, job_id) == JobState.queued

        tg.fake.press(GROUP, ADMIN, message_id, key)
        await tg.said(GROUP, f"Job #{job_id} (probe) was cancelled before it started.")
        answers = tg.fake.sent("answerCallbackQuery")
        assert len(answers) == 2 and "cancelled" in answers[1].params["text"]
        assert _job_state(tg, job_id) == JobState.cancelled


async def test_a_long_command_behind_a_button_still_fits_64_bytes(services) -> None:
    async with telegram_front(services, relay=False) as tg:
        tg.fake.send_text(GROUP, ADMIN, "/help")
        await tg.said(GROUP, "Commands")
        niche = "quick weeknight cooking for busy parents, mostly vegetarian"
        command = f'/settings niche "{niche}"'
        assert len(command.encode()) > 64
        with tg.services.db.session() as session:
            outbox.post(session, "telegram", str(GROUP), Reply(
                text="Pick one", choices=[Choice(label="Use this niche", command=command, emoji="🎙")]),
                workspace_id=tg.group_workspace())
        assert await tg.front.relay.deliver_pending() == 1
        message_id, buttons = tg.keyboard("Pick one")
        assert buttons[0]["text"] == "🎙 Use this niche" and len(buttons[0]["callback_data"]) <= 64
        tg.fake.press(GROUP, ADMIN, message_id, buttons[0]["callback_data"])
        await tg.said(GROUP, f"niche is now {niche}.")


async def test_a_stale_or_forged_button_is_answered_not_run(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.send_text(GROUP, ADMIN, "/help")
        await tg.said(GROUP, "Commands")
        message_id = max(mid for (chat, mid) in tg.fake.messages if chat == GROUP)
        tg.fake.press(GROUP, ADMIN, message_id, "c-forged-key")
        answer = await tg.fake.wait_for(lambda: tg.fake.sent("answerCallbackQuery"))
        assert "no longer works" in answer[0].params["text"]


async def test_progress_edits_one_message_and_skips_edits_that_change_nothing(services) -> None:
    async with telegram_front(services, relay=False) as tg:
        tg.fake.send_text(GROUP, ADMIN, "/help")
        await tg.said(GROUP, "Commands")
        job_id = tg.queued_job()

        async def report(percent: float, text: str) -> None:
            with tg.services.db.session() as session:
                job = session.get_one(Job, job_id)
                outbox.progress(session, job, Progress(job_id=job_id, kind="probe", percent=percent,
                                                       text=text))
            await tg.front.relay.deliver_pending()

        await report(10, "reading")
        await report(50, "halfway")
        await report(50, "halfway")
        await report(100, "done")
        posted = [c for c in tg.fake.sent("sendMessage", GROUP) if "Job #" in c.params["text"]]
        edits = tg.fake.sent("editMessageText", GROUP)
        assert len(posted) == 1 and "10%" in posted[0].params["text"]
        assert [("50%" in e.params["text"], "100%" in e.params["text"]) for e in edits] == [
            (True, False), (False, True)]
        assert len({e.params["message_id"] for e in edits}) == 1


async def test_a_private_message_waits_for_start_behind_a_deep_link(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.send_text(GROUP, VIEWER, "/help")
        await tg.said(GROUP, "Commands")
        with tg.services.db.session() as session:
            member = session.scalar(select(Member).where(Member.user_ref == str(VIEWER)))
            event = outbox.direct(session, member, Reply(text="Your YouTube link: https://x/y"))
            session.flush()
            event_id = event.id

        notice = await tg.said(GROUP, "I have a private message for you")
        assert "https://x/y" not in notice, "the private content never goes to the group"
        code = re.search(r"t\.me/ettametta_test_bot\?start=([A-Za-z0-9_-]{1,64}) ", notice).group(1)

        def waiting() -> bool:
            with tg.services.db.session() as session:
                event = session.get_one(OutboxEvent, event_id)
                return event.delivered_at is None and "deep link" in (event.last_error or "")

        await tg.fake.wait_for(waiting)

        tg.fake.send_text(VIEWER, VIEWER, f"/start {code}")
        await tg.said(VIEWER, "Your YouTube link: https://x/y")

        def delivered() -> bool:
            with tg.services.db.session() as session:
                return session.get_one(OutboxEvent, event_id).delivered_at is not None

        await tg.fake.wait_for(delivered)
        with tg.services.db.session() as session:
            assert session.get_one(OneTimeCode, code).used_at is not None


async def test_a_direct_message_to_someone_who_started_the_bot_arrives_at_once(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.send_text(VIEWER, VIEWER, "/start")
        tg.fake.send_text(GROUP, VIEWER, "/help")
        await tg.said(GROUP, "Commands")
        with tg.services.db.session() as session:
            member = session.scalar(select(Member).where(Member.user_ref == str(VIEWER),
                                                         Member.workspace_id == tg.group_workspace()))
            outbox.direct(session, member, Reply(text="Token expires tomorrow"))
        await tg.said(VIEWER, "Token expires tomorrow")
        assert not [t for t in tg.texts(GROUP) if "private message" in t]


async def test_a_429_waits_retry_after_then_delivers(services) -> None:
    async with telegram_front(services, relay=False) as tg:
        tg.fake.send_text(GROUP, ADMIN, "/help")
        await tg.said(GROUP, "Commands")
        tg.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        with tg.services.db.session() as session:
            event = outbox.post(session, "telegram", str(GROUP), Reply(text="Render finished"),
                                workspace_id=tg.group_workspace())
            session.flush()
            event_id = event.id
        assert await tg.front.relay.deliver_pending() == 0
        with tg.services.db.session() as session:
            event = session.get_one(OutboxEvent, event_id)
            wait = (event.next_attempt_at - event.created_at).total_seconds()
            assert event.delivered_at is None and "Flood control" in event.last_error
        assert 0.5 < wait < 3, "the relay waits what Telegram asked, not its own backoff"
        assert await tg.front.relay.deliver_pending() == 0, "not before retry_after has passed"
        await asyncio.sleep(wait + 0.1)
        assert await tg.front.relay.deliver_pending() == 1
        assert [t for t in tg.texts(GROUP) if t == "Render finished"]


def _big_render(tmp_path: Path) -> tuple[Path, Path]:
    big = tmp_path / "render.mp4"
    with big.open("wb") as handle:
        handle.truncate(51 * MB)
    preview = video(tmp_path / "preview.mp4", seconds=1, size="90x160", audio=False)
    return big, preview


async def _post_render(tg: Running, big: Path, preview: Path) -> None:
    tg.fake.send_text(GROUP, ADMIN, "/help")
    await tg.said(GROUP, "Commands")
    reply = Reply(text="Your short is ready", attachments=[
        Attachment(path=str(big), kind="video", name="short.mp4", fallback=str(preview))])
    with tg.services.db.session() as session:
        outbox.post(session, "telegram", str(GROUP), reply, workspace_id=tg.group_workspace())
    assert await tg.front.relay.deliver_pending() == 1


async def test_an_upload_over_50_mb_sends_the_preview_on_the_official_api(services, tmp_path) -> None:
    big, preview = _big_render(tmp_path)
    async with telegram_front(services, relay=False) as tg:
        await _post_render(tg, big, preview)
        videos = tg.fake.sent("sendVideo", GROUP)
        assert [v.uploads["video"] for v in videos] == [preview.stat().st_size]
        assert "short.mp4 is 51 MB, over the 50 MB a bot may upload here" in videos[0].params["caption"]
        assert "Your short is ready" in tg.texts(GROUP)


async def test_an_upload_over_50_mb_goes_whole_to_a_local_bot_api_server(services, tmp_path) -> None:
    big, preview = _big_render(tmp_path)
    async with telegram_front(services, relay=False, local_server=True) as tg:
        await _post_render(tg, big, preview)
        videos = tg.fake.sent("sendVideo", GROUP)
        assert [v.uploads["video"] for v in videos] == [51 * MB]
        assert "caption" not in videos[0].params


async def test_a_proposal_shows_preview_thumbnail_and_a_keyboard(services, tmp_path) -> None:
    preview = video(tmp_path / "preview.mp4", seconds=1, size="90x160", audio=False)
    thumbnail = tmp_path / "thumb.png"
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(preview), "-frames:v", "1",
                    str(thumbnail)], check=True)
    titles = ["I cooked pasta in 4 minutes and this happened", "The lazy pasta trick",
              "Pasta, but faster than delivery"]
    reply = Reply(
        text="Proposal #3 for render #7\nTitles:\n" + "\n".join(titles),
        attachments=[Attachment(path=str(preview), kind="video", name="preview.mp4"),
                     Attachment(path=str(thumbnail), kind="image", name="thumbnail.png")],
        choices=[Choice(label=f"{n}: {t[:40]}", command=f"/pick 3 {n}", emoji=f"{n}\ufe0f\u20e3")
                 for n, t in enumerate(titles, 1)]
        + [Choice(label="Approve", command="/approve 3", emoji="✅"),
           Choice(label="Reject", command="/reject 3", emoji="❌"),
           Choice(label="New titles", command="/regenerate 3", emoji="🔁")],
        subject="proposal:3",
    )
    async with telegram_front(services, relay=False) as tg:
        tg.fake.send_text(GROUP, ADMIN, "/help")
        await tg.said(GROUP, "Commands")
        with tg.services.db.session() as session:
            outbox.post(session, "telegram", str(GROUP), reply, workspace_id=tg.group_workspace())
        assert await tg.front.relay.deliver_pending() == 1
        sent = [c.method for c in tg.fake.sent(chat_id=GROUP) if c.method.startswith("send")]
        assert sent[-3:] == ["sendVideo", "sendPhoto", "sendMessage"]
        message_id, buttons = tg.keyboard("Proposal #3")
        markup = json.loads(tg.fake.sent("sendMessage", GROUP)[-1].params["reply_markup"])
        rows = [[b["text"] for b in row] for row in markup["inline_keyboard"]]
        assert rows[:3] == [[f"{n}\ufe0f\u20e3 {n}: {t[:40]}"] for n, t in enumerate(titles, 1)]
        assert rows[3:] == [["✅ Approve", "❌ Reject", "🔁 New titles"]]
        assert all(1 <= len(b["callback_data"].encode()) <= 64 for b in buttons)


async def test_a_private_job_result_reaches_its_requester_through_the_deep_link(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.send_text(GROUP, VIEWER, "/help")
        await tg.fake.wait_for(lambda: tg.member_id(VIEWER))
        job_id = tg.queued_job(VIEWER)
        with tg.services.db.session() as session:
            outbox.reply_to_job(session, session.get_one(Job, job_id),
                                Reply(text="Sign in here: https://auth/abc", private=True))
        notice = await tg.said(GROUP, "I have a private message for you")
        code = re.search(r"\?start=([A-Za-z0-9_-]+) ", notice).group(1)
        tg.fake.send_text(VIEWER, VIEWER, f"/start {code}")
        await tg.said(VIEWER, "Sign in here: https://auth/abc")
        assert not [t for t in tg.texts(GROUP) if "https://auth/abc" in t]
