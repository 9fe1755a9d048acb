"""Migrations and models on SQLite and PostgreSQL: one head, the schema the models describe,
round trips of JSON and timezone-aware datetimes, and `db upgrade` run by several processes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from core.config import Settings
from core.db import Database, alembic_config, upgrade
from core.models import Base, Job, Lease, Member, Role, Workspace
from tests.conftest import make_settings
from tests.support.cluster import REPO


@pytest.fixture(params=["sqlite", "postgres"])
def db_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    url = "" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    return make_settings(tmp_path, database_url=url)


def test_the_migrations_have_exactly_one_head(settings: Settings) -> None:
    heads = ScriptDirectory.from_config(alembic_config(settings)).get_heads()
    assert len(heads) == 1, f"several Alembic heads {heads}: re-chain the newest revision"


def test_migrations_build_the_schema_the_models_describe(db_settings: Settings) -> None:
    upgrade(db_settings)
    db = Database(db_settings)
    try:
        assert db.is_migrated()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        missing = [d for d in diff if d[0] in ("add_table", "add_column")]
        assert missing == [], "models have tables/columns no migration creates"
    finally:
        db.dispose()


def test_json_columns_and_aware_datetimes_round_trip(db_settings: Settings) -> None:
    upgrade(db_settings)
    db = Database(db_settings)
    paris = timezone(timedelta(hours=1))
    run_after = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=paris)
    payload = {"path": "/media/clip é.mp4", "nested": {"list": [1, 2.5, None, True]}, "emoji": "🎬"}
    try:
        with db.session() as session:
            workspace = Workspace(front="console", external_id="local", name="Local",
                                  settings={"captions": {"font": "Inter", "size": 64}})
            session.add(workspace)
            session.flush()
            session.add(Member(workspace_id=workspace.id, user_ref="me", display_name="Me",
                               role=int(Role.owner)))
            job = Job(kind="probe", payload=payload, run_after=run_after, workspace_id=workspace.id)
            session.add_all([job, Lease(name="worker:a", holder="default,io", expires_at=run_after)])
            session.flush()
            job_id, workspace_id = job.id, workspace.id
        with db.session() as session:
            loaded = session.get_one(Job, job_id)
            lease = session.get_one(Lease, "worker:a")
            member = session.query(Member).filter_by(workspace_id=workspace_id).one()
            stored_settings = session.get_one(Workspace, workspace_id).settings
        assert loaded.payload == payload
        assert loaded.run_after == run_after and loaded.run_after.utcoffset() == timedelta(0)
        assert lease.expires_at == run_after
        assert loaded.created_at.tzinfo is not None
        assert Role(member.role) is Role.owner
        assert stored_settings == {"captions": {"font": "Inter", "size": 64}}
    finally:
        db.dispose()


def _upgrade_processes(settings: Settings, count: int) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "DATA_DIR": str(settings.data_dir), "DATABASE_URL": settings.database_url,
           "PYTHONPATH": str(REPO)}
    processes = [subprocess.Popen([sys.executable, "-m", "bot.cli", "db", "upgrade"], env=env,
                                  cwd=settings.data_dir.parent, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for _ in range(count)]
    return [subprocess.CompletedProcess(p.args, p.wait(120), p.stdout.read() if p.stdout else "")
            for p in processes]


def test_several_containers_running_db_upgrade_at_once_all_succeed(db_settings: Settings) -> None:
    results = _upgrade_processes(db_settings, 4)

    assert [r.returncode for r in results] == [0] * 4, [r.stdout[-800:] for r in results]
    db = Database(db_settings)
    try:
        assert db.is_migrated()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        db.dispose()
