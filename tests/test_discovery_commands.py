"""Discovery from the chat: watches and scans through the console, attestation, finds as cards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core import scheduler
from core.discovery.scan import scan_watches
from core.invoke import run_text
from core.models import AuditEntry, Candidate, OutboxEvent, RightsBasis
from tests.conftest import ThreadWorker
from tests.fakes.youtube_api import FakeYouTube
from tests.support.console import run_script
from tests.support.discovery import caller, watch, workspace, youtube_services


@pytest.fixture(autouse=True)
def _no_scheduler_left_behind() -> Iterator[None]:
    yield
    scheduler.shutdown_writers()


@pytest.fixture
def fake() -> Iterator[FakeYouTube]:
    with FakeYouTube() as server:
        yield server


def test_a_watch_added_in_chat_scans_and_posts_its_finds(tmp_path: Path, fake: FakeYouTube) -> None:
    channel = fake.add_channel("Bakery", handle="@bakery", videos=2, license="creativeCommon")
    services = youtube_services(tmp_path, fake)
    with ThreadWorker(services):
        out = run_script(services, ["/watch add @bakery every=12h", "/scan 1", "/watch list"])
    assert "Watch #1: YouTube channel @bakery, every 12h00m" in out
    assert "Scanned 1 watch: 2 videos, 2 new, 2 posted." in out
    assert "New from watch #1 (@bakery):" in out and "Bakery video 0" in out
    assert "(/render " in out, "a Creative Commons find offers a render"
    assert "last scan" in out and channel.id not in out
    services.db.dispose()


def test_only_editors_manage_watches(tmp_path: Path, fake: FakeYouTube) -> None:
    services = youtube_services(tmp_path, fake)
    run_text(services, caller(), "/help")
    reply = run_text(services, caller("viewer", admin=False), "/watch add @someone")
    assert reply.error and "Only editors and owners can run /watch" in reply.text
    services.db.dispose()


@pytest.mark.parametrize(("line", "message"), [
    ("/watch add @xyz every=5m", "at most every 15 minutes"),
    ("/watch add @xyz every=often", "every= takes a number and m, h or d"),
    ('/watch add @xyz cron="99 * * * *"', "cron= takes five fields"),
    ("/watch add nonsense", "I can't tell what 'nonsense' is"),
    ("/watch pause 42", "There is no watch #42 here"),
    ("/scan", "There is nothing to scan"),
])
def test_watch_mistakes_get_clear_answers(tmp_path: Path, fake: FakeYouTube, line: str, message: str) -> None:
    services = youtube_services(tmp_path, fake)
    reply = run_text(services, caller(), line)
    assert reply.error and message in reply.text
    services.db.dispose()


def test_an_editor_attests_a_licence_and_it_is_audited(tmp_path: Path, fake: FakeYouTube) -> None:
    channel = fake.add_channel("Someone else", videos=1)
    services = youtube_services(tmp_path, fake)
    owner = caller()
    run_text(services, owner, "/help")
    with services.db.session() as session:
        ws = session.scalar(select(Candidate.workspace_id)) or 1
    scan_watches(services, ws, [watch(services, ws, "youtube-channel", channel.id)])
    with services.db.session() as session:
        cid = session.scalar(select(Candidate.id))
    assert run_text(services, owner, f"/download {cid}").error, "no rights, no download"
    viewer = run_text(services, caller("viewer", admin=False), f'/attest {cid} "Jane"')
    assert viewer.error
    reply = run_text(services, owner, f'/attest {cid} "Jane Doe, email of 3 May"')
    assert "granted by Jane Doe, email of 3 May" in reply.text
    with services.db.session() as session:
        candidate = session.get_one(Candidate, cid)
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "rights.attest"))
    assert candidate.rights_basis == RightsBasis.licensed and candidate.data["attested_by"]
    assert entry.subject == f"candidate:{cid}" and entry.detail["granted_by"] == "Jane Doe, email of 3 May"
    scan_watches(services, ws, [1])
    with services.db.session() as session:
        assert session.get_one(Candidate, cid).rights_basis == RightsBasis.licensed, "a rescan keeps it"
    services.db.dispose()


def test_a_card_carries_the_thumbnail_when_it_can_be_fetched(tmp_path: Path, fake: FakeYouTube) -> None:
    fake.thumbnails = fake.url
    channel = fake.add_channel("Pictures", videos=1, license="creativeCommon")
    services = youtube_services(tmp_path, fake, download_allow_private=True)
    ws = workspace(services)
    scan_watches(services, ws, [watch(services, ws, "youtube-channel", channel.id)])
    with services.db.session() as session:
        event = session.scalar(select(OutboxEvent))
    [attachment] = event.payload["attachments"]
    assert attachment["kind"] == "image" and Path(attachment["path"]).read_bytes().startswith(b"\x89PNG")
    services.db.dispose()


def test_cc_only_and_min_score_filter_what_a_watch_posts(tmp_path: Path, fake: FakeYouTube) -> None:
    channel = fake.add_channel("Mixed", videos=3)
    fake.add_video(channel, "Free to use", license="creativeCommon")
    services = youtube_services(tmp_path, fake)
    ws = workspace(services)
    cc = watch(services, ws, "youtube-channel", channel.id, cc_only=True)
    picky = watch(services, ws, "youtube-channel", channel.id, min_score=101)
    report = scan_watches(services, ws, [cc, picky])
    assert report.posted == 1
    with services.db.session() as session:
        [event] = session.scalars(select(OutboxEvent)).all()
    assert "Free to use" in event.payload["text"]
    services.db.dispose()
