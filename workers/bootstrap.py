"""Wiring, once per process: settings → database, dispatcher → Services."""

from __future__ import annotations

from core.config import Settings
from core.db import Database
from core.services import Dispatcher, Services
from workers.local import LocalDispatcher


def make_dispatcher(settings: Settings) -> Dispatcher:
    """Local worker processes by default; Celery when `QUEUE_URL` names a broker."""
    if settings.queue_url == "local":
        return LocalDispatcher()
    from workers.celery_app import CeleryDispatcher

    return CeleryDispatcher(settings)


def build_services(settings: Settings, dispatcher: Dispatcher | None = None) -> Services:
    return Services(settings, Database(settings), dispatcher or make_dispatcher(settings))
