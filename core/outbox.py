"""The outbox: messages owed to chats, written in the same transaction as the state they report.

Workers never talk to chats. They add rows here; each front's relay delivers its rows,
records the platform's message id, and retries until delivered.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.messages import Progress, Reply
from core.models import Job, Member, OutboxEvent, OutboxKind, Workspace, utcnow

MAX_BACKOFF_SECONDS = 300


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


def direct(session: Session, member: Member, reply: Reply) -> OutboxEvent:
    """A private message to one person (OAuth links, token warnings)."""
    workspace = session.get_one(Workspace, member.workspace_id)
    return post(
        session,
        workspace.front,
        member.user_ref,
        reply.model_copy(update={"private": True}),
        workspace_id=workspace.id,
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
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id)
        .values(delivered_at=utcnow(), platform_message_id=platform_message_id, last_error=None)
    )


def mark_failed(session: Session, event: OutboxEvent, error: str, *, retry_in: float | None = None) -> None:
    """Keep the event for another try, backing off exponentially (or as the platform asked)."""
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


def undelivered_count(session: Session, front: str, workspace_id: int | None = None) -> int:
    query = select(OutboxEvent.id).where(
        OutboxEvent.front == front, OutboxEvent.delivered_at.is_(None)
    )
    if workspace_id is not None:
        query = query.where(OutboxEvent.workspace_id == workspace_id)
    return len(session.scalars(query).all())
