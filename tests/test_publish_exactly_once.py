"""Exactly once: a worker killed right after the upload returns leaves no second upload behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import upgrade
from core.models import Job, Publication
from core.publish import publish_tiktok, youtube
from tests.conftest import ThreadWorker, make_settings
from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.tiktok_api import FakeTikTok
from tests.fakes.youtube_upload import FakeYouTubeUploads
from tests.support.media import video
from tests.support.publishing import CHANNEL, account, approved_proposal, messages, person, run, wait_for_jobs
from workers.bootstrap import build_services
from workers.local import LocalDispatcher

REPO = Path(__file__).resolve().parent.parent
LEASE_S = 2


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(youtube, "RETRY_BASE_S", 0.01)
    monkeypatch.setattr(publish_tiktok, "POLL_INTERVAL_S", 0.01)
    with FakeGoogleOAuth() as google, FakeYouTubeUploads(google) as tube, FakeTikTok() as tok:
        channel = tube.add_my_channel("Cooking With Ada")
        overrides = {"google_api_base_url": tube.url, "job_lease_seconds": LEASE_S, **google.settings(),
                     **tok.settings()}
        settings = make_settings(tmp_path, **overrides)
        upgrade(settings)
        services = build_services(settings, LocalDispatcher())
        workspace_id, member_id = person(services, "alice")
        clip = video(tmp_path / "short.mp4", seconds=1, size="360x640")
        proposal_id = approved_proposal(services, workspace_id, clip, member_id=member_id)
        account(services, workspace_id, member_id, "youtube", google.grant_for(channel), external_id=channel)
        account(services, workspace_id, member_id, "tiktok", tok.issue_tokens(), external_id=tok.open_id)
        env = {**os.environ, "PYTHONPATH": str(REPO), "DATA_DIR": str(settings.data_dir), "WORKERS": "1",
               "JOB_LEASE_SECONDS": str(LEASE_S), "JOB_RETRY_BASE_SECONDS": "0.1",
               **{name.upper(): str(value) for name, value in overrides.items()}}
        yield services, proposal_id, env, tube, tok
        services.db.dispose()


@pytest.mark.parametrize("platform", ["youtube", "tiktok"])
def test_a_worker_killed_after_the_upload_returns_does_not_cause_a_second_upload(world, tmp_path,
                                                                                  platform: str) -> None:
    services, proposal_id, env, tube, tok = world
    run(services, f"/publish {proposal_id} {platform}")
    dying = subprocess.Popen([sys.executable, "-m", "tests.support.dying_publisher"], env=env, cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert dying.wait(60) == -9, dying.stderr.read().decode()[-2000:] if dying.stderr else ""
    with services.db.session() as session:
        publication = session.scalar(select(Publication))
        job = session.scalar(select(Job).where(Job.kind == "publish"))
    assert publication.upload_session and publication.remote_id is None, "killed before recording"
    assert job.state == "running" and job.attempts == 1
    with ThreadWorker(services):
        wait_for_jobs(services)
    with services.db.session() as session:
        publication = session.scalar(select(Publication))
        job = session.get_one(Job, job.id)
    assert job.state == "succeeded" and job.attempts == 2
    assert publication.state in ("published", "inbox") and publication.remote_id
    if platform == "youtube":
        assert len(tube.uploaded) == 1 and tube.initiations == 1
        assert "Published proposal" in "\n".join(messages(services, CHANNEL))
    else:
        assert len(tok.uploads) == 1 and sum("init" in call for call in tok.calls) == 1
        assert "inbox as a draft" in "\n".join(messages(services, CHANNEL))


def test_two_workers_cannot_hold_one_publication(world) -> None:
    from core.publish import publications

    services, proposal_id, *_ = world
    run(services, f"/publish {proposal_id} youtube")
    with services.db.session() as session:
        publication_id = session.scalar(select(Publication.id))
        job = session.scalar(select(Job))
        job.state, job.worker_id = "running", "w1#1"
    with services.db.session() as session:
        assert publications.claim(session, publication_id, job.id, "w1#1")
    with services.db.session() as session:
        assert not publications.claim(session, publication_id, job.id + 100, "w2#1")
        assert publications.claim(session, publication_id, job.id, "w1#1"), "the holder may claim again"
    with services.db.session() as session:
        session.get_one(Job, job.id).worker_id = "w3#2"
    with services.db.session() as session:
        assert publications.claim(session, publication_id, job.id, "w3#2"), "a re-claimed job takes over"
