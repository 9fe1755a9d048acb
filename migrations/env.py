"""Alembic environment: the URL comes from core.config; PostgreSQL upgrades hold an advisory lock."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

from core.config import get_settings
from core.models import Base

MIGRATION_LOCK_ID = 7_425_310_001


def database_url() -> str:
    return context.config.attributes.get("database_url") or get_settings().db_url


def run_offline() -> None:
    context.configure(url=database_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    url = database_url()
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if postgres:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID}
                )
                connection.commit()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
