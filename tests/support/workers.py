"""A real worker process for the queue tests and bench: `python -m tests.support.workers local|celery`.

Settings come from the environment the parent builds (DATABASE_URL, QUEUE_URL, DATA_DIR…);
test-only job kinds come from tests.support.tasks.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from core.config import load_settings
from core.jobs import QUEUES

TEST_TASKS = ("tests.support.tasks",)


def die_after_upload() -> None:
    """The worker's job process SIGKILLs itself the moment an upload returns, before it is recorded."""
    from core.publish.publisher import DbJournal

    def _die(*_: Any) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    DbJournal.uploaded = _die  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    backend = argv[0]
    queues = tuple(argv[1].split(",")) if len(argv) > 1 else QUEUES
    if "--die-after-upload" in argv[2:]:
        die_after_upload()
    if backend == "local":
        from workers.local import worker_main

        worker_main(queues, extra_modules=TEST_TASKS)
    else:
        from workers.celery_app import celery_worker_main

        celery_worker_main(load_settings(), queues, extra_modules=TEST_TASKS)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
