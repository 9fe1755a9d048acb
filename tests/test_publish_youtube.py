"""Publishing to YouTube: resumable uploads that survive drops and 503s, quotas, verification."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import upgrade
from core.models import Account, Job, JobState, Proposal, Publication, Role, utcnow
from core.publish import youtube
from core.publish.post import Post
from tests.conftest import ThreadWorker, make_settings
from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.youtube_upload import FakeYouTubeUploads
from tests.support.media import video
from tests.support.publishing import CHANNEL, account, approved_proposal, messages, person, run, wait_for_jobs
from workers.bootstrap import build_services
from workers.local import LocalDispatcher

MIB = 1024 * 1024


@pytest.fixture
def fakes():
    with FakeGoogleOAuth() as google, FakeYouTubeUploads(google) as tube:
        tube.channel_id = tube.add_my_channel("Cooking With Ada")
        yield google, tube


@pytest.fixture
def services(tmp_path: Path, fakes, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(youtube, "RETRY_BASE_S", 0.01)
    google, tube = fakes
    settings = make_settings(tmp_path, google_api_base_url=tube.url, upload_chunk_mb=5, **google.settings())
    upgrade(settings)
    built = build_services(settings, LocalDispatcher())
    yield built
    built.db.dispose()


class Journal:
    def __init__(self) -> None:
        self.sessions: list[str] = []
        self.progress: list[int] = []
        self.done: list[str] = []
        self.lost = 0

    def session_started(self, session: str) -> None:
        self.sessions.append(session)

    def session_lost(self) -> None:
        self.lost += 1

    def sent(self, bytes_sent: int, total: int) -> None:
        self.progress.append(bytes_sent)

    def uploaded(self, remote_id: str, detail: dict) -> None:
        self.done.append(remote_id)


def post_for(path: Path, **overrides) -> Post:
    fields = dict(publication_id=1, workspace_id=1, account_id=1, platform="youtube", path=path,
                  size=path.stat().st_size, title="Resumed", description="d", tags=("a",), privacy="unlisted",
                  publish_at=None, made_for_kids=False, synthetic_media=True, license="youtube",
                  tiktok_mode="direct", tiktok_privacy="SELF_ONLY")
    fields.update(overrides)
    return Post(**fields)


def random_file(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.write(os.urandom(size))
    return path


def test_an_upload_resumes_after_drops_and_503s_and_creates_the_video_once(services, fakes, tmp_path) -> None:
    google, tube = fakes
    path = random_file(tmp_path / "clip.bin", 12 * MIB + 12345)
    tube.drops, tube.errors_503 = 3, 3
    token = google.grant_for(tube.channel_id)["access_token"]
    journal = Journal()
    done = youtube.upload(services.settings, token, post_for(path), None, journal)
    assert len(tube.uploaded) == 1 and journal.done == [done.video_id]
    video = tube.uploaded[done.video_id]
    assert video.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert tube.drops == 0 and tube.errors_503 == 0 and tube.status_queries >= 2
    assert video.metadata["status"]["selfDeclaredMadeForKids"] is False
    assert video.metadata["status"]["containsSyntheticMedia"] is True
    assert len(journal.sessions) == 1


def test_a_recorded_session_is_finished_not_restarted_and_a_dead_one_starts_over(
    services, fakes, tmp_path
) -> None:
    google, tube = fakes
    path = random_file(tmp_path / "clip.bin", 11 * MIB)
    token = google.grant_for(tube.channel_id)["access_token"]
    first = youtube.upload(services.settings, token, post_for(path), None, Journal())
    journal = Journal()
    again = youtube.upload(services.settings, token, post_for(path), _session_uri(tube), journal)
    assert again.video_id == first.video_id and len(tube.uploaded) == 1 and journal.sessions == []
    tube.expire_sessions = 1
    restarted = Journal()
    youtube.upload(services.settings, token, post_for(path), _session_uri(tube), restarted)
    assert restarted.lost == 1 and len(restarted.sessions) == 1 and len(tube.uploaded) == 2


def _session_uri(tube: FakeYouTubeUploads) -> str:
    session = list(tube.sessions.values())[-1]
    return f"{tube.url}upload/youtube/v3/videos?uploadType=resumable&upload_id={session.id}"


def test_quota_exhaustion_is_reported_as_retry_after_the_pacific_reset(services, fakes, tmp_path) -> None:
    google, tube = fakes
    tube.upload_error = "quotaExceeded"
    token = google.grant_for(tube.channel_id)["access_token"]
    with pytest.raises(youtube.QuotaExhausted):
        youtube.upload(services.settings, token, post_for(random_file(tmp_path / "c.bin", MIB)), None,
                       Journal())
    assert not tube.uploaded


def _publish_setup(services, fakes, tmp_path: Path, privacy: str = "public") -> tuple[int, int]:
    google, tube = fakes
    workspace_id, member_id = person(services, "alice", Role.owner)
    assert "is now" in run(services, f"/settings youtube_privacy {privacy}", user="alice").text
    clip = video(tmp_path / "short.mp4", seconds=1, size="360x640")
    proposal_id = approved_proposal(services, workspace_id, clip, title="My first short", member_id=member_id)
    account_id = account(services, workspace_id, member_id, "youtube", google.grant_for(tube.channel_id),
                         external_id=tube.channel_id, name="Cooking With Ada")
    return proposal_id, account_id


def test_publish_uploads_verifies_and_reports_to_the_approval_chat(services, fakes, tmp_path) -> None:
    _, tube = fakes
    proposal_id, _ = _publish_setup(services, fakes, tmp_path)
    with ThreadWorker(services):
        reply = run(services, f"/publish {proposal_id} youtube")
        assert "queued as publication" in reply.text, reply.text
        wait_for_jobs(services)
    assert len(tube.uploaded) == 1
    video_id = next(iter(tube.uploaded))
    result = [t for t in messages(services, CHANNEL) if "Published proposal" in t]
    assert result and video_id in result[0] and "privacy: public" in result[0]
    assert "Audit entry #" in result[0]
    with services.db.session() as session:
        publication = session.scalar(select(Publication))
    assert publication.state == "published" and publication.remote_id == video_id
    with ThreadWorker(services):
        again = run(services, f"/publish {proposal_id} youtube")
        wait_for_jobs(services)
    assert "already done" in again.text and len(tube.uploaded) == 1


def test_uploads_of_an_unverified_project_are_reported_as_locked_private(services, fakes, tmp_path) -> None:
    _, tube = fakes
    tube.unverified_project = True
    proposal_id, _ = _publish_setup(services, fakes, tmp_path)
    with ThreadWorker(services):
        run(services, f"/publish {proposal_id} youtube")
        wait_for_jobs(services)
    result = [t for t in messages(services, CHANNEL) if "Published proposal" in t]
    assert "privacy: private" in result[0] and "locked it private" in result[0]


def test_the_projects_quota_pauses_every_channel_until_the_pacific_reset(services, fakes, tmp_path) -> None:
    google, tube = fakes
    tube.upload_error = "quotaExceeded"
    proposal_id, _ = _publish_setup(services, fakes, tmp_path)
    _second_channel(services, google, tube)
    with ThreadWorker(services):
        run(services, f"/publish {proposal_id} youtube")
        wait_for_jobs(services)
    with services.db.session() as session:
        waiting = session.scalars(select(Job).where(Job.kind == "publish")).all()
    assert len(waiting) == 2 and all(j.state == JobState.queued for j in waiting)
    assert all((j.run_after - utcnow()).total_seconds() > 60 for j in waiting)
    said = " ".join(messages(services, CHANNEL))
    assert "quota for this project is used up" in said and "midnight Pacific" in said
    assert not tube.uploaded and tube.initiations == 1, "the second channel waits without asking YouTube"


def test_a_channels_daily_upload_limit_pauses_only_that_channel_for_24_hours(services, fakes,
                                                                             tmp_path) -> None:
    google, tube = fakes
    tube.upload_limited_channels = {tube.channel_id}
    proposal_id, limited = _publish_setup(services, fakes, tmp_path)
    other = _second_channel(services, google, tube)
    with ThreadWorker(services):
        run(services, f"/publish {proposal_id} youtube")
        wait_for_jobs(services)
    with services.db.session() as session:
        publications = {p.account_id: p for p in session.scalars(select(Publication))}
        job = session.scalar(select(Job).where(Job.kind == "publish", Job.state == JobState.queued))
    assert publications[other].state == "published" and publications[limited].state != "published"
    assert [v.user for v in tube.uploaded.values()] == [tube.other_channel]
    assert job.payload["publication_id"] == publications[limited].id
    assert 23.9 * 3600 < (job.run_after - utcnow()).total_seconds() <= 24 * 3600
    said = " ".join(messages(services, CHANNEL))
    assert "this channel reached YouTube's daily upload limit" in said and "midnight Pacific" not in said
    with services.db.session() as session:
        session.get_one(Job, job.id).run_after = utcnow()
    with ThreadWorker(services):
        wait_for_jobs(services)
    assert tube.initiations == 2, "a paused channel does not ask YouTube again before its 24 hours are up"


def _second_channel(services, google, tube) -> int:
    with services.db.session() as session:
        workspace_id, member_id = session.scalar(select(Account.workspace_id)), session.scalar(
            select(Account.connected_by))
    tube.other_channel = tube.add_my_channel("Second Channel")
    return account(services, workspace_id, member_id, "youtube", google.grant_for(tube.other_channel),
                   external_id=tube.other_channel, name="Second Channel")


def test_a_landscape_or_long_clip_fails_the_check_with_a_clear_message(services, fakes, tmp_path) -> None:
    google, tube = fakes
    workspace_id, member_id = person(services, "alice")
    clip = video(tmp_path / "wide.mp4", seconds=1, size="640x360")
    proposal_id = approved_proposal(services, workspace_id, clip, member_id=member_id)
    account(services, workspace_id, member_id, "youtube", google.grant_for(tube.channel_id),
            external_id=tube.channel_id)
    with ThreadWorker(services):
        run(services, f"/publish {proposal_id} youtube")
        wait_for_jobs(services)
    said = " ".join(messages(services, CHANNEL))
    assert "landscape (640x360); Shorts are vertical or square" in said
    assert tube.initiations == 0


def test_a_creative_commons_credit_is_published_with_the_video(services, fakes, tmp_path) -> None:
    _, tube = fakes
    proposal_id, _ = _publish_setup(services, fakes, tmp_path)
    credit = '"Original" by Some Channel, https://youtu.be/abc, CC BY 3.0'
    with services.db.session() as session:
        session.get_one(Proposal, proposal_id).attribution = credit
    with ThreadWorker(services):
        run(services, f"/publish {proposal_id} youtube")
        wait_for_jobs(services)
    snippet = next(iter(tube.uploaded.values())).metadata["snippet"]
    assert snippet["description"].endswith(credit) and "#shorts" in snippet["description"]
    assert snippet["tags"][1:] == ["shorts", "test"] and snippet["tags"][0].startswith("ettametta-")
    long_caption = post_for(tmp_path / "short.mp4", title="t" * 3000, attribution=credit).caption
    assert long_caption.endswith(credit) and len(long_caption) <= 2200


def test_a_scheduled_youtube_publish_uploads_now_as_private_with_publish_at(
    services, fakes, tmp_path
) -> None:
    _, tube = fakes
    proposal_id, _ = _publish_setup(services, fakes, tmp_path)
    run(services, "/settings timezone America/New_York")
    with ThreadWorker(services):
        run(services, f'/publish {proposal_id} youtube at="2099-01-15 09:30"')
        wait_for_jobs(services)
    status = next(iter(tube.uploaded.values())).metadata["status"]
    assert status["privacyStatus"] == "private" and status["publishAt"] == "2099-01-15T14:30:00Z"
    said = "\n".join(messages(services, CHANNEL))
    assert "goes public on 2099-01-15 09:30 (America/New_York)" in said and "locked" not in said
