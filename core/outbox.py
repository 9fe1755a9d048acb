"""The outbox: messages owed to chats, written in the same transaction as the state they report.

Workers never talk to chats. They add rows here; each front's relay delivers its rows,
records the platform's message id, and retries until delivered — or, when the platform's
answer says the message can never arrive (the chat is gone, the bot was removed, the person
blocked it), ends the row with the reason (`Undeliverable`) instead of retrying forever.
"""

from __future__ import annotations

import enum
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.messages import Progress, Reply
from core.models import Job, Member, OutboxEvent, OutboxKind, Workspace, utcnow

MAX_BACKOFF_SECONDS = 300
GIVE_UP_AFTER = timedelta(days=7)
SECRET_FORGOTTEN = "(a one-time link, not kept once the message left the queue)"


class Undeliverable(enum.StrEnum):
    """Why an event was ended without being delivered (stored in `OutboxEvent.failure`).

    Fronts map their platform's answers onto these (bot/telegram/failures.py,
    bot/discord/failures.py); `phrase` is how /status says it.
    """

    chat_gone = "chat_gone"
    bot_removed = "bot_removed"
    blocked = "blocked"
    no_private_chat = "no_private_chat"
    user_gone = "user_gone"
    no_permission = "no_permission"
    dms_closed = "dms_closed"
    refused = "refused"
    gave_up = "gave_up"

    @property
    def phrase(self) -> str:
        return _PHRASES[self]


_PHRASES = {
    Undeliverable.chat_gone: "the chat no longer exists",
    Undeliverable.bot_removed: "the bot was removed from the chat",
    Undeliverable.blocked: "the person blocked the bot",
    Undeliverable.no_private_chat: "the person never opened a private chat with the bot",
    Undeliverable.user_gone: "the person's account was deleted",
    Undeliverable.no_permission: "the bot is not allowed to post there",
    Undeliverable.dms_closed: "a one-time message met closed DMs (the person was told to ask again)",
    Undeliverable.refused: "the platform refused the message",
    Undeliverable.gave_up: f"still failing after {GIVE_UP_AFTER.days} days",
}


def post(
    session: Session,
    front: str,
    chat_ref: str,
    reply: Reply,
    *,
    workspace_id: int | None = None,
    job_id: int | None = None,
    key: str | None = None,
    kind: OutboxKind = OutboxKind.reply,
) -> OutboxEvent:
    event = OutboxEvent(
        front=front,
        chat_ref=chat_ref,
        kind=kind,
        key=key,
        job_id=job_id,
        workspace_id=workspace_id,
        payload=reply.model_dump(mode="json"),
    )
    session.add(event)
    return event


def reply_to_job(session: Session, job: Job, reply: Reply) -> OutboxEvent | None:
    """Post to the chat the job was started from (nothing if it came from no chat)."""
    if not (job.reply_front and job.reply_chat):
        return None
    return post(
        session,
        job.reply_front,
        job.reply_chat,
        reply.model_copy(update={"job_id": job.id}),
        workspace_id=job.workspace_id,
        job_id=job.id,
    )


def progress(session: Session, job: Job, report: Progress) -> OutboxEvent | None:
    """A progress update; fronts edit one message per job in place (same `key`)."""
    if not (job.reply_front and job.reply_chat):
        return None
    event = OutboxEvent(
        front=job.reply_front,
        chat_ref=job.reply_chat,
        kind=OutboxKind.progress,
        key=f"job:{job.id}:progress",
        job_id=job.id,
        workspace_id=job.workspace_id,
        payload=report.model_dump(mode="json"),
    )
    session.add(event)
    return event


def direct(session: Session, member: Member, reply: Reply, *, key: str | None = None) -> OutboxEvent:
    """A private message to one person (OAuth links, token warnings); `key` names it, so a caller
    can tell whether it was already sent."""
    workspace = session.get_one(Workspace, member.workspace_id)
    return post(
        session,
        workspace.front,
        member.user_ref,
        reply.model_copy(update={"private": True}),
        workspace_id=workspace.id,
        key=key,
        kind=OutboxKind.direct,
    )


def pending(session: Session, front: str, limit: int = 50) -> list[OutboxEvent]:
    """Undelivered events due now, oldest first; superseded progress updates are skipped."""
    now = utcnow()
    events = list(
        session.scalars(
            select(OutboxEvent)
            .where(
                OutboxEvent.front == front,
                OutboxEvent.delivered_at.is_(None),
                OutboxEvent.next_attempt_at <= now,
            )
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
    )
    latest_progress: dict[str, int] = {}
    for event in events:
        if event.kind == OutboxKind.progress and event.key:
            latest_progress[event.key] = event.id
    due = []
    for event in events:
        if event.kind == OutboxKind.progress and latest_progress.get(event.key or "") != event.id:
            event.delivered_at = now
            event.last_error = "superseded by a newer progress update"
        else:
            due.append(event)
    return due


def message_for_key(session: Session, front: str, key: str) -> str | None:
    """The platform id of the message already delivered for `key`, to edit it in place."""
    return session.scalar(
        select(OutboxEvent.platform_message_id)
        .where(
            OutboxEvent.front == front,
            OutboxEvent.key == key,
            OutboxEvent.platform_message_id.is_not(None),
        )
        .order_by(OutboxEvent.id.desc())
        .limit(1)
    )


def mark_delivered(session: Session, event_id: int, platform_message_id: str | None) -> None:
    forget_secret(session, event_id)
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id)
        .values(delivered_at=utcnow(), platform_message_id=platform_message_id, last_error=None)
    )


