"""Shared fixtures: a migrated database per test, services, real generated media."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.config import Settings, load_settings
from core.db import upgrade
from core.services import Services
from workers.bootstrap import build_services
from workers.local import LocalDispatcher, Worker
from workers.tasks import load_tasks

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def service_up(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env or real tokens."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("DISCORD_", "TELEGRAM_", "GOOGLE_", "TIKTOK_", "GROQ_", "OLLAMA_")) or name in (
            "DATABASE_URL", "QUEUE_URL", "LLM_BACKEND", "SECRET_KEY", "YOUTUBE_API_KEY", "REDIS_URL",
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LLM_BACKEND", "offline")


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "workers": 1,
        "job_lease_seconds": 5,
        "job_retry_base_seconds": 0.1,
        "web_port": 0,
    }
    base.update(overrides)
    return load_settings(**base)


def with_settings(settings: Settings, **overrides: object) -> Settings:
    """A copy of `settings` with `overrides`, validated as the environment would be (so a secret
    given as a string becomes the SecretStr the product reads)."""
    return type(settings).model_validate({**settings.model_dump(), **overrides})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    upgrade(settings)
    built = build_services(settings, LocalDispatcher())
    yield built
    built.db.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (skipped when PostgreSQL is absent)."""
    if not service_up("127.0.0.1", 5432):
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    name = f"ettametta_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_services(tmp_path: Path, postgres_url: str) -> Iterator[Services]:
    settings = make_settings(tmp_path, database_url=postgres_url)
    upgrade(settings)
    built = build_services(settings, LocalDispatcher())
    yield built
    built.db.dispose()


class ThreadWorker:
    """A real worker running in a thread of the test process (fast to start, same code path)."""

    def __init__(self, services: Services, extra_modules: tuple[str, ...] = ()) -> None:
        load_tasks(extra_modules)
        self.worker = Worker(services)
        self.thread = threading.Thread(target=self.worker.run, daemon=True)

    def __enter__(self) -> ThreadWorker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.worker.stopping.set()
        self.thread.join(30)


@pytest.fixture
def worker(services: Services) -> Iterator[ThreadWorker]:
    with ThreadWorker(services) as running:
        yield running
