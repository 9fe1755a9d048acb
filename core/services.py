"""The dependencies a command handler or task may use, wired once per process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.config import Settings
from core.db import Database


class Dispatcher(Protocol):
    """Hands a recorded job to whatever runs jobs (local worker processes or Celery)."""

    name: str

    def dispatch(self, job_id: int, queue: str) -> None: ...


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    dispatcher: Dispatcher
