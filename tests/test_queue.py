"""The job queue with real worker processes: local, Celery on Redis, Celery on RabbitMQ;
each on SQLite and on PostgreSQL.

Side effects are keyed by job id (tests/support/tasks.py): `runs/<id>` counts executions,
`done/<id>` is the side effect proper, created once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.jobs import IO_QUEUE, RENDER_GPU_QUEUE, enqueue, request_cancel
from core.models import Job
from tests.conftest import make_settings, service_up
from tests.support.cluster import ORIGIN, RABBITMQ_URL, REDIS_URL, Cluster, unique_prefix

pytestmark = pytest.mark.slow

BACKENDS = {
    "local": ("local", None),
    "celery-redis": (REDIS_URL, 6379),
    "celery-rabbitmq": (RABBITMQ_URL, 5672),
}


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    return "" if request.param == "sqlite" else request.getfixturevalue("postgres_url")


@pytest.fixture(params=list(BACKENDS))
def queue_url(request: pytest.FixtureRequest) -> str:
    url, port = BACKENDS[request.param]
    if port is not None and not service_up("127.0.0.1", port):
        pytest.skip(f"{request.param}: nothing listens on 127.0.0.1:{port}")
    return url


@pytest.fixture
def cluster(tmp_path: Path, database_url: str, queue_url: str) -> Iterator[Cluster]:
    from core.db import upgrade

    settings = make_settings(tmp_path, database_url=database_url, queue_url=queue_url,
                             job_lease_seconds=2, job_retry_base_seconds=0.3,
                             celery_queue_prefix=unique_prefix())
    upgrade(settings)
    running = Cluster(settings, tmp_path / "logs", tmp_path / "trace")
    try:
        yield running
    finally:
        running.stop()


def test_two_hundred_jobs_over_two_workers_each_finish_exactly_once(cluster: Cluster) -> None:
    cluster.start_worker()
    cluster.start_worker()
    ids = [cluster.enqueue("test.touch") for _ in range(200)]

    jobs = cluster.wait_until(ids, timeout=120)

    assert {job.state for job in jobs.values()} == {"succeeded"}
    assert all(len(cluster.runs(i)) == 1 and cluster.done(i) for i in ids)
    assert all(cluster.replies(i) == [f"touched {i}"] for i in ids)
    pids = {cluster.runs(i)[0].split()[0] for i in ids}
    assert len(pids) == 2, "both worker processes took jobs"


def test_a_worker_killed_mid_job_leaves_it_to_another_that_finishes_it_once(cluster: Cluster) -> None:
    cluster.start_worker()
    cluster.start_worker()
    job_id = cluster.enqueue("test.slow", {"seconds": 2})
    first_pid = int(cluster.wait_for_file(cluster.trace / "started" / str(job_id)))

    cluster.kill_worker_running(first_pid)
    job = cluster.wait_until([job_id], timeout=60)[job_id]

    assert job.state == "succeeded"
    assert job.attempts == 2
    runs = cluster.runs(job_id)
    assert len(runs) == 2 and runs[0].split()[0] != runs[1].split()[0]
    assert cluster.done(job_id)
    assert cluster.replies(job_id) == [f"slow job {job_id} done"]


def test_a_queued_job_cancelled_never_runs(cluster: Cluster) -> None:
    cancelled_id = cluster.enqueue("test.touch")
    with cluster.services.db.session() as session:
        message = request_cancel(session, session.get_one(Job, cancelled_id))
    assert "cancelled before it started" in message
    cluster.start_worker()
    later_id = cluster.enqueue("test.touch")

    cluster.wait_until([later_id], timeout=60)

    assert cluster.job(cancelled_id).state == "cancelled"
    assert cluster.runs(cancelled_id) == []


def test_a_running_job_cancelled_stops_at_its_next_progress_report(cluster: Cluster) -> None:
    cluster.start_worker()
    job_id = cluster.enqueue("test.slow", {"seconds": 60})
    cluster.wait_for_file(cluster.trace / "started" / str(job_id))
    with cluster.services.db.session() as session:
        message = request_cancel(session, session.get_one(Job, job_id))
    assert "will stop at its next progress report" in message

    job = cluster.wait_until([job_id], timeout=30)[job_id]

    assert job.state == "cancelled"
    assert not cluster.done(job_id)
    assert f"Job #{job_id} (test.slow) was cancelled." in cluster.replies(job_id)


def test_a_failing_job_is_retried_with_backoff_up_to_its_limit(cluster: Cluster) -> None:
    cluster.start_worker()
    recovers = cluster.enqueue("test.flaky", {"failures": 2}, max_attempts=3)
    gives_up = cluster.enqueue("test.flaky", {"failures": 9}, max_attempts=3)

    jobs = cluster.wait_until([recovers, gives_up], timeout=60)

    assert jobs[recovers].state == "succeeded" and jobs[recovers].attempts == 3
    assert cluster.done(recovers)
    assert jobs[gives_up].state == "failed"
    assert "gave up after 3 attempts" in (jobs[gives_up].error or "")
    assert len(cluster.runs(gives_up)) == 3 and not cluster.done(gives_up)
    started = [float(line.split()[2]) for line in cluster.runs(recovers)]
    base = cluster.settings.job_retry_base_seconds
    assert started[1] - started[0] >= base * 0.9
    assert started[2] - started[1] >= 2 * base * 0.9, "the second delay doubles the first"


def test_a_job_kind_no_worker_knows_fails_with_a_clear_message(cluster: Cluster) -> None:
    cluster.start_worker()
    job_id = cluster.enqueue("test.nobody-knows")

    job = cluster.wait_until([job_id], timeout=60)[job_id]

    assert job.state == "failed"
    assert job.error == "this worker has no task for job kind 'test.nobody-knows'"
    assert any("no task for job kind" in text for text in cluster.replies(job_id))


def test_a_gpu_worker_consumes_only_gpu_renders(cluster: Cluster) -> None:
    cluster.start_worker(queues=[RENDER_GPU_QUEUE])
    io_job = cluster.enqueue("test.touch", queue=IO_QUEUE)
    gpu_job = cluster.enqueue("test.touch", queue=RENDER_GPU_QUEUE)

    cluster.wait_until([gpu_job], timeout=60)

    assert cluster.job(io_job).state == "queued"
    assert cluster.runs(io_job) == []



@pytest.mark.parametrize("database_url", [""])
@pytest.mark.parametrize("queue_url", [REDIS_URL])
def test_a_job_recorded_while_the_broker_was_unreachable_is_sent_by_the_sweeper(cluster: Cluster) -> None:
    if not service_up("127.0.0.1", 6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    with cluster.services.db.session() as session:
        lost = enqueue(session, "test.touch", {"dir": str(cluster.trace)}, ORIGIN).id
    cluster.start_worker()

    job = cluster.wait_until([lost], timeout=60)[lost]

    assert job.state == "succeeded" and cluster.runs(lost) and cluster.done(lost)


@pytest.mark.parametrize("database_url", [""])
@pytest.mark.parametrize("queue_url", [REDIS_URL, RABBITMQ_URL])
def test_a_celery_job_that_hangs_past_its_kinds_limit_fails_and_the_worker_goes_on(
    cluster: Cluster, queue_url: str,
) -> None:
    if not service_up("127.0.0.1", 6379 if queue_url.startswith("redis") else 5672):
        pytest.skip(f"no broker at {queue_url}")
    cluster.start_worker()
    hung = cluster.enqueue("test.hang")

    job = cluster.wait_until([hung], timeout=60)[hung]
    after = cluster.enqueue("test.touch")
    cluster.wait_until([after], timeout=60)

    assert job.state == "failed"
    assert job.error == "it ran longer than its 1-second limit and stopped responding"
    assert len(cluster.runs(hung)) == 1, "the redelivered message found the job finished"
    assert cluster.job(after).state == "succeeded"
