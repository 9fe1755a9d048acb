"""A worker process that dies (SIGKILL) the moment an upload returns, before the result is recorded.

`python -m tests.support.dying_publisher` with the settings in the environment; the exactly-once
test then lets another worker re-claim the job and checks nothing is uploaded twice.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from core.jobs import IO_QUEUE
from core.publish.publisher import DbJournal
from workers.local import worker_main


def _die(journal: DbJournal, remote_id: str, detail: dict[str, Any]) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    DbJournal.uploaded = _die  # type: ignore[method-assign]
    worker_main((IO_QUEUE,))
