"""Workspaces (a Discord guild, a Telegram chat, the console), their members and audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, CreatedAt, Role, utcnow


class Workspace(CreatedAt, Base):
    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("front", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    front: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Member(CreatedAt, Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("workspace_id", "user_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_ref: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[int] = mapped_column(Integer, default=int(Role.viewer))
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoleMapping(Base):
    """A platform role (e.g. a Discord role id) that grants an ettametta role in a workspace."""

    __tablename__ = "role_mappings"
    __table_args__ = (UniqueConstraint("workspace_id", "platform_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    platform_role: Mapped[str] = mapped_column(String(64))
    role: Mapped[int] = mapped_column(Integer)


class AuditEntry(CreatedAt, Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="SET NULL"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OneTimeCode(CreatedAt, Base):
    """Short single-use codes: chat deep links, button keys that must fit 64 bytes."""

    __tablename__ = "one_time_codes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expires_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]


class Lease(Base):
    """A named lock with an expiry: one scheduler and one relay per front per deployment."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