def supersede_older_progress(session: Session, key: str, event_id: int) -> None:
    """Once a progress update for `key` is delivered, older ones still waiting (a retry after a
    rate limit) would only turn the message back: they are marked superseded."""
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.key == key, OutboxEvent.kind == OutboxKind.progress,
               OutboxEvent.id < event_id, OutboxEvent.delivered_at.is_(None))
        .values(delivered_at=utcnow(), last_error="superseded by a newer progress update")
    )


def postpone(session: Session, event_id: int, seconds: float) -> None:
    """Leave an event alone for `seconds` without counting an attempt (its chat is rate limited)."""
    session.execute(update(OutboxEvent).where(OutboxEvent.id == event_id)
                    .values(next_attempt_at=utcnow() + timedelta(seconds=seconds)))


def mark_failed(session: Session, event: OutboxEvent, error: str, *, retry_in: float | None = None) -> bool:
    """Keep the event for another try, backing off exponentially (or as the platform asked).

    An event still failing `GIVE_UP_AFTER` after it was written is ended instead (False).
    """
    if event.created_at <= utcnow() - GIVE_UP_AFTER:
        end_undelivered(session, event.id, Undeliverable.gave_up, error)
        return False
    delay = retry_in if retry_in is not None else min(MAX_BACKOFF_SECONDS, 2 ** min(event.attempts, 8))
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event.id)
        .values(
            attempts=OutboxEvent.attempts + 1,
            last_error=error[:1000],
            next_attempt_at=utcnow() + timedelta(seconds=delay),
        )
    )
    return True


def end_undelivered(session: Session, event_id: int, reason: Undeliverable, error: str) -> None:
    """Take an event out of the queue for good: it can never be delivered, for `reason`."""
    forget_secret(session, event_id)
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id)
        .values(delivered_at=utcnow(), failure=reason.value, last_error=error[:1000])
    )


def drop(session: Session, event_id: int, note: str) -> None:
    """Take an event out of the queue without delivering it, when nothing is lost (a progress
    edit for a job that has finished); `note` says why."""
    forget_secret(session, event_id)
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id)
        .values(delivered_at=utcnow(), last_error=note[:1000])
    )


def forget_secret(session: Session, event_id: int) -> None:
    """Replace the text of a message that carried a one-time secret (`Reply.one_time_secret`):
    called as the event leaves the queue, so the link is in the chat and nowhere else."""
    event = session.get(OutboxEvent, event_id)
    if event is not None and (event.payload or {}).get("one_time_secret"):
        event.payload = {**event.payload, "text": SECRET_FORGOTTEN, "choices": []}
        session.flush()


def failures_since(session: Session, since: datetime) -> Counter[Undeliverable]:
    """How many events were ended undelivered since `since`, by reason."""
    rows = session.scalars(select(OutboxEvent.failure).where(
        OutboxEvent.failure.is_not(None), OutboxEvent.delivered_at >= since))
    return Counter(Undeliverable(value) for value in rows if value in Undeliverable.__members__)


def failure_details(
    session: Session, since: datetime, workspace_id: int, limit: int = 5
) -> list[tuple[Undeliverable, str, int]]:
    """A workspace's events ended undelivered since `since`: (reason, what the front said, how
    many), most recent first — the front's words name the place and the cause
    ("the bot is missing Attach Files in #shorts")."""
    rows = session.execute(
        select(OutboxEvent.failure, OutboxEvent.last_error, func.count(), func.max(OutboxEvent.delivered_at))
        .where(OutboxEvent.failure.is_not(None), OutboxEvent.delivered_at >= since,
               OutboxEvent.workspace_id == workspace_id)
        .group_by(OutboxEvent.failure, OutboxEvent.last_error)
        .order_by(func.max(OutboxEvent.delivered_at).desc())
        .limit(limit)
    ).all()
    return [(Undeliverable(failure), error or "", count) for failure, error, count, _ in rows
            if failure in Undeliverable.__members__]


def undelivered_count(session: Session, front: str, workspace_id: int | None = None) -> int:
    query = select(OutboxEvent.id).where(
        OutboxEvent.front == front, OutboxEvent.delivered_at.is_(None)
    )
    if workspace_id is not None:
        query = query.where(OutboxEvent.workspace_id == workspace_id)
    return len(session.scalars(query).all())
