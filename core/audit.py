"""The audit log: who decided, attested, published or changed what, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.models import AuditEntry


def record(
    session: Session,
    action: str,
    *,
    workspace_id: int | None,
    member_id: int | None,
    subject: str = "",
    **detail: Any,
) -> AuditEntry:
    entry = AuditEntry(
        workspace_id=workspace_id,
        member_id=member_id,
        action=action,
        subject=subject,
        detail=detail,
    )
    session.add(entry)
    return entry
