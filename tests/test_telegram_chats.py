"""Chats that change under the bot on Telegram: a group upgraded to a supergroup, a progress
message someone deleted, a chat the bot can never reach again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core import outbox
from core.identity import Caller
from core.invoke import run_text
from core.messages import Progress, Reply
from core.models import (
    Job,
    JobState,
    Member,
    OneTimeCode,
    OutboxEvent,
    Proposal,
    Subscription,
    Watch,
    Workspace,
)
from tests.support.telegram import ADMIN, EDITOR, GROUP, VIEWER, Running, post_proposal, telegram_front

SUPERGROUP = -1009990001


def bind_watch_and_digest(tg: Running) -> None:
    """A watch reporting to the group and its weekly digest, as /watch add and /digest on make them."""
    workspace_id = tg.group_workspace()
    with tg.services.db.session() as session:
        session.add(Watch(workspace_id=workspace_id, source_kind="youtube-channel", source_ref="@bakery",
                          every_seconds=3600, reply_front="telegram", reply_chat=str(GROUP)))
        session.add(Subscription(workspace_id=workspace_id, kind="digest", reply_front="telegram",
                                 reply_chat=str(GROUP), spec={"weekday": 4, "hour": 17}))


def chats_named(tg: Running) -> dict[str, set[str]]:
    """Which chat each kind of row reports to."""
    with tg.services.db.session() as session:
        return {
            "workspace": set(session.scalars(select(Workspace.external_id)
                                             .where(Workspace.front == "telegram"))),
            "job": set(session.scalars(select(Job.reply_chat))),
            "proposal": set(session.scalars(select(Proposal.reply_chat))),
            "watch": set(session.scalars(select(Watch.reply_chat))),
            "digest": set(session.scalars(select(Subscription.reply_chat))),
            "outbox": set(session.scalars(select(OutboxEvent.chat_ref).where(
                OutboxEvent.delivered_at.is_(None), OutboxEvent.chat_ref.like("-%")))),
            "buttons": {code.data["chat"] for code in session.scalars(select(OneTimeCode))
                        if "chat" in code.data},
        }


def report(tg: Running, job_id: int, percent: float) -> None:
    with tg.services.db.session() as session:
        outbox.progress(session, session.get_one(Job, job_id),
                        Progress(job_id=job_id, kind="probe", percent=percent, text="working"))


def event_row(tg: Running, event_id: int) -> OutboxEvent:
    with tg.services.db.session() as session:
        return session.get_one(OutboxEvent, event_id)


async def test_a_group_upgraded_to_a_supergroup_takes_everything_bound_to_it(services, tmp_path: Path
                                                                              ) -> None:
    async with telegram_front(services) as tg:
        proposal_id, message_id, buttons = await post_proposal(tg, tmp_path)
        tg.queued_job()
        bind_watch_and_digest(tg)
        before = chats_named(tg)
        assert all(chats == {str(GROUP)} for name, chats in before.items() if name != "outbox"), before

        tg.fake.migrate(GROUP, SUPERGROUP)
        await tg.fake.wait_for(lambda: chats_named(tg)["workspace"] == {str(SUPERGROUP)})
        after = chats_named(tg)
        assert all(chats <= {str(SUPERGROUP)} for chats in after.values()), after

        pick_two = next(key for text, key in buttons.items() if text.startswith("2️⃣"))
        tg.fake.press(SUPERGROUP, EDITOR, message_id, pick_two)
        await tg.said(SUPERGROUP, f"Approved proposal #{proposal_id}")


async def test_a_message_for_a_group_upgraded_while_the_bot_was_away_follows_the_new_id(services) -> None:
    async with telegram_front(services, relay=False) as tg:
        tg.fake.send_text(GROUP, ADMIN, "/settings niche cooking")
        await tg.said(GROUP, "niche is now cooking.")
        job_id = tg.queued_job()
        bind_watch_and_digest(tg)
        tg.fake.migrate(GROUP, SUPERGROUP, announce=False)
        with tg.services.db.session() as session:
            outbox.reply_to_job(session, session.get_one(Job, job_id), Reply(text="Render finished"))

        assert await tg.front.relay.deliver_pending() == 1
        assert "Render finished" in tg.texts(SUPERGROUP)
        refused = [c for c in tg.fake.sent("sendMessage", GROUP) if not c.ok]
        assert len(refused) == 1, "the old id is tried once, then never again"
        assert all(chats <= {str(SUPERGROUP)} for chats in chats_named(tg).values())

        tg.fake.send_text(SUPERGROUP, ADMIN, "/settings niche")
        await tg.said(SUPERGROUP, "niche = cooking")


async def progress_then_deleted(tg: Running, percent: float) -> tuple[int, int]:
    """A job's progress message is posted, then someone deletes it: (job id, message id)."""
    tg.fake.send_text(GROUP, ADMIN, "/help")
    await tg.said(GROUP, "Commands")
    job_id = tg.queued_job()
    report(tg, job_id, percent)
    await tg.front.relay.deliver_pending()
    message_id = next(mid for (chat, mid), m in tg.fake.messages.items()
                      if chat == GROUP and "Job #" in m.get("text", ""))
    tg.fake.delete_message(GROUP, message_id)
    return job_id, message_id


