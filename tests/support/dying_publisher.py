"""A worker process that dies (SIGKILL) at one step of an upload.

`python -m tests.support.dying_publisher` with the settings in the environment; `DIE_AT` names
the journal step: `uploaded` (default) dies when the platform has answered the last chunk,
before that answer is recorded; `after:session_started` dies just after the upload session is
recorded, before any byte is sent. The exactly-once tests then let another worker re-claim the
job and check nothing is uploaded twice.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

from core.jobs import IO_QUEUE
from core.publish.publisher import DbJournal
from workers.local import worker_main


def _die(*_: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _after(step: Callable[..., None]) -> Callable[..., None]:
    def record_then_die(journal: DbJournal, *args: Any) -> None:
        step(journal, *args)
        _die()

    return record_then_die


if __name__ == "__main__":
    where = os.environ.get("DIE_AT", "uploaded")
    step = where.removeprefix("after:")
    setattr(DbJournal, step, _after(getattr(DbJournal, step)) if where.startswith("after:") else _die)
    worker_main((IO_QUEUE,))
