"""Queue benchmark: local workers vs Celery on Redis vs Celery on RabbitMQ, in one run.

    .venv/bin/python bench/queue.py [--jobs 2000] [--lease 5]

For each backend: two worker processes (one job at a time each) on the same database
(PostgreSQL on 127.0.0.1 when it runs, else SQLite); 2000 no-op jobs recorded as fast as the
enqueuing side can (one transaction, then handed to the dispatcher); throughput = jobs / (first
record → last finish). Latency: 100 jobs recorded 100 ms apart (no backlog), median and p95 of
enqueue-to-start from the job rows. Then one worker is killed with SIGKILL in the middle
of a job and we time how long the job waits before another worker starts it again (bounded
below by the lease). Ratios are against the local queue measured in the same run.
"""

from __future__ import annotations

import os
import sys

# This file is named queue.py: keep its folder off the import path so the standard library's
# `queue` module (used by SQLAlchemy, psycopg, kombu) is the one imported; import from the repo.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE] + [os.path.dirname(_HERE)]

import argparse  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from core import jobs  # noqa: E402
from core.config import Settings, load_settings  # noqa: E402
from core.db import upgrade  # noqa: E402
from core.models import Lease, utcnow  # noqa: E402
from tests.support.cluster import ORIGIN, RABBITMQ_URL, REDIS_URL, Cluster  # noqa: E402

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = {"local": ("local", None), "celery+redis": (REDIS_URL, 6379),
            "celery+rabbitmq": (RABBITMQ_URL, 5672)}
LATENCY_JOBS = 100
LATENCY_PACE_S = 0.1


@dataclass(frozen=True)
class Result:
    backend: str
    handed_over_per_s: float
    throughput_per_s: float
    median_latency_ms: float
    p95_latency_ms: float
    recovery_s: float


def up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def fresh_database() -> tuple[str, str]:
    """A new PostgreSQL database when the server runs (else '' = SQLite in the data dir)."""
    if not up(5432):
        return "", ""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}", name


def drop_database(name: str) -> None:
    if name:
        admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def live_workers(cluster: Cluster) -> int:
    with cluster.services.db.session() as session:
        return session.scalar(select(func.count()).select_from(Lease).where(
            Lease.name.startswith("worker:"), Lease.expires_at > utcnow())) or 0


def measure(backend: str, settings: Settings, root: Path, jobs: int) -> Result:
    cluster = Cluster(settings, root / "logs", root / "trace")
    try:
        cluster.start_worker()
        cluster.start_worker()
        wait_for(lambda: live_workers(cluster) >= 2, 60, "two workers")
        cluster.wait_until([cluster.enqueue("test.noop") for _ in range(20)], timeout=60)
        enqueue_per_s, throughput = burst(cluster, jobs)
        latencies = paced_latencies_ms(cluster, LATENCY_JOBS)
        recovery = recovery_seconds(cluster)
        return Result(backend, enqueue_per_s, throughput, statistics.median(latencies),
                      latencies[int(len(latencies) * 0.95)], recovery)
    finally:
        cluster.stop()


def burst(cluster: Cluster, count: int) -> tuple[float, float]:
    """Record `count` jobs in one transaction, hand them all over; (handed over/s, finished/s)."""
    started = time.perf_counter()
    with cluster.services.db.session() as session:
        recorded = [jobs.enqueue(session, "test.noop", {}, ORIGIN) for _ in range(count)]
    for job in recorded:
        jobs.dispatch(cluster.services, job)
    handed_over = time.perf_counter() - started
    cluster.wait_until([job.id for job in recorded], timeout=900)
    return count / handed_over, count / (time.perf_counter() - started)


def paced_latencies_ms(cluster: Cluster, count: int) -> list[float]:
    """Jobs recorded one at a time, 100 ms apart (no backlog): sorted enqueue→start latencies."""
    ids = []
    for _ in range(count):
        ids.append(cluster.enqueue("test.noop"))
        time.sleep(LATENCY_PACE_S)
    rows = cluster.wait_until(ids, timeout=120).values()
    return sorted((job.started_at - job.created_at).total_seconds() * 1000 for job in rows)


def recovery_seconds(cluster: Cluster) -> float:
    """Kill the worker running a job; seconds until another worker starts that job again."""
    job_id = cluster.enqueue("test.slow", {"seconds": 2})
    pid = int(cluster.wait_for_file(cluster.trace / "started" / str(job_id)))
    killed_at = time.time()
    cluster.kill_worker_running(pid)
    wait_for(lambda: len(cluster.runs(job_id)) >= 2, 120, "the job to be taken up again")
    restarted_at = float(cluster.runs(job_id)[1].split()[2])
    cluster.wait_until([job_id], timeout=60)
    return restarted_at - killed_at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--lease", type=int, default=5, help="JOB_LEASE_SECONDS for the workers")
    args = parser.parse_args()
    results: list[Result] = []
    database_kind = "PostgreSQL" if up(5432) else "SQLite"
    for backend, (url, port) in BACKENDS.items():
        if port is not None and not up(port):
            print(f"{backend}: skipped (nothing on 127.0.0.1:{port})")
            continue
        database_url, name = fresh_database()
        with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
            root = Path(tmp)
            settings = load_settings(data_dir=root / "data", database_url=database_url, queue_url=url,
                                     workers=1, job_lease_seconds=args.lease,
                                     celery_queue_prefix=f"bench{uuid.uuid4().hex[:8]}-")
            upgrade(settings)
            try:
                results.append(measure(backend, settings, root, args.jobs))
            finally:
                drop_database(name)
        print(f"{backend}: done", flush=True)
    report(results, args.jobs, database_kind, args.lease)
    return 0


def report(results: list[Result], jobs: int, database: str, lease: int) -> None:
    if not results:
        return
    base = results[0]
    print(f"\n{jobs} no-op jobs, 2 worker processes, {database}, lease {lease} s; "
          f"ratios against {base.backend}")
    print("| backend | handed over/s | jobs/s | × | median enqueue→start | p95 | × median | "
          "recovery after kill -9 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r.backend} | {r.handed_over_per_s:.0f} | {r.throughput_per_s:.0f} | "
              f"{r.throughput_per_s / base.throughput_per_s:.2f} | {r.median_latency_ms:.0f} ms | "
              f"{r.p95_latency_ms:.0f} ms | {r.median_latency_ms / base.median_latency_ms:.2f} | "
              f"{r.recovery_s:.1f} s |")


if __name__ == "__main__":
    sys.exit(main())