async def test_a_deleted_progress_message_is_posted_afresh_and_the_result_still_arrives(services) -> None:
    async with telegram_front(services, relay=False) as tg:
        job_id, first_id = await progress_then_deleted(tg, 10)
        report(tg, job_id, 40)
        await tg.front.relay.deliver_pending()
        report(tg, job_id, 70)
        await tg.front.relay.deliver_pending()
        with tg.services.db.session() as session:
            outbox.reply_to_job(session, session.get_one(Job, job_id), Reply(text="Probe finished"))
        await tg.front.relay.deliver_pending()

        posted = [c for c in tg.fake.sent("sendMessage", GROUP) if c.ok and "Job #" in c.params["text"]]
        assert ["10%" in posted[0].params["text"], "40%" in posted[1].params["text"]] == [True, True]
        edits = [c for c in tg.fake.sent("editMessageText", GROUP) if c.ok]
        assert len(edits) == 1 and "70%" in edits[0].params["text"]
        assert int(edits[0].params["message_id"]) != first_id, "later edits go to the fresh message"
        assert "Probe finished" in tg.texts(GROUP)
        with tg.services.db.session() as session:
            assert session.scalar(select(OutboxEvent).where(OutboxEvent.delivered_at.is_(None))) is None


async def test_a_deleted_progress_message_of_a_finished_job_is_not_posted_again(services) -> None:
    async with telegram_front(services, relay=False) as tg:
        job_id, _ = await progress_then_deleted(tg, 30)
        with tg.services.db.session() as session:
            job = session.get_one(Job, job_id)
            job.state = JobState.succeeded
            outbox.progress(session, job, Progress(job_id=job_id, kind="probe", percent=90, text="writing"))
            outbox.reply_to_job(session, job, Reply(text="Probe finished"))
        await tg.front.relay.deliver_pending()
        progress_posts = [c for c in tg.fake.sent("sendMessage", GROUP) if "Job #" in c.params["text"]]
        assert len(progress_posts) == 1 and "Probe finished" in tg.texts(GROUP)
        with tg.services.db.session() as session:
            dropped = next(e for e in session.scalars(select(OutboxEvent)) if e.payload.get("percent") == 90)
            assert dropped.delivered_at is not None and not dropped.failure
            assert "deleted" in dropped.last_error


async def test_messages_that_can_never_arrive_end_with_a_reason_that_status_counts(services) -> None:
    async with telegram_front(services, relay=False) as tg:
        tg.fake.send_text(VIEWER, VIEWER, "/start")
        tg.fake.send_text(GROUP, VIEWER, "/help")
        await tg.said(GROUP, "Commands")
        workspace_id = tg.group_workspace()
        tg.fake.kick_bot(GROUP)
        tg.fake.block_bot(VIEWER)
        gone = -100777
        tg.fake.delete_chat(gone)
        with tg.services.db.session() as session:
            viewer = session.scalar(select(Member).where(Member.user_ref == str(VIEWER)))
            ids = [outbox.post(session, "telegram", str(GROUP), Reply(text="Render finished"),
                               workspace_id=workspace_id),
                   outbox.direct(session, viewer, Reply(text="Your token expires tomorrow")),
                   outbox.post(session, "telegram", str(gone), Reply(text="Weekly digest"))]
            session.flush()
            ids = [event.id for event in ids]

        assert await tg.front.relay.deliver_pending() == 0
        assert await tg.front.relay.deliver_pending() == 0
        rows = [event_row(tg, event_id) for event_id in ids]
        assert [row.failure for row in rows] == ["bot_removed", "blocked", "chat_gone"]
        assert all(row.delivered_at is not None and row.attempts == 0 for row in rows), "never retried"
        assert len([c for c in tg.fake.calls if c.method == "sendMessage" and not c.ok]) == 3
        assert "Forbidden: bot was kicked" in rows[0].last_error

    console = Caller(front="console", workspace_ref="local", chat_ref="local", user_ref="op",
                     platform_admin=True)
    status = run_text(services, console, "/status").text
    assert "Deliveries: 3 failed for good in the last 7 days — " in status
    reasons = ("the bot was removed from the chat", "the person blocked the bot", "the chat no longer exists")
    for reason in reasons:
        assert f"1 because {reason}" in status
