"""A disk that never fills: expired media goes, what is referenced or in use stays, low space is told.

Files are real files under DATA_DIR (ages set with their modification time) or real objects in
moto's S3 server; rows are real rows. Free-space thresholds are driven by the configuration
(a threshold above any disk's size stands for a full disk).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core import jobs, outbox
from core.config import ConfigError
from core.messages import Attachment, Reply
from core.models import (
    AuditEntry,
    Job,
    JobState,
    OutboxEvent,
    Proposal,
    Publication,
    Render,
    Role,
    Source,
    utcnow,
)
from core.retention import space
from core.retention.kinds import Kind, kind_of
from core.retention.policy import Policy
from core.retention.sweep import sweep
from core.services import Services
from core.storage import open_store, s3_client
from tests.conftest import ThreadWorker, make_settings
from tests.support.publishing import CHANNEL, messages, person, run, wait_for_jobs
from tests.test_storage import s3_endpoint  # noqa: F401  (the moto server fixture)
from workers.bootstrap import build_services
from workers.local import LocalDispatcher

DAY = 86400.0


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    from core.db import upgrade

    settings = make_settings(tmp_path)
    upgrade(settings)
    built = build_services(settings, LocalDispatcher())
    yield built
    built.db.dispose()


class Media:
    """Files under DATA_DIR, made `days` old, and the rows that refer to them."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.root = services.settings.data_dir
        self.workspace_id, self.member_id = person(services, "alice", Role.owner)
        self.sources: dict[int, Path] = {}

    def file(self, key: str, days: float, size: int = 1000) -> Path:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
        then = time.time() - days * DAY
        os.utime(path, (then, then))
        return path

    def source(self, path: Path) -> int:
        with self.services.db.session() as session:
            row = Source(workspace_id=self.workspace_id, kind="file", uri=path.name, local_path=str(path),
                         rights_basis="owned")
            session.add(row)
            session.flush()
            return row.id

    def render(self, days: float, *, proposal: str | None = None, publication: str | None = None,
               job: str | None = None) -> tuple[int, list[Path]]:
        """A render with its three files (and its source), its proposal, publication and job as asked."""
        source = self.file(f"uploads/{uuid.uuid4().hex}.mp4", days)
        source_id = self.source(source)
        with self.services.db.session() as session:
            render = Render(workspace_id=self.workspace_id, source_id=source_id, state="done")
            session.add(render)
            session.flush()
            self.sources[render.id] = source
            folder = f"media/renders/{render.id}"
            names = ("render.mp4", "preview.mp4", "thumbnail.png")
            files = [self.file(f"{folder}/{name}", days) for name in names]
            render.output_path, render.preview_path, render.thumbnail_path = (str(f) for f in files)
            if proposal:
                row = Proposal(workspace_id=self.workspace_id, render_id=render.id, state=proposal,
                               options=["t"])
                session.add(row)
                session.flush()
                if publication:
                    session.add(Publication(workspace_id=self.workspace_id, proposal_id=row.id,
                                            platform="youtube", state=publication,
                                            idempotency_key=f"k{row.id}"))
            if job:
                jobs.enqueue(session, "render", {"render_id": render.id}, jobs.Origin(None, None, None, None))
                if job == "running":
                    session.flush()
                    session.scalar(select(Job).order_by(Job.id.desc())).state = JobState.running
            return render.id, files


def _exists(paths: list[Path]) -> list[bool]:
    return [p.exists() for p in paths]


