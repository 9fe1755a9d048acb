"""Declarative base and the column types every model shares."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSONType, list[Any]: JSONType}


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Role(enum.IntEnum):
    """What a member may do; each role includes the ones below it."""

    viewer = 1
    editor = 2
    owner = 3

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().lower()]
        except KeyError:
            raise ValueError(f"unknown role {text!r}: use viewer, editor or owner") from None


class RightsBasis(enum.StrEnum):
    """Why ettametta may render or publish a source (DESIGN.md, Rights)."""

    owned = "owned"
    creative_commons = "creative_commons"
    licensed = "licensed"
    none = "none"
