"""Where each person last used the bot, so a DM that bounces can be explained to them there.

A private message (an OAuth link) is sent by the outbox, usually while or just after the command
answers. If the person's DMs are closed, the relay tells them once per message in the chat they
used: ephemerally through the interaction while its token lives (15 minutes), else with a
mention in the channel. Until the command's own answer is out, the notice waits, because a
follow-up sent earlier would take the place of that answer.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from sqlalchemy.orm import Session

from core.models import OneTimeCode, utcnow

PURPOSE = "discord-seen"
TOKEN_LIFETIME = timedelta(minutes=14)


class Notice(enum.Enum):
    wait = "wait"
    ephemeral = "ephemeral"
    channel = "channel"
    done = "done"


def remember(session: Session, user_ref: str, chat_ref: str, interaction_token: str | None) -> None:
    """Before running a command: where the person is, and the interaction still being answered."""
    row = session.get(OneTimeCode, _code(user_ref))
    told = list(row.data.get("told", [])) if row is not None else []
    session.merge(OneTimeCode(code=_code(user_ref), purpose=PURPOSE, expires_at=utcnow() + TOKEN_LIFETIME,
                              data={"chat": chat_ref, "token": interaction_token,
                                    "answered": interaction_token is None, "told": told[-20:]}))


def answered(session: Session, user_ref: str) -> None:
    row = session.get(OneTimeCode, _code(user_ref))
    if row is not None:
        row.data = {**row.data, "answered": True}


def notice_for(session: Session, user_ref: str, event_id: int) -> tuple[Notice, str, str | None]:
    """How to tell the person about a bounced DM: (what to do, chat, interaction token)."""
    row = session.get(OneTimeCode, _code(user_ref))
    if row is None or not row.data.get("chat"):
        return Notice.done, "", None
    if event_id in row.data.get("told", []):
        return Notice.done, "", None
    token = row.data.get("token") if _fresh(row) else None
    if token and not row.data.get("answered"):
        return Notice.wait, "", None
    row.data = {**row.data, "told": [*row.data.get("told", []), event_id]}
    return (Notice.ephemeral if token else Notice.channel), str(row.data["chat"]), token


def unanswered(session: Session, user_ref: str) -> bool:
    """The person's command is still being answered: a follow-up now would take its place."""
    row = session.get(OneTimeCode, _code(user_ref))
    return bool(row is not None and _fresh(row) and row.data.get("token") and not row.data.get("answered"))


def live_token(session: Session, user_ref: str) -> tuple[str | None, str]:
    """The token of the person's last interaction if it still works and was answered, and the chat
    they were in ("" if unknown)."""
    row = session.get(OneTimeCode, _code(user_ref))
    if row is None:
        return None, ""
    token = row.data.get("token") if _fresh(row) and row.data.get("answered") else None
    return token, str(row.data.get("chat") or "")


def _fresh(row: OneTimeCode) -> bool:
    return row.expires_at is not None and row.expires_at > utcnow()


def _code(user_ref: str) -> str:
    return f"{PURPOSE}:{user_ref}"