def test_expired_and_left_over_files_go_and_referenced_or_needed_files_stay(services) -> None:
    media = Media(services)
    stray_old = media.file("uploads/tg-stray.mp4", days=2)
    stray_new = media.file("uploads/tg-arriving.mp4", days=0.01)
    used_old = media.file("uploads/old-source.mp4", days=40)
    used_young = media.file("uploads/young-source.mp4", days=10)
    media.source(used_old), media.source(used_young)
    _, rejected = media.render(40, proposal="rejected")
    _, published = media.render(40, proposal="approved", publication="published")
    _, published_long_ago = media.render(200, proposal="approved", publication="published")
    _, rendering = media.render(40, job="running")
    _, queued = media.render(40, job="queued")
    _, awaiting = media.render(40, proposal="pending")
    _, uploading = media.render(40, proposal="approved", publication="uploaded")
    old_chart = media.file("media/charts/views-1.png", 40)
    owed_chart = media.file("media/charts/views-2.png", 40)
    with services.db.session() as session:
        outbox.post(session, "console", CHANNEL, Reply(text="chart", attachments=[
            Attachment(path=str(owed_chart), kind="image")]), workspace_id=media.workspace_id)
    partial_old = media.file("media/downloads/.partial-3-ab12/video.mp4.part", days=2)
    partial_new = media.file("media/downloads/.partial-4-cd34/video.mp4.part", days=0.01)
    foreign = media.file("media/notes.txt", days=400)
    database = services.settings.data_dir / "ettametta.db"

    report = sweep(services)

    assert _exists([stray_old, used_old, old_chart, partial_old]) == [False] * 4
    assert _exists(rejected) == [False] * 3 and not rejected[0].parent.exists(), "the render's folder too"
    assert _exists(published_long_ago) == [False] * 3, "published renders go after PUBLISHED_RETENTION_DAYS"
    assert all(_exists([stray_new, used_young, owed_chart, partial_new, foreign, database]))
    for kept in (published, rendering, queued, awaiting, uploading):
        assert all(_exists(kept)), kept
    root = services.settings.data_dir
    assert (root / "uploads").is_dir() and (root / "media/renders").is_dir(), "top folders stay"
    assert {r.reason for r in report.removed} == {"expired", "unreferenced", "scratch"}
    assert report.freed == 1000 * len(report.removed) and not report.problems
    with services.db.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "storage.sweep"))
    assert entry.detail["removed"] == len(report.removed)


def test_the_sources_of_renders_at_work_stay_and_others_age_as_uploads(services) -> None:
    media = Media(services)
    running, _ = media.render(40, job="running")
    awaiting, _ = media.render(40, proposal="pending")
    published, _ = media.render(40, proposal="approved", publication="published")
    sweep(services)
    assert media.sources[running].exists() and media.sources[awaiting].exists()
    assert not media.sources[published].exists(), "an upload is kept MEDIA_RETENTION_DAYS, published or not"


def test_ages_are_configured_per_kind_and_published_renders_are_kept_longer(tmp_path) -> None:
    settings = make_settings(tmp_path, media_retention_days=30, uploads_retention_days=7,
                             charts_retention_days=0, published_retention_days=365)
    policy = Policy.from_settings(settings)
    assert policy.limit(Kind.uploads) == timedelta(days=7)
    assert policy.limit(Kind.renders) == timedelta(days=30)
    assert policy.limit(Kind.charts) is None, "0 keeps a kind forever"
    assert policy.limit(Kind.renders, published=True) == timedelta(days=365)
    assert "uploads 7 days" in policy.describe() and "charts kept" in policy.describe()
    with pytest.raises(ConfigError, match="SCRATCH_RETENTION_HOURS"):
        make_settings(tmp_path, scratch_retention_hours=1)
    assert [kind_of(k) for k in ("uploads/a.mp4", "media/renders/3/render.mp4", "media/renders/3/preview.mp4",
                                 "media/downloads/.partial-1/x", "media/thumbnails/c.png", "media/x")] == \
        [Kind.uploads, Kind.renders, Kind.previews, Kind.scratch, Kind.previews, Kind.other]


def test_with_an_s3_media_store_our_job_expires_objects_in_the_bucket(tmp_path, s3_endpoint) -> None:  # noqa: F811
    from core.db import upgrade

    bucket = f"media-{uuid.uuid4().hex[:8]}"
    settings = make_settings(tmp_path, media_store=f"s3://{bucket}/prod", s3_endpoint_url=s3_endpoint,
                             s3_access_key_id="test-key", s3_secret_access_key="test-secret")
    s3_client(settings).create_bucket(Bucket=bucket)
    upgrade(settings)
    services = build_services(settings, LocalDispatcher())
    try:
        media = Media(services)
        awaiting_id, awaiting = media.render(0, proposal="pending")
        _, published = media.render(0, proposal="approved", publication="published")
        _, rejected = media.render(0, proposal="rejected")
        stray = media.file("uploads/tg-stray.mp4", days=0)
        store = open_store(settings)
        made = [*awaiting, *published, *rejected, stray, *media.sources.values()]
        for path in made:
            store.put(path, _key(settings, path))
        listed = lambda: {e.key for prefix in ("media/", "uploads/") for e in store.entries(prefix)}  # noqa: E731
        assert listed() == {_key(settings, p) for p in made}

        report = sweep(services, now=utcnow() + timedelta(days=40))

        kept = [*awaiting, media.sources[awaiting_id], *published]
        assert listed() == {_key(settings, p) for p in kept}
        assert {r.key for r in report.removed if r.place.startswith("s3://")} == \
            {_key(settings, p) for p in made} - {_key(settings, p) for p in kept}
        assert not any(p.exists() for p in [*rejected, stray]), "the local copies go too"
    finally:
        services.db.dispose()


