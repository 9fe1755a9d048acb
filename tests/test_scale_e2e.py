"""The scale path end to end: a render and a publication run by real Celery workers on PostgreSQL,
and a Celery worker lost right after an upload still publishes once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import upgrade
from core.models import Job, Publication, Render
from core.publish import publish_tiktok, youtube
from tests.conftest import make_settings, service_up
from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.youtube_upload import FakeYouTubeUploads
from tests.support.cluster import RABBITMQ_URL, REDIS_URL, Cluster, unique_prefix
from tests.support.console import run_script
from tests.support.media import video
from tests.support.publishing import CHANNEL, account, approved_proposal, messages, person, run, wait_for_jobs

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@dataclass
class World:
    cluster: Cluster
    tube: FakeYouTubeUploads
    channel: str
    grant: dict


def broker_url() -> str:
    if service_up("127.0.0.1", 6379):
        return REDIS_URL
    if service_up("127.0.0.1", 5672):
        return RABBITMQ_URL
    pytest.skip("neither Redis (6379) nor RabbitMQ (5672) runs on 127.0.0.1")


@pytest.fixture
def world(tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setattr(youtube, "RETRY_BASE_S", 0.01)
    monkeypatch.setattr(publish_tiktok, "POLL_INTERVAL_S", 0.01)
    with FakeGoogleOAuth() as google, FakeYouTubeUploads(google) as tube:
        channel = tube.add_my_channel("Cooking With Ada")
        overrides = {"google_api_base_url": tube.url, **google.settings()}
        settings = make_settings(tmp_path, database_url=postgres_url, queue_url=broker_url(),
                                 job_lease_seconds=3, celery_queue_prefix=unique_prefix(), **overrides)
        upgrade(settings)
        extra = {name.upper(): str(value) for name, value in overrides.items()}
        cluster = Cluster(settings, tmp_path / "logs", tmp_path / "trace", extra_env=extra)
        try:
            yield World(cluster, tube, channel, google.grant_for(channel))
        finally:
            cluster.stop()


def test_a_render_and_its_publication_run_on_celery_workers_and_postgres(
    world: World, tmp_path: Path,
) -> None:
    services = world.cluster.services
    world.cluster.start_worker()
    clip = video(tmp_path / "talk.mp4", seconds=1.5, size="320x180")

    out = run_script(services, [f"/render {clip} no-captions"])

    assert "Render #1 is ready" in out, out
    with services.db.session() as session:
        render = session.scalars(select(Render)).one()
        render_job = session.scalars(select(Job).where(Job.kind == "render")).one()
    assert render.state == "done" and Path(render.output_path).is_file()
    assert render_job.state == "succeeded" and render_job.queue == "render-cpu"

    workspace_id, member_id = person(services, "alice")
    proposal_id = approved_proposal(services, workspace_id, Path(render.output_path), member_id=member_id)
    account(services, workspace_id, member_id, "youtube", world.grant, external_id=world.channel)
    run(services, f"/publish {proposal_id} youtube")
    wait_for_jobs(services, timeout=90)

    with services.db.session() as session:
        publication = session.scalars(select(Publication)).one()
    assert publication.state == "published" and publication.remote_id
    assert len(world.tube.uploaded) == 1
    assert "Published proposal" in "\n".join(messages(services, CHANNEL))


def test_a_celery_worker_lost_right_after_the_upload_does_not_publish_twice(
    world: World, tmp_path: Path,
) -> None:
    services = world.cluster.services
    workspace_id, member_id = person(services, "alice")
    clip = video(tmp_path / "short.mp4", seconds=1, size="360x640")
    proposal_id = approved_proposal(services, workspace_id, clip, member_id=member_id)
    account(services, workspace_id, member_id, "youtube", world.grant, external_id=world.channel)
    dying = world.cluster.start_worker(["io"], "--die-after-upload")
    run(services, f"/publish {proposal_id} youtube")

    deadline = time.monotonic() + 60
    while len(world.tube.uploaded) < 1:
        assert time.monotonic() < deadline, "the upload never happened"
        time.sleep(0.1)
    world.cluster.kill_worker_running(dying.pid)
    world.cluster.start_worker(["io"])
    jobs = wait_for_jobs(services, timeout=90)

    [job] = [j for j in jobs if j.kind == "publish"]
    with services.db.session() as session:
        publication = session.scalars(select(Publication)).one()
    assert job.state == "succeeded" and job.attempts >= 2
    assert publication.state == "published" and publication.remote_id
    assert len(world.tube.uploaded) == 1 and world.tube.initiations == 1
