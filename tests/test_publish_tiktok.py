"""Publishing to TikTok: chunk plans exactly per the rules, streamed uploads, status outcomes."""

from __future__ import annotations

import hashlib
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import upgrade
from core.jobs import JobFailed
from core.models import Account, Job, JobState, Publication, Role, utcnow
from core.publish import publish_tiktok, tiktok
from tests.conftest import ThreadWorker, make_settings
from tests.fakes.tiktok_api import FakeTikTok, chunk_plan_problem
from tests.support.media import video
from tests.support.publishing import CHANNEL, account, approved_proposal, messages, person, run, wait_for_jobs
from workers.bootstrap import build_services
from workers.local import LocalDispatcher

MIB = 1024 * 1024


@pytest.fixture
def fake():
    with FakeTikTok() as running:
        yield running


@pytest.fixture
def services(tmp_path: Path, fake, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(publish_tiktok, "POLL_INTERVAL_S", 0.01)
    settings = make_settings(tmp_path, **fake.settings())
    upgrade(settings)
    built = build_services(settings, LocalDispatcher())
    yield built
    built.db.dispose()


def sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def zeros_sha256(size: int) -> str:
    digest, block = hashlib.sha256(), bytes(MIB)
    for _ in range(size // MIB):
        digest.update(block)
    digest.update(bytes(size % MIB))
    return digest.hexdigest()


def upload(settings, fake: FakeTikTok, path: Path, chunk_mb: int) -> tuple[str, int]:
    token = fake.issue_tokens()["access_token"]
    plan = tiktok.plan_chunks(path.stat().st_size, chunk_mb * MIB)
    publish_id, url = tiktok.init(settings, token, "inbox", plan, {})
    tracemalloc.start()
    try:
        tiktok.send_chunks(url, path, plan, 0, lambda done: None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    status = tiktok.fetch_status(settings, token, publish_id)
    assert status["status"] == "PROCESSING_UPLOAD" and status["uploaded_bytes"] == path.stat().st_size
    return publish_id, peak


@pytest.mark.parametrize(("size_mb", "chunk_mb"), [(3, 16), (64, 16), (130, 16), (250, 16), (250, 64)])
def test_files_of_every_size_go_up_in_chunks_the_fake_accepts_without_holding_the_file(
    services, fake, tmp_path, size_mb: int, chunk_mb: int
) -> None:
    path = sparse(tmp_path / f"{size_mb}.mp4", size_mb * MIB)
    publish_id, peak = upload(services.settings, fake, path, chunk_mb)
    received = fake.uploads[publish_id]
    assert received.received == path.stat().st_size and not fake.rejections
    assert received.digest.hexdigest() == zeros_sha256(size_mb * MIB)
    assert peak < 16 * MIB, f"peak Python memory {peak / MIB:.1f} MiB while sending {size_mb} MiB"


def test_the_chunk_plan_follows_tiktoks_rules_for_any_size() -> None:
    for size in [1, 5 * MIB - 1, 5 * MIB, 5 * MIB + 1, 63 * MIB, 64 * MIB, 64 * MIB + 1, 127 * MIB, 129 * MIB,
                 1000 * MIB, 4 * 1024 * MIB]:
        for preferred in (5, 16, 64):
            plan = tiktok.plan_chunks(size, preferred * MIB)
            assert chunk_plan_problem(plan.source_info()) == "", (size, preferred, plan)
            assert sum(end - start + 1 for start, end in plan.ranges()) == size


def test_a_wrong_chunk_plan_is_rejected_by_the_fake(services, fake, tmp_path) -> None:
    token = fake.issue_tokens()["access_token"]
    size = 130 * MIB
    wrong = tiktok.ChunkPlan(size, 16 * MIB, -(-size // (16 * MIB)))
    with pytest.raises(JobFailed, match="total_chunk_count must be floor"):
        tiktok.init(services.settings, token, "inbox", wrong, {})
    right = tiktok.plan_chunks(size, 16 * MIB)
    _, url = tiktok.init(services.settings, token, "inbox", right, {})
    path = sparse(tmp_path / "x.mp4", size)
    with pytest.raises(tiktok.ChunkRefused, match="refused chunk 2"):
        tiktok.send_chunks(url, path, right, 1, lambda done: None)


def _setup(services, fake, tmp_path: Path, **settings_values: str) -> int:
    workspace_id, member_id = person(services, "alice", Role.owner)
    for name, value in settings_values.items():
        assert "is now" in run(services, f"/settings {name} {value}").text
    clip = video(tmp_path / "short.mp4", seconds=1, size="360x640")
    proposal_id = approved_proposal(services, workspace_id, clip, title="Dance", member_id=member_id)
    account(services, workspace_id, member_id, "tiktok", fake.issue_tokens(), external_id=fake.open_id,
            name="Test Creator")
    return proposal_id


def _publish(services, proposal_id: int) -> str:
    with ThreadWorker(services):
        run(services, f"/publish {proposal_id} tiktok")
        wait_for_jobs(services)
    return "\n".join(messages(services, CHANNEL))


def test_an_unaudited_app_sends_the_video_to_the_creators_inbox(services, fake, tmp_path) -> None:
    said = _publish(services, _setup(services, fake, tmp_path))
    assert "inbox as a draft" in said
    assert fake.calls.count("/v2/post/publish/inbox/video/init/") == 1
    with services.db.session() as session:
        assert session.scalar(select(Publication.state)) == "inbox"


def test_an_audited_app_posts_directly_with_an_allowed_privacy_level(
    services, fake, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(services.settings, "tiktok_app_audited", True)
    said = _publish(services, _setup(services, fake, tmp_path, tiktok_privacy="PUBLIC_TO_EVERYONE"))
    upload = next(iter(fake.uploads.values()))
    assert upload.mode == "direct" and upload.post_info["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert "#shorts #test" in upload.post_info["title"]
    assert f"tiktok.com/@creator/video/{upload.post_id}" in said and "privacy: PUBLIC_TO_EVERYONE" in said


def test_a_privacy_level_the_creator_does_not_offer_falls_back_to_self_only(services, fake, tmp_path,
                                                                             monkeypatch) -> None:
    monkeypatch.setattr(services.settings, "tiktok_app_audited", True)
    fake.privacy_options = ["FOLLOWER_OF_CREATOR", "SELF_ONLY"]
    _publish(services, _setup(services, fake, tmp_path, tiktok_privacy="PUBLIC_TO_EVERYONE"))
    assert next(iter(fake.uploads.values())).post_info["privacy_level"] == "SELF_ONLY"


def test_a_failed_post_is_reported_in_plain_words(services, fake, tmp_path) -> None:
    fake.outcome = "FAILED"
    said = _publish(services, _setup(services, fake, tmp_path))
    assert "TikTok could not publish it: TikTok could not read the video file's format" in said
    with services.db.session() as session:
        publication = session.scalar(select(Publication))
    assert publication.state == "failed" and "format" in publication.error


def test_init_calls_beyond_six_a_minute_wait_instead_of_being_refused(services, fake, tmp_path) -> None:
    proposal_id = _setup(services, fake, tmp_path)
    with services.db.session() as session:
        row = session.scalar(select(Account))
        row.data = {"tiktok_inits": [time.time() - 10] * 6}
    _publish(services, proposal_id)
    with services.db.session() as session:
        job = session.scalar(select(Job).where(Job.kind == "publish"))
    assert job.state == JobState.queued and (job.run_after - utcnow()).total_seconds() > 30
    assert "6 uploads a minute" in "\n".join(messages(services, CHANNEL))
    assert not fake.uploads


def test_a_video_in_moderation_is_only_polled_and_the_person_hears_once(services, fake, tmp_path,
                                                                       monkeypatch) -> None:
    """TikTok answers PROCESSING_UPLOAD with every byte received while it checks the video."""
    monkeypatch.setattr(publish_tiktok, "STATUS_POLLS", 1)
    fake.processing_polls = 10**6
    proposal_id = _setup(services, fake, tmp_path)
    said = _publish(services, proposal_id)
    assert "is checking it" in said and "will not be uploaded again" in said
    with services.db.session() as session:
        publication = session.scalar(select(Publication))
        check = session.scalar(select(Job).where(Job.payload["check"].as_integer() == 1))
    assert publication.state == "uploaded" and check.state == JobState.queued
    assert (check.run_after - utcnow()).total_seconds() > 30, "the next look comes later, not at once"
    delays = []
    for waited_s in (0, 600, 7200):
        delays.append(_next_check_delay(services))
        _due_now(services, waited_s)
        _publish_jobs(services)
    assert delays[0] >= 59 and delays[1] >= 59
    assert 500 < _next_check_delay(services) <= 1800, "checks back off as the wait grows, to 30 minutes"
    fake.settle()
    _due_now(services)
    said = _publish_jobs(services)
    assert said.count("is checking it") == 1 and said.count("inbox as a draft") == 1
    assert len(fake.uploads) == 1 and fake.calls.count("/v2/post/publish/inbox/video/init/") == 1
    with services.db.session() as session:
        assert session.scalar(select(Publication.state)) == "inbox"


def test_after_a_day_of_moderation_the_person_is_told_to_look_in_the_app(services, fake, tmp_path,
                                                                         monkeypatch) -> None:
    monkeypatch.setattr(publish_tiktok, "STATUS_POLLS", 1)
    fake.processing_polls = 10**6
    _publish(services, _setup(services, fake, tmp_path))
    _due_now(services, waited_s=25 * 3600)
    said = _publish_jobs(services)
    assert "still has not said whether it is published" in said and "never uploads a second copy" in said
    with services.db.session() as session:
        assert session.scalar(select(Publication.state)) == "uploaded"
        assert not session.scalars(select(Job).where(Job.state == JobState.queued)).all()
    assert len(fake.uploads) == 1


def test_publishing_again_while_tiktok_checks_asks_about_the_same_upload(services, fake, tmp_path,
                                                                        monkeypatch) -> None:
    monkeypatch.setattr(publish_tiktok, "STATUS_POLLS", 1)
    fake.processing_polls = 10**6
    proposal_id = _setup(services, fake, tmp_path)
    _publish(services, proposal_id)
    with services.db.session() as session:
        for job in session.scalars(select(Job)):
            job.state = JobState.failed
    fake.settle()
    said = _publish(services, proposal_id)
    assert said.count("inbox as a draft") == 1
    assert len(fake.uploads) == 1 and fake.calls.count("/v2/post/publish/inbox/video/init/") == 1


def _due_now(services, waited_s: float = 0) -> None:
    """Queued jobs are due now; the video has been in moderation `waited_s` longer."""
    with services.db.session() as session:
        for job in session.scalars(select(Job).where(Job.state == JobState.queued)):
            job.run_after = utcnow()
        publication = session.scalar(select(Publication))
        since = datetime.fromisoformat(publication.data["moderation"]["since"]) - timedelta(seconds=waited_s)
        publication.data = {**publication.data, "moderation": {**publication.data["moderation"],
                                                               "since": since.isoformat()}}


def _next_check_delay(services) -> float:
    with services.db.session() as session:
        job = session.scalar(select(Job).where(Job.state == JobState.queued))
        return (job.run_after - utcnow()).total_seconds()


def _publish_jobs(services) -> str:
    with ThreadWorker(services):
        wait_for_jobs(services)
    return "\n".join(messages(services, CHANNEL))
