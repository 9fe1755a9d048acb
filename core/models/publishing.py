"""Connected platform accounts, OAuth states, publications and their metric snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, CreatedAt, utcnow


class Account(CreatedAt, Base):
    """A YouTube channel or TikTok creator connected by OAuth; the token blob is encrypted."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("workspace_id", "platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200), default="")
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    token_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime | None]
    healthy: Mapped[bool] = mapped_column(default=True)
    health_note: Mapped[str] = mapped_column(Text, default="")
    connected_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OAuthState(CreatedAt, Base):
    """A pending authorisation: single use, bound to one person and workspace, short-lived."""

    __tablename__ = "oauth_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(128), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    code_verifier_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    redirect_uri: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Publication(CreatedAt, Base):
    """One approved proposal going to one account, exactly once (`idempotency_key`)."""

    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("proposal_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(24), default="queued", index=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    privacy: Mapped[str] = mapped_column(String(32), default="")
    publish_at: Mapped[datetime | None]
    upload_session: Mapped[str | None] = mapped_column(Text)
    bytes_sent: Mapped[int] = mapped_column(BigInteger, default=0)
    remote_id: Mapped[str | None] = mapped_column(String(128))
    url: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MetricSnapshot(Base):
    """One reading of a publication's metrics; growth is computed only from these."""

    __tablename__ = "metric_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), index=True
    )
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    minutes_watched: Mapped[float | None] = mapped_column(Float)
    avg_view_duration_s: Mapped[float | None] = mapped_column(Float)
    subscribers_gained: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
