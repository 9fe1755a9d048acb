"""`ettametta doctor` on a scaled deployment: the broker, the workers and their queues, NVENC on
GPU workers, the media store."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.db import upgrade
from core.doctor import Finding, Level, check_media_store, check_queue, check_workers
from core.jobs import RENDER_GPU_QUEUE
from core.services import Services
from tests.conftest import make_settings, service_up
from tests.support.cluster import REDIS_URL, Cluster, unique_prefix
from workers import store
from workers.health import worker_answers_here


@pytest.fixture
def redis_cluster(tmp_path: Path) -> Iterator[Cluster]:
    if not service_up("127.0.0.1", 6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    settings = make_settings(tmp_path, queue_url=REDIS_URL, job_lease_seconds=2,
                             celery_queue_prefix=unique_prefix())
    upgrade(settings)
    cluster = Cluster(settings, tmp_path / "logs", tmp_path / "trace")
    try:
        yield cluster
    finally:
        cluster.stop()


def _until(check: Callable[[], list[Finding]], ready: Callable[[list[Finding]], bool],
           timeout: float = 30.0) -> list[Finding]:
    deadline = time.monotonic() + timeout
    while True:
        findings = check()
        if ready(findings) or time.monotonic() > deadline:
            return findings
        time.sleep(0.5)


def test_doctor_names_the_celery_workers_and_the_queues_nobody_consumes(redis_cluster: Cluster) -> None:
    settings = redis_cluster.settings
    redis_cluster.start_worker(queues=[RENDER_GPU_QUEUE])

    findings = _until(lambda: check_queue(settings),
                      lambda found: any(f.name == "celery worker" for f in found))

    assert findings[0].level is Level.ok and findings[0].detail == "redis://127.0.0.1:6379/0 reachable"
    assert findings[1].name == "celery worker" and findings[1].detail.endswith(" on render-gpu")
    assert findings[2].level is Level.warn and findings[2].detail == "default, io, render-cpu"
    beats = _until(lambda: check_workers(settings), lambda found: any(f.name == "NVENC" for f in found))
    assert beats[0].name == "worker" and beats[0].detail.endswith("on render-gpu")
    assert any(f.name == "NVENC" for f in beats), "a GPU worker reports whether NVENC works"
    assert worker_answers_here(settings), "the container health check finds the worker on this host"


def test_an_unreachable_broker_is_a_failure_that_names_queue_url(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, queue_url="redis://:hunter2@127.0.0.1:1/0")

    [finding] = check_queue(settings)

    assert finding.level is Level.fail and "QUEUE_URL" in finding.fix
    assert "hunter2" not in finding.detail


def test_local_worker_heartbeats_and_a_gpu_without_nvenc_are_reported(services: Services) -> None:
    with services.db.session() as session:
        store.heartbeat(session, "worker:box-1:42", "default,io", 30)
        store.heartbeat(session, "nvenc:box-1:42", "unavailable: Cannot load libcuda.so.1", 30)

    findings = check_workers(services.settings)

    assert findings[0] == Finding("worker", Level.ok, "box-1:42 on default, io")
    assert findings[1].level is Level.fail and "Cannot load libcuda.so.1" in findings[1].detail


def test_no_running_worker_is_only_a_warning(services: Services) -> None:
    [finding] = check_workers(services.settings)

    assert finding.level is Level.warn and "ettametta worker" in finding.fix


def test_the_media_store_is_checked(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")

    assert check_media_store(make_settings(tmp_path))[0].level is Level.ok
    [finding] = check_media_store(make_settings(tmp_path, media_store=str(blocked / "media")))
    assert finding.level is Level.fail and "MEDIA_STORE" in finding.fix
