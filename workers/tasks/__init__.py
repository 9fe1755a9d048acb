"""Task functions by job kind. Each module here registers its kinds with `@task`.

A task takes a JobContext (ids and paths in `ctx.payload`, never objects), must be
idempotent — a job can run again after a worker died — and returns a Reply for the chat.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.jobs import DEFAULT_QUEUE

if TYPE_CHECKING:
    from core.messages import Reply
    from workers.context import JobContext

TaskFn = Callable[["JobContext"], "Reply | None"]


@dataclass(frozen=True)
class TaskSpec:
    kind: str
    fn: TaskFn
    queue: str = DEFAULT_QUEUE
    time_limit_s: float = 3600.0


_TASKS: dict[str, TaskSpec] = {}


def task(
    kind: str, *, queue: str = DEFAULT_QUEUE, time_limit_s: float = 3600.0
) -> Callable[[TaskFn], TaskFn]:
    """Register a task function for a job kind, with the queue it runs on and its time limit."""

    def register(fn: TaskFn) -> TaskFn:
        _TASKS[kind] = TaskSpec(kind, fn, queue, time_limit_s)
        return fn

    return register


def load_tasks(extra_modules: tuple[str, ...] = ()) -> dict[str, TaskSpec]:
    """Import every task module (and any extra ones, e.g. test tasks) and return the registry."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    for name in extra_modules:
        importlib.import_module(name)
    return _TASKS


def spec_for(kind: str) -> TaskSpec | None:
    return _TASKS.get(kind)
