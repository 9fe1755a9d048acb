"""Alembic environment: the URL comes from core.config; concurrent upgrades take turns (PostgreSQL: an
advisory lock; SQLite: a lock file beside the database)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import context
from sqlalchemy import create_engine, make_url, pool, text

from core.config import get_settings
from core.models import Base

MIGRATION_LOCK_ID = 7_425_310_001


def database_url() -> str:
    return context.config.attributes.get("database_url") or get_settings().db_url


def run_offline() -> None:
    context.configure(url=database_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def sqlite_file_lock(url: str) -> Iterator[None]:
    """SQLite has no advisory lock: processes upgrading one file take turns on a lock file beside it."""
    database = make_url(url).database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_online() -> None:
    url = database_url()
    if url.startswith("sqlite"):
        with sqlite_file_lock(url):
            migrate(url)
    else:
        migrate(url)


def migrate(url: str) -> None:
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
