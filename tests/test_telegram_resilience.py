"""Nothing is lost on Telegram: buttons outlive a restart, refused replies wait in the outbox,
private answers never land in the group."""

from __future__ import annotations

from sqlalchemy import select
from telegram import Chat

from core.identity import Caller
from core.messages import Reply
from core.models import OutboxEvent
from tests.support.telegram import ADMIN, GROUP, VIEWER, telegram_front


async def test_a_button_still_works_after_the_bot_restarts(services) -> None:
    async with telegram_front(services) as tg:
        job_id, message_id, key = await tg.cancel_button(ADMIN)
        old_messages = dict(tg.fake.messages)

    async with telegram_front(services) as restarted:
        restarted.fake.messages.update(old_messages)
        restarted.fake.press(GROUP, ADMIN, message_id, key)
        await restarted.said(GROUP, f"Job #{job_id} (probe) was cancelled before it started.")


async def test_a_reply_refused_with_429_is_kept_and_delivered_later(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        tg.fake.send_text(GROUP, ADMIN, "/status")
        await tg.said(GROUP, "Database:")

        def delivered() -> OutboxEvent | None:
            with tg.services.db.session() as session:
                return session.scalar(select(OutboxEvent).where(OutboxEvent.delivered_at.is_not(None)))

        event = await tg.fake.wait_for(delivered)
        assert (event.delivered_at - event.created_at).total_seconds() >= 0.9, "after retry_after"
        assert [c.ok for c in tg.fake.sent("sendMessage", GROUP)] == [False, True]


async def test_a_private_answer_to_a_group_command_goes_to_the_private_chat(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.send_text(VIEWER, VIEWER, "/start")
        await tg.said(VIEWER, "ettametta")
        group = Chat(GROUP, Chat.SUPERGROUP, title="Creators")
        caller = Caller(front="telegram", workspace_ref=str(GROUP), chat_ref=str(GROUP),
                        user_ref=str(VIEWER), user_name="user22", workspace_name="Creators")
        secret = Reply(text="Connect: https://auth/xyz", private=True)
        await tg.front.handlers.respond(group, caller, secret, None)
        await tg.said(GROUP, "I'm sending you that in a private chat.")
        await tg.said(VIEWER, "Connect: https://auth/xyz")
        assert not [t for t in tg.texts(GROUP) if "https://auth/xyz" in t]


async def test_a_press_is_answered_even_when_telegram_fails_midway(services) -> None:
    async with telegram_front(services) as tg:
        _, message_id, key = await tg.cancel_button(VIEWER)
        tg.fake.fail_next("getChatMember", 500, "Internal Server Error")
        tg.fake.press(GROUP, ADMIN, message_id, key)
        answer = await tg.fake.wait_for(lambda: tg.fake.sent("answerCallbackQuery"))
        assert "press the button again" in answer[0].params["text"]


async def test_a_press_too_old_to_answer_still_posts_its_result(services) -> None:
    async with telegram_front(services) as tg:
        job_id, message_id, key = await tg.cancel_button(ADMIN)
        tg.fake.fail_next("answerCallbackQuery", 400,
                          "Bad Request: query is too old and response timeout expired or query ID is invalid")
        tg.fake.press(GROUP, ADMIN, message_id, key)
        await tg.said(GROUP, f"Job #{job_id} (probe) was cancelled before it started.")
