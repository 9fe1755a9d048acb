"""Watches (scheduled scans), discovered candidates with their statistics history, quota."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, CreatedAt, utcnow


class Watch(CreatedAt, Base):
    __tablename__ = "watches"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    source_kind: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str] = mapped_column(Text)
    every_seconds: Mapped[int | None] = mapped_column(Integer)
    cron: Mapped[str | None] = mapped_column(String(64))
    min_score: Mapped[float] = mapped_column(Float, default=0.0)
    cc_only: Mapped[bool] = mapped_column(default=False)
    paused: Mapped[bool] = mapped_column(default=False)
    reply_front: Mapped[str | None] = mapped_column(String(16))
    reply_chat: Mapped[str | None] = mapped_column(String(64))
    last_run_at: Mapped[datetime | None]
    last_fired_at: Mapped[datetime | None]
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Candidate(Base):
    """A discovered video in one workspace; scans of the same video merge into this row."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("workspace_id", "platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(300), default="")
    channel_id: Mapped[str] = mapped_column(String(128), default="")
    channel_title: Mapped[str] = mapped_column(String(200), default="")
    published_at: Mapped[datetime | None]
    duration_s: Mapped[float | None] = mapped_column(Float)
    license: Mapped[str] = mapped_column(String(32), default="")
    rights_basis: Mapped[str] = mapped_column(String(24), default="none")
    thumbnail_url: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float] = mapped_column(Float, default=0.0)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    local_path: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CandidateStat(Base):
    __tablename__ = "candidate_stats"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)


class QuotaUsage(Base):
    """API units spent per day (the platform's reset day) and bucket, per workspace."""

    __tablename__ = "quota_usage"
    __table_args__ = (UniqueConstraint("workspace_id", "bucket", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    bucket: Mapped[str] = mapped_column(String(32))
    day: Mapped[date]
    units: Mapped[int] = mapped_column(Integer, default=0)
    exhausted_until: Mapped[datetime | None]


class ApiCache(Base):
    __tablename__ = "api_cache"

    key: Mapped[str] = mapped_column(String(256), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]


class Subscription(CreatedAt, Base):
    """A recurring post to a chat, such as the weekly analytics digest."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("workspace_id", "kind", "reply_front", "reply_chat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    reply_front: Mapped[str] = mapped_column(String(16))
    reply_chat: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    last_sent_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
