"""Pages yt-dlp understands (here an RSS feed on a local server) as a watch source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import upgrade
from core.discovery.model import YTDLP, parse_source
from core.discovery.scan import scan_watches
from core.models import Candidate
from core.services import Services
from tests.conftest import make_settings
from tests.fakes.file_server import FileServer
from tests.support.discovery import watch, workspace
from tests.support.media import video
from workers.bootstrap import build_services
from workers.local import LocalDispatcher


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[FileServer]:
    clip = video(tmp_path / "clip.mp4", seconds=1, size="160x120").read_bytes()
    with FileServer() as server:
        items = ""
        for name in ("first", "second"):
            url = server.add(f"/media/{name}.mp4", clip, "video/mp4")
            items += (f"<item><title>The {name} clip</title><link>{url}</link>"
                      f"<pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>")
        feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Clips</title>{items}</channel></rss>'
        server.add("/feed.xml", feed.encode(), "application/rss+xml")
        yield server


def page_services(tmp_path: Path, **overrides: object) -> Services:
    settings = make_settings(tmp_path, **{"ytdlp_min_interval_seconds": 0, **overrides})
    upgrade(settings)
    return build_services(settings, LocalDispatcher())


def test_a_feed_is_listed_and_each_video_becomes_a_candidate(tmp_path: Path, feed_server: FileServer) -> None:
    services = page_services(tmp_path, download_allow_private=True)
    spec = parse_source(feed_server.link("/feed.xml"))
    assert spec.kind == YTDLP
    ws = workspace(services)
    report = scan_watches(services, ws, [watch(services, ws, spec.kind, spec.ref)])
    assert report.errors == {} and report.videos == 2
    with services.db.session() as session:
        found = session.scalars(select(Candidate).order_by(Candidate.id)).all()
    assert [c.url.rsplit("/", 1)[-1] for c in found] == ["first.mp4", "second.mp4"]
    assert {c.rights_basis for c in found} == {"none"}
    assert all(c.local_path is None for c in found), "listing downloads nothing"
    services.db.dispose()


def test_a_page_on_a_private_address_is_refused(tmp_path: Path, feed_server: FileServer) -> None:
    services = page_services(tmp_path)
    ws = workspace(services)
    wid = watch(services, ws, YTDLP, feed_server.link("/feed.xml"))
    report = scan_watches(services, ws, [wid])
    assert "private network" in report.errors[wid]
    assert feed_server.requests == []
    services.db.dispose()


def test_a_page_without_videos_is_a_problem_on_its_watch_only(tmp_path: Path,
                                                               feed_server: FileServer) -> None:
    services = page_services(tmp_path, download_allow_private=True)
    feed_server.add("/blog.html", b"<html><body>words only</body></html>", "text/html")
    ws = workspace(services)
    bad = watch(services, ws, YTDLP, feed_server.link("/blog.html"))
    good = watch(services, ws, YTDLP, feed_server.link("/feed.xml"))
    report = scan_watches(services, ws, [bad, good])
    assert set(report.errors) == {bad} and report.videos == 2
    services.db.dispose()


@pytest.mark.parametrize(("text", "kind", "ref"), [
    ("@cooking", "youtube-channel", "@cooking"),
    ("https://www.youtube.com/@cooking", "youtube-channel", "@cooking"),
    ("https://youtube.com/channel/UCabcdefghijklmnopqrstuv", "youtube-channel", "UCabcdefghijklmnopqrstuv"),
    ("trending:gb:20", "youtube-trending", "GB:20"),
    ("search:one pot pasta", "youtube-search", "one pot pasta"),
    ("https://www.tiktok.com/@someone", "ytdlp", "https://www.tiktok.com/@someone"),
])
def test_sources_are_recognised(text: str, kind: str, ref: str) -> None:
    spec = parse_source(text)
    assert (spec.kind, spec.ref) == (kind, ref)