def _key(settings, path: Path) -> str:
    return path.relative_to(settings.data_dir).as_posix()


def test_a_render_is_refused_before_it_starts_when_the_disk_is_nearly_full(services, monkeypatch) -> None:
    media = Media(services)
    clip = media.file("uploads/clip.mp4", days=0)
    monkeypatch.setattr(services.settings, "render_min_free_gb", 10**9)
    reply = run(services, f"/render {clip}", user="alice")
    assert reply.error and "Not enough free disk space to render" in reply.text
    assert "RENDER_MIN_FREE_GB" in reply.text and "/storage" in reply.text
    with services.db.session() as session:
        assert session.scalar(select(Job)) is None, "nothing was queued"


def test_a_queued_render_refuses_to_start_when_the_disk_filled_meanwhile(services, monkeypatch) -> None:
    media = Media(services)
    clip = media.file("uploads/clip.mp4", days=0)
    assert "Started job" in run(services, f"/render {clip}", user="alice").text
    monkeypatch.setattr(services.settings, "render_min_free_gb", 10**9)
    with ThreadWorker(services):
        wait_for_jobs(services)
    with services.db.session() as session:
        job, render = session.scalar(select(Job)), session.scalar(select(Render))
    assert job.state == JobState.failed and job.attempts == 1, "failed at once, not retried"
    assert render.state == "failed" and "Not enough free disk space" in render.data["error"]
    assert "Not enough free disk space to render" in "\n".join(messages(services, CHANNEL))


def test_low_free_space_is_told_in_each_workspaces_chat_once_a_day(services, monkeypatch) -> None:
    Media(services)
    run(services, "/storage clean", user="alice")
    assert not space.warn_if_low(services), "plenty of space: no warning"
    monkeypatch.setattr(services.settings, "storage_warning_free_gb", 10**9)
    assert space.warn_if_low(services)
    assert not space.warn_if_low(services), "once a day at most"
    warnings = [t for t in messages(services, CHANNEL) if "Disk space is running low" in t]
    assert len(warnings) == 1 and "/storage" in warnings[0] and "GB free" in warnings[0]


def test_storage_shows_use_per_kind_free_space_and_the_policy_to_owners_only(services) -> None:
    media = Media(services)
    media.render(1, proposal="pending")
    media.file("media/charts/c.png", 1, size=5000)
    text = run(services, "/storage", user="alice").text
    assert f"Media in local directory {services.settings.data_dir}:" in text
    assert "renders: 1 KB in 1 file (rendered shorts)" in text and "charts: 5 KB in 1 file" in text
    assert "previews: 2 KB in 2 files" in text and "total: 9 KB in 5 files" in text
    assert "Free:" in text and "GB" in text and "renders refused below 1 GB" in text
    assert "published renders 180 days" in text and "has not run yet" in text
    person(services, "bob", Role.editor)
    refused = run(services, "/storage", user="bob")
    assert refused.error and "owner" in refused.text


def test_storage_clean_runs_the_clean_up_now_and_reports_it(services) -> None:
    media = Media(services)
    media.file("uploads/tg-stray.mp4", days=3, size=2_000_000)
    with ThreadWorker(services):
        run(services, "/storage clean", user="alice")
        wait_for_jobs(services)
    said = "\n".join(messages(services, CHANNEL))
    assert "Clean-up done: removed 1 file (2.0 MB)" in said
    assert "last run" in run(services, "/storage", user="alice").text
    with services.db.session() as session:
        assert session.scalars(select(OutboxEvent)).all()
