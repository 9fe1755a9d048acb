"""Sources with their rights basis, renders, presets and the proposals made from renders."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, CreatedAt


class Source(CreatedAt, Base):
    """A video ettametta may work on, and why it may (`rights_basis`, who attested it, when)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    uri: Mapped[str] = mapped_column(Text)
    local_path: Mapped[str | None] = mapped_column(Text)
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidates.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(300), default="")
    channel: Mapped[str] = mapped_column(String(200), default="")
    rights_basis: Mapped[str] = mapped_column(String(24))
    attested_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    attested_at: Mapped[datetime | None]
    attribution: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Preset(CreatedAt, Base):
    __tablename__ = "presets"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    recipe: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class Render(CreatedAt, Base):
    __tablename__ = "renders"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    preset: Mapped[str] = mapped_column(String(64), default="")
    recipe: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    output_path: Mapped[str | None] = mapped_column(Text)
    preview_path: Mapped[str | None] = mapped_column(Text)
    thumbnail_path: Mapped[str | None] = mapped_column(Text)
    duration_s: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    encoder: Mapped[str | None] = mapped_column(String(32))
    transcript: Mapped[list[Any] | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProposalState(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    expired = "expired"


class Proposal(CreatedAt, Base):
    """How to publish a render; nothing is published until a person approves one."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    render_id: Mapped[int] = mapped_column(ForeignKey("renders.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default=ProposalState.pending, index=True)
    options: Mapped[list[Any]] = mapped_column(default=list)
    chosen_index: Mapped[int | None] = mapped_column(Integer)
    custom_title: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    hashtags: Mapped[list[Any]] = mapped_column(default=list)
    hook: Mapped[str] = mapped_column(String(300), default="")
    attribution: Mapped[str] = mapped_column(Text, default="")
    backend: Mapped[str] = mapped_column(String(32), default="")
    generation: Mapped[int] = mapped_column(Integer, default=1)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    reply_front: Mapped[str | None] = mapped_column(String(16))
    reply_chat: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
