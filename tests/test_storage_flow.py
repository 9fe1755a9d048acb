"""MEDIA_STORE=s3://… in the real flow: a render's input, its files and its publication travel
through the bucket, so a machine that did not write a file still finds it at its recorded path.

Machines share one DATA_DIR path (/data in the containers); a machine that lacks a file is
simulated by deleting the local copy after it was shared.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.relay import Envelope, Relay
from core import outbox
from core.db import upgrade
from core.media import records
from core.models import Job, Publication, Render
from core.publish import publish_tiktok, youtube
from core.services import Services
from core.storage import s3_client
from tests.conftest import ThreadWorker, make_settings
from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.youtube_upload import FakeYouTubeUploads
from tests.support.console import run_script
from tests.support.media import video
from tests.support.publishing import account, approved_proposal, person, run, wait_for_jobs
from tests.test_storage import s3_endpoint  # noqa: F401  (the moto server fixture)
from workers.bootstrap import build_services
from workers.local import LocalDispatcher


class Recorder:
    front = "console"

    def __init__(self) -> None:
        self.sent: list[Envelope] = []

    async def send(self, envelope: Envelope) -> str | None:
        self.sent.append(envelope)
        return str(envelope.event_id)

    async def edit(self, envelope: Envelope, message_id: str) -> None:
        self.sent.append(envelope)


@pytest.fixture
def shared(tmp_path: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
           ) -> Iterator[tuple[Services, FakeYouTubeUploads, str, dict, list[str]]]:
    monkeypatch.setattr(youtube, "RETRY_BASE_S", 0.01)
    monkeypatch.setattr(publish_tiktok, "POLL_INTERVAL_S", 0.01)
    bucket = f"media-{uuid.uuid4().hex[:8]}"
    with FakeGoogleOAuth() as google, FakeYouTubeUploads(google) as tube:
        channel = tube.add_my_channel("Ada")
        settings = make_settings(tmp_path, media_store=f"s3://{bucket}/prod", s3_endpoint_url=s3_endpoint,
                                 s3_access_key_id="k", s3_secret_access_key="s",
                                 google_api_base_url=tube.url, **google.settings())
        client = s3_client(settings)
        client.create_bucket(Bucket=bucket)
        upgrade(settings)
        services = build_services(settings, LocalDispatcher())

        def keys() -> list[str]:
            listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
            return sorted(item["Key"] for item in listing)

        yield services, tube, channel, google.grant_for(channel), keys  # type: ignore[misc]
        services.db.dispose()


def test_render_files_travel_through_the_bucket_to_the_front_and_the_publisher(shared) -> None:
    services, tube, channel, grant, keys = shared
    uploads = services.settings.data_dir / "uploads"
    uploads.mkdir(parents=True)
    clip = video(uploads / "talk.mp4", seconds=1, size="320x180")

    with ThreadWorker(services):
        out = run_script(services, [f"/render {clip} no-captions"])
    assert "Render #1 is ready" in out, out
    assert {"prod/uploads/talk.mp4", "prod/media/renders/1/render.mp4", "prod/media/renders/1/preview.mp4",
            "prod/media/renders/1/thumbnail.png"} <= set(keys())

    with services.db.session() as session:
        render = session.scalars(select(Render)).one()
        job = session.get_one(Job, render.job_id)
    shutil.rmtree(services.settings.media_dir / "renders")
    with services.db.session() as session:
        outbox.reply_to_job(session, job, records.result_reply(render))
    recorder = Recorder()
    asyncio.run(Relay(services, recorder).deliver_pending())
    assert recorder.sent, "the render's message was delivered"
    assert Path(render.output_path).is_file() and Path(render.preview_path).is_file(), \
        "the relay fetched the attachments from the bucket before delivering"

    workspace_id, member_id = person(services, "alice")
    proposal_id = approved_proposal(services, workspace_id, Path(render.output_path), member_id=member_id)
    shutil.rmtree(services.settings.media_dir / "renders")
    account(services, workspace_id, member_id, "youtube", grant, external_id=channel)
    with ThreadWorker(services):
        run(services, f"/publish {proposal_id} youtube")
        wait_for_jobs(services, timeout=60)
    with services.db.session() as session:
        publication = session.scalars(select(Publication)).one()
    assert publication.state == "published" and len(tube.uploaded) == 1
