"""Exactly once at the edges: killed workers, lost answers, expired sessions and upload URLs.

Each case ends with one video on the platform and one outcome in the chat.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from core.models import Job, Publication
from core.publish import publish_tiktok, youtube, youtube_adopt
from tests.conftest import ThreadWorker
from tests.support.publishing import CHANNEL, messages, publishing_world, run, wait_for_jobs

REPO = Path(__file__).resolve().parent.parent
LEASE_S = 2


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(youtube, "RETRY_BASE_S", 0.01)
    monkeypatch.setattr(publish_tiktok, "POLL_INTERVAL_S", 0.01)
    with publishing_world(tmp_path, job_lease_seconds=LEASE_S) as made:
        env = {**os.environ, "PYTHONPATH": str(REPO), "DATA_DIR": str(made.services.settings.data_dir),
               "WORKERS": "1", "JOB_RETRY_BASE_SECONDS": "0.1",
               **{name.upper(): str(value) for name, value in made.overrides.items()}}
        yield made.services, made.proposal_id, env, made.tube, made.tok


def _kill_a_worker(env: dict[str, str], tmp_path: Path, die_at: str = "uploaded") -> None:
    dying = subprocess.Popen([sys.executable, "-m", "tests.support.dying_publisher"],
                             env={**env, "DIE_AT": die_at}, cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert dying.wait(60) == -9, dying.stderr.read().decode()[-2000:] if dying.stderr else ""


def _finish_with_another_worker(services) -> tuple[Publication, Job]:
    with ThreadWorker(services):
        wait_for_jobs(services)
    with services.db.session() as session:
        return session.scalar(select(Publication)), session.scalar(select(Job).where(Job.kind == "publish"))


@pytest.mark.parametrize(("platform", "session_expires"),
                         [("youtube", False), ("youtube", True), ("tiktok", False)])
def test_a_worker_killed_after_the_upload_returns_does_not_cause_a_second_upload(
    world, tmp_path, platform: str, session_expires: bool
) -> None:
    """SIGKILL between the last chunk's answer and its recording; YouTube may forget the session
    meanwhile (404), TikTok keeps checking the video (PROCESSING_UPLOAD with every byte)."""
    services, proposal_id, env, tube, tok = world
    tok.processing_polls = 3
    run(services, f"/publish {proposal_id} {platform}")
    _kill_a_worker(env, tmp_path)
    with services.db.session() as session:
        publication = session.scalar(select(Publication))
        job = session.scalar(select(Job).where(Job.kind == "publish"))
    assert publication.upload_session and publication.remote_id is None, "killed before recording"
    assert job.state == "running" and job.attempts == 1
    tube.expire_sessions = int(session_expires)
    publication, job = _finish_with_another_worker(services)
    assert job.state == "succeeded" and job.attempts == 2
    assert publication.state in ("published", "inbox") and publication.remote_id
    said = "\n".join(messages(services, CHANNEL))
    if platform == "youtube":
        assert len(tube.uploaded) == 1 and tube.initiations == 1
        assert publication.remote_id == next(iter(tube.uploaded))
        assert said.count("Published proposal") == 1
        assert ("playlistItems" in tube.owner_calls) == session_expires, "the channel is searched only then"
    else:
        assert len(tok.uploads) == 1 and sum("init" in call for call in tok.calls) == 1
        assert said.count("inbox as a draft") == 1


def test_a_lost_answer_to_the_last_chunk_and_an_expired_session_adopt_the_video(world) -> None:
    """YouTube made the video, the answer never arrived, and the session is gone (404)."""
    services, proposal_id, _, tube, _ = world
    tube.lose_final_response = True
    run(services, f"/publish {proposal_id} youtube")
    publication, job = _finish_with_another_worker(services)
    assert len(tube.uploaded) == 1 and tube.initiations == 1
    video = next(iter(tube.uploaded.values()))
    assert publication.state == "published" and publication.remote_id == video.id
    assert video.metadata["snippet"]["tags"][0] == youtube_adopt.marker(publication.idempotency_key)
    assert "Published proposal" in "\n".join(messages(services, CHANNEL))


def test_a_lost_youtube_session_that_never_finished_is_uploaded_again(world) -> None:
    services, proposal_id, _, tube, _ = world
    tube.expire_sessions = 1
    run(services, f"/publish {proposal_id} youtube")
    publication, _ = _finish_with_another_worker(services)
    assert publication.state == "published" and len(tube.uploaded) == 1 and tube.initiations == 2
    assert "playlistItems" in tube.owner_calls, "the channel was searched before uploading again"


def test_an_expired_tiktok_upload_url_is_initialised_again_once_with_one_outcome(world, tmp_path) -> None:
    services, proposal_id, env, _, tok = world
    run(services, f"/publish {proposal_id} tiktok")
    _kill_a_worker(env, tmp_path, "after:session_started")
    with services.db.session() as session:
        recorded = json.loads(session.scalar(select(Publication.upload_session)))
    tok.expire_upload_urls()
    publication, job = _finish_with_another_worker(services)
    assert job.state == "succeeded" and publication.state == "inbox"
    assert publication.remote_id != recorded["publish_id"], "a new upload for the same publication"
    assert len(tok.uploads) == 2 and len(tok.completed_posts()) == 1
    assert tok.uploads[recorded["publish_id"]].received == 0, "the expired one got nothing"
    said = "\n".join(messages(services, CHANNEL))
    assert said.count("inbox as a draft") == 1 and "failed" not in said


def test_tiktok_is_asked_before_a_new_upload_and_a_second_refusal_is_a_clear_failure(world) -> None:
    services, proposal_id, _, _, tok = world
    tok.expired_urls = 2
    run(services, f"/publish {proposal_id} tiktok")
    publication, job = _finish_with_another_worker(services)
    assert job.state == "failed" and publication.state == "failed"
    assert len(tok.uploads) == 2 and not tok.completed_posts()
    assert tok.calls.count("/v2/post/publish/status/fetch/") == 2, "asked about each before going on"
    said = "\n".join(messages(services, CHANNEL))
    assert "TikTok did not take the upload, even after starting it again" in said


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
