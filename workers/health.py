"""What `ettametta doctor` asks a Celery deployment: is the broker reachable, and which workers
answer on which of our queues. Kept out of core/ because it talks to Celery."""

from __future__ import annotations

import socket
import sys
from urllib.parse import urlsplit, urlunsplit

from core.config import Settings
from core.doctor import Finding, Level
from core.jobs import QUEUES

INSPECT_TIMEOUT_S = 1.5


def broker_findings(settings: Settings) -> list[Finding]:
    from kombu import Connection

    connection = Connection(settings.queue_url, connect_timeout=3)
    shown = without_password(settings.queue_url)
    try:
        connection.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:
        return [Finding("broker", Level.fail, f"{shown} unreachable ({type(exc).__name__}: {exc})"[:300],
                        "check QUEUE_URL and that Redis/RabbitMQ is running")]
    finally:
        connection.release()
    return [Finding("broker", Level.ok, f"{shown} reachable"), *celery_worker_findings(settings)]


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def celery_worker_findings(settings: Settings) -> list[Finding]:
    """One line per Celery worker that answers, with the queues it consumes (ours only)."""
    from workers.celery_app import make_app

    app = make_app(settings)
    try:
        replies = app.control.inspect(timeout=INSPECT_TIMEOUT_S).active_queues() or {}
    finally:
        app.close()
    ours = {settings.celery_queue_prefix + name: name for name in QUEUES}
    listening = {
        node: sorted(ours[q["name"]] for q in queues if q.get("name") in ours)
        for node, queues in sorted(replies.items())
    }
    findings = [Finding("celery worker", Level.ok, f"{node} on {', '.join(names)}")
                for node, names in listening.items() if names]
    if not findings:
        return [Finding("celery workers", Level.warn, "no worker answered on this deployment's queues",
                        "start `ettametta worker` (or the worker-cpu/worker-gpu services)")]
    served = {name for names in listening.values() for name in names}
    idle = [name for name in QUEUES if name not in served]
    if idle:
        findings.append(Finding("queues without a worker", Level.warn, ", ".join(idle),
                                f"jobs there wait: `ettametta worker --queues {','.join(idle)}`"))
    return findings


def worker_answers_here(settings: Settings, timeout: float = 3.0) -> bool:
    """The container health check of a Celery worker: does a worker on this host answer a ping?"""
    from workers.celery_app import make_app

    app = make_app(settings)
    try:
        replies = app.control.ping(timeout=timeout) or []
    finally:
        app.close()
    host = f"@{socket.gethostname()}"
    return any(node.endswith(host) for reply in replies for node in reply)


if __name__ == "__main__":
    from core.config import load_settings

    sys.exit(0 if worker_answers_here(load_settings()) else 1)
