"""Short keys kept in `one_time_codes`: button keys (callback_data ≤ 64 bytes) and deep-link codes.

A button's key maps to the command it runs and the chat it belongs to, so a long command
never has to fit in Telegram's 64 bytes and buttons keep working after a restart. A deep
link's code points at the private message waiting for its reader.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Member, OneTimeCode, OutboxEvent, utcnow

CHOICE = "choice"
DM = "dm"
CHOICE_LIFETIME = timedelta(days=30)
KEY_CHARS = 20


@dataclass(frozen=True)
class ChoiceTarget:
    chat: str
    command: str


def _key(prefix: str, *parts: str) -> str:
    """A stable key: the same button in the same chat always gets the same one."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return prefix + base64.urlsafe_b64encode(digest).decode()[:KEY_CHARS]


def choice_key(session: Session, chat: str, command: str) -> str:
    code = _key("c", chat, command)
    row = session.get(OneTimeCode, code)
    if row is None:
        session.add(OneTimeCode(code=code, purpose=CHOICE, data={"command": command, "chat": chat},
                                expires_at=utcnow() + CHOICE_LIFETIME))
    else:
        row.expires_at = utcnow() + CHOICE_LIFETIME
    return code


def choice_target(session: Session, code: str) -> ChoiceTarget | None:
    row = session.get(OneTimeCode, code)
    if row is None or row.purpose != CHOICE or (row.expires_at and row.expires_at < utcnow()):
        return None
    return ChoiceTarget(chat=row.data["chat"], command=row.data["command"])


def dm_code(session: Session, event: OutboxEvent, user_ref: str) -> str:
    """The deep-link code for one private message waiting for `user_ref` (the same code on
    every reminder)."""
    code = _key("d", "dm", str(event.id))
    if session.get(OneTimeCode, code) is None:
        member_id = session.scalar(select(Member.id).where(
            Member.workspace_id == event.workspace_id, Member.user_ref == user_ref))
        session.add(OneTimeCode(code=code, purpose=DM, member_id=member_id,
                                data={"event_id": event.id, "user": user_ref}))
    return code


def use_dm_code(session: Session, code: str, user_ref: str) -> bool:
    """Mark the code used by its own reader; False if it isn't theirs or is unknown."""
    row = session.get(OneTimeCode, code)
    if row is None or row.purpose != DM or row.data.get("user") != user_ref:
        return False
    row.used_at = row.used_at or utcnow()
    return True
