"""A chat that changes its id under the bot (a Telegram group upgraded to a supergroup).

Everything bound to the chat moves to the new id in one transaction: the workspace it is,
the messages still owed to it, the jobs, proposals, watches and digest subscriptions that
report there, and the keys of the buttons already posted in it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from core.models import (
    Account,
    Job,
    OneTimeCode,
    OutboxEvent,
    Proposal,
    Subscription,
    Watch,
    Workspace,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Moved:
    """How many rows followed the chat to its new id."""

    workspace: bool
    rows: int


def move(session: Session, front: str, old: str, new: str) -> Moved:
    """Rebind every row that names chat `old` on `front` to `new`; safe to run twice.

    A workspace the new chat already got (a message there raced the migration notice) is
    replaced by the old one when it owns nothing yet, so settings, roles and accounts survive.
    """
    if old == new:
        return Moved(False, 0)
    moved_workspace = _move_workspace(session, front, old, new)
    rows = 0
    for model in (Job, Proposal, Watch):
        rows += session.execute(update(model).where(
            model.reply_front == front, model.reply_chat == old).values(reply_chat=new)).rowcount
    rows += _move_subscriptions(session, front, old, new)
    rows += session.execute(update(OutboxEvent).where(
        OutboxEvent.front == front, OutboxEvent.chat_ref == old,
        OutboxEvent.delivered_at.is_(None)).values(chat_ref=new)).rowcount
    rows += _move_button_keys(session, old, new)
    if moved_workspace or rows:
        log.info("%s chat %s moved to %s: workspace %s, %d rows", front, old, new,
                 "moved" if moved_workspace else "unchanged", rows)
    return Moved(moved_workspace, rows)


def _move_workspace(session: Session, front: str, old: str, new: str) -> bool:
    source = session.scalar(select(Workspace).where(Workspace.front == front, Workspace.external_id == old))
    if source is None:
        return False
    target = session.scalar(select(Workspace).where(Workspace.front == front, Workspace.external_id == new))
    if target is not None:
        if _owns_anything(session, target.id):
            log.warning("%s chat %s moved to %s, which already has its own workspace #%s; "
                        "workspace #%s stays under the old id", front, old, new, target.id, source.id)
            return False
        session.delete(target)
        session.flush()
    source.external_id = new
    return True


def _owns_anything(session: Session, workspace_id: int) -> bool:
    """True once a workspace holds more than its members: a job, an account or a proposal."""
    return any(session.scalar(select(exists().where(model.workspace_id == workspace_id)))
               for model in (Job, Account, Proposal))


def _move_subscriptions(session: Session, front: str, old: str, new: str) -> int:
    """Digest subscriptions are unique per chat: one the new chat already has wins."""
    moved = 0
    for subscription in session.scalars(select(Subscription).where(
            Subscription.reply_front == front, Subscription.reply_chat == old)):
        taken = session.scalar(select(exists().where(
            Subscription.workspace_id == subscription.workspace_id, Subscription.kind == subscription.kind,
            Subscription.reply_front == front, Subscription.reply_chat == new)))
        if taken:
            session.execute(delete(Subscription).where(Subscription.id == subscription.id))
        else:
            subscription.reply_chat = new
        moved += 1
    return moved


def _move_button_keys(session: Session, old: str, new: str) -> int:
    """Buttons posted in the old chat still work from the new one: one-time codes that name a
    chat (button keys, interaction notices) name the new one."""
    codes = session.scalars(select(OneTimeCode).where(OneTimeCode.used_at.is_(None))).all()
    moved = 0
    for code in codes:
        if code.data.get("chat") == old:
            code.data = {**code.data, "chat": new}
            moved += 1
    return moved
