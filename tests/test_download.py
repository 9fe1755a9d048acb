"""Downloading a candidate with yt-dlp (its generic extractor) from a local HTTP server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import upgrade
from core.discovery.download import download_candidate, downloads_dir, one_line
from core.discovery.guarded_ytdlp import GuardedYoutubeDL
from core.discovery.netguard import NetGuard
from core.discovery.ytdlp_source import ydl_options
from core.invoke import run_text
from core.jobs import JobFailed
from core.models import Candidate, Job, JobState, Source, Workspace
from core.services import Services
from tests.conftest import ThreadWorker, make_settings
from tests.fakes.file_server import FileServer
from tests.support.discovery import caller
from tests.support.media import video
from tests.support.waiting import wait_for
from workers.bootstrap import build_services
from workers.local import LocalDispatcher


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("clip")
    return video(folder / "clip.mp4", seconds=1, size="160x120").read_bytes()


@pytest.fixture
def server(clip: bytes) -> Iterator[FileServer]:
    with FileServer() as running:
        running.add("/media/clip.mp4", clip, "video/mp4")
        running.add("/page.html", b"<html><head><title>Hi</title></head><body>No video</body></html>",
                    "text/html")
        yield running


def make_services(tmp_path: Path, **overrides: object) -> Services:
    settings = make_settings(tmp_path, **{"download_allow_private": True, **overrides})
    upgrade(settings)
    return build_services(settings, LocalDispatcher())


def add_candidate(services: Services, url: str, basis: str = "creative_commons") -> int:
    with services.db.session() as session:
        ws = session.scalar(select(Workspace).where(Workspace.external_id == "local"))
        if ws is None:
            ws = Workspace(front="console", external_id="local")
            session.add(ws)
            session.flush()
        row = Candidate(workspace_id=ws.id, platform="web", external_id=uuid.uuid4().hex, url=url,
                        title="A clip", rights_basis=basis, data={})
        session.add(row)
        session.flush()
        return row.id


def download_job(services: Services) -> Job:
    with services.db.session() as session:
        return session.scalar(select(Job).where(Job.kind == "download"))


def progress_log() -> tuple[list[float], Callable[[float, str], None]]:
    seen: list[float] = []
    return seen, lambda percent, text: seen.append(percent)


def test_a_candidate_downloads_once_with_progress(tmp_path: Path, server: FileServer, clip: bytes) -> None:
    services = make_services(tmp_path)
    cid = add_candidate(services, server.link("/media/clip.mp4"))
    with services.db.session() as session:
        session.add(Source(workspace_id=1, kind="candidate", uri="x", candidate_id=cid,
                           rights_basis="creative_commons"))
    seen, progress = progress_log()
    path = download_candidate(services, cid, progress)
    assert path == downloads_dir(services) / f"candidate-{cid}.mp4"
    assert path.read_bytes() == clip and seen[-1] == 100
    assert [p.name for p in downloads_dir(services).iterdir()] == [path.name], "no scratch left"
    with services.db.session() as session:
        assert session.get_one(Candidate, cid).local_path == str(path)
        assert session.scalar(select(Source.local_path)) == str(path)
    fetched = len(server.requests)
    assert download_candidate(services, cid, progress) == path
    assert len(server.requests) == fetched, "an existing file is not downloaded again"
    services.db.dispose()


@pytest.mark.parametrize(("path", "message"), [
    ("/missing.mp4", "The link is dead (404 Not Found)."),
    ("/page.html", "That page has no video I can download."),
])
def test_a_bad_link_fails_with_one_clear_line(tmp_path: Path, server: FileServer, path: str,
                                              message: str) -> None:
    services = make_services(tmp_path)
    cid = add_candidate(services, server.link(path))
    with pytest.raises(JobFailed) as failed:
        download_candidate(services, cid, lambda *_: None)
    assert str(failed.value) == message
    assert list(downloads_dir(services).iterdir()) == [], "partial files are cleaned up"
    services.db.dispose()


def test_an_oversized_file_is_refused_and_cleaned_up(tmp_path: Path, server: FileServer) -> None:
    services = make_services(tmp_path, max_input_mb=1)
    server.add("/big.mp4", b"\x00" * (1024 * 1024 + 10), "video/mp4")
    cid = add_candidate(services, server.link("/big.mp4"))
    with pytest.raises(JobFailed) as failed:
        download_candidate(services, cid, lambda *_: None)
    assert "1 MB" in str(failed.value) and "(MAX_INPUT_MB)" in str(failed.value)
    assert list(downloads_dir(services).iterdir()) == []
    services.db.dispose()


def test_a_private_address_is_refused_unless_allowed(tmp_path: Path, server: FileServer) -> None:
    services = make_services(tmp_path, download_allow_private=False)
    cid = add_candidate(services, server.link("/media/clip.mp4"))
    with pytest.raises(JobFailed) as refused:
        download_candidate(services, cid, lambda *_: None)
    assert "private network (127.0.0.1)" in str(refused.value)
    assert server.requests == [], "the guard refuses before any request"
    services.db.dispose()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x.mp4"])
def test_only_http_links_are_downloaded(tmp_path: Path, url: str) -> None:
    services = make_services(tmp_path)
    cid = add_candidate(services, url)
    with pytest.raises(JobFailed, match="Only http:// and https:// links"):
        download_candidate(services, cid, lambda *_: None)
    services.db.dispose()


def test_the_download_command_runs_a_job_and_refuses_candidates_without_rights(
        tmp_path: Path, server: FileServer) -> None:
    services = make_services(tmp_path)
    allowed = add_candidate(services, server.link("/media/clip.mp4"))
    refused = add_candidate(services, server.link("/media/clip.mp4"), basis="none")
    denied = run_text(services, caller(), f"/download {refused}")
    assert denied.error and f'/attest {refused} "who granted it"' in denied.text
    with ThreadWorker(services):
        started = run_text(services, caller(), f"/download {allowed}")
        assert "Started job #" in started.text
        assert wait_for(lambda: JobState(download_job(services).state).finished)
    job = download_job(services)
    assert job.state == JobState.succeeded, job.error
    services.db.dispose()


@pytest.mark.parametrize(("error", "line"), [
    ("ERROR: [youtube] abc: Private video. Sign in if you've been granted access to this video",
     "This video is private, so it can't be downloaded."),
    ("ERROR: [youtube] abc: Video unavailable. This video has been removed by the uploader",
     "This video was removed."),
    ("ERROR: [youtube] abc: The uploader has not made this video available in your country",
     "This video is geo-blocked where the bot runs."),
    ("ERROR: [youtube] abc: This live event will begin in 3 hours.",
     "This is a live stream; download it once it has ended."),
    ("ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate",
     "This video is age-restricted and needs a signed-in account."),
    ("ERROR: something odd\nwith a second line", "The download failed: something odd"),
])
def test_yt_dlp_errors_become_one_clear_line(error: str, line: str) -> None:
    assert one_line(error) == line


def test_a_live_candidate_is_refused_before_any_request(tmp_path: Path, server: FileServer) -> None:
    services = make_services(tmp_path)
    cid = add_candidate(services, server.link("/media/clip.mp4"))
    with services.db.session() as session:
        session.get_one(Candidate, cid).data = {"live": True}
    with pytest.raises(JobFailed, match="live stream"):
        download_candidate(services, cid, lambda *_: None)
    assert server.requests == []
    services.db.dispose()


def test_every_request_yt_dlp_makes_passes_the_guard(server: FileServer) -> None:
    with GuardedYoutubeDL(ydl_options(), guard=NetGuard(False)) as ydl, \
            pytest.raises(JobFailed, match="private network"):
        ydl.urlopen(server.link("/media/clip.mp4"))
    with GuardedYoutubeDL(ydl_options(), guard=NetGuard(True)) as ydl:
        assert ydl.urlopen(server.link("/media/clip.mp4")).status == 200
    assert server.requests == ["/media/clip.mp4"], "the refused request was never sent"
