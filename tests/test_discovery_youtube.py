"""Discovery against a fake YouTube Data API, through the real google-api-python-client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import quota
from core.discovery.scan import scan_watches
from core.invoke import run_text
from core.models import Account, Candidate, CandidateStat, OutboxEvent, QuotaUsage, RightsBasis
from core.services import Services
from tests.fakes.youtube_api import FakeYouTube
from tests.support.discovery import caller, watch, workspace, youtube_services


@pytest.fixture
def fake() -> Iterator[FakeYouTube]:
    with FakeYouTube() as server:
        yield server


@pytest.fixture
def yt(tmp_path: Path, fake: FakeYouTube) -> Iterator[Services]:
    services = youtube_services(tmp_path, fake)
    yield services
    services.db.dispose()


def units_recorded(services: Services, bucket: str = quota.YOUTUBE) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.coalesce(func.sum(QuotaUsage.units), 0))
                              .where(QuotaUsage.bucket == bucket))


def test_a_channel_scan_finds_scores_and_records_licences_with_exact_quota(yt: Services, fake) -> None:
    channel = fake.add_channel("Cooking", videos=4, views=1000)
    star = fake.add_video(channel, "Five times the usual", views=5000, likes=600, comments=40,
                          license="creativeCommon")
    ws = workspace(yt)
    wid = watch(yt, ws, "youtube-channel", channel.id)

    report = scan_watches(yt, ws, [wid])

    assert (report.videos, report.new, report.errors) == (5, 5, {})
    assert dict(fake.calls) == {"channels": 1, "playlistItems": 1, "videos": 1}
    assert units_recorded(yt) == fake.units == 3
    with yt.db.session() as session:
        best = session.scalar(select(Candidate).order_by(Candidate.score.desc()).limit(1))
        assert best.external_id == star.id and best.license == "creativeCommon"
        assert best.rights_basis == RightsBasis.creative_commons
        assert best.data["outlier"] == pytest.approx(5.0)
        others = session.scalars(select(Candidate).where(Candidate.id != best.id)).all()
        assert {c.rights_basis for c in others} == {RightsBasis.none}
        assert all(best.score > c.score for c in others)
        posted = session.scalars(select(OutboxEvent)).all()
    assert len(posted) == 5 and "Render this" in str(posted[0].payload["choices"])
    assert "/attest" in posted[-1].payload["text"], "a video without rights gets the attest hint"


def test_a_second_scan_merges_duplicates_and_measures_velocity(yt: Services, fake) -> None:
    channel = fake.add_channel("Gaming", videos=3)
    ws = workspace(yt)
    wid = watch(yt, ws, "youtube-channel", channel.id)
    scan_watches(yt, ws, [wid])
    with yt.db.session() as session:
        for stat in session.scalars(select(CandidateStat)):
            stat.taken_at -= timedelta(hours=1)
    fake.videos[channel.uploads[0]].views += 3600

    again = scan_watches(yt, ws, [wid])

    assert (again.videos, again.new) == (3, 0)
    assert fake.calls["channels"] == 1, "the uploads playlist is remembered"
    with yt.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 3
        assert session.scalar(select(func.count()).select_from(CandidateStat)) == 6
        hot = session.scalar(select(Candidate).where(Candidate.external_id == channel.uploads[0]))
    assert hot.data["velocity_measured"] is True
    assert hot.data["velocity"] == pytest.approx(3600, rel=0.01)


def test_a_connected_channel_is_owned(yt: Services, fake) -> None:
    channel = fake.add_channel("Mine", videos=2)
    ws = workspace(yt)
    with yt.db.session() as session:
        session.add(Account(workspace_id=ws, platform="youtube", external_id=channel.id, name="Mine"))
    scan_watches(yt, ws, [watch(yt, ws, "youtube-channel", channel.id)])
    with yt.db.session() as session:
        assert set(session.scalars(select(Candidate.rights_basis))) == {RightsBasis.owned}


def test_one_unknown_channel_does_not_fail_the_others(yt: Services, fake) -> None:
    good = fake.add_channel("Good", videos=2)
    ws = workspace(yt)
    ok = watch(yt, ws, "youtube-channel", good.id)
    bad = watch(yt, ws, "youtube-channel", "UC" + "x" * 22)
    report = scan_watches(yt, ws, [ok, bad])
    assert report.videos == 2 and set(report.errors) == {bad}
    assert "no channel" in report.errors[bad]


def test_a_handle_is_resolved_once(yt: Services, fake) -> None:
    fake.add_channel("Handled", handle="@handled", videos=2)
    ws = workspace(yt)
    wid = watch(yt, ws, "youtube-channel", "@handled")
    scan_watches(yt, ws, [wid])
    scan_watches(yt, ws, [wid])
    assert fake.calls["channels"] == 1


def test_a_cached_trending_chart_costs_no_units(yt: Services, fake) -> None:
    channel = fake.add_channel("Charts")
    hits = [fake.add_video(channel, f"Hit {i}", views=10_000 * (i + 1), license="creativeCommon")
            for i in range(3)]
    fake.trending[("US", "")] = [v.id for v in hits]
    first = run_text(yt, caller(), "/trending US")
    assert "Trending in US" in first.text and "Hit 2" in first.text
    assert units_recorded(yt) == 1
    second = run_text(yt, caller(), "/trending us cc-only")
    assert not second.error and units_recorded(yt) == 1 and fake.units == 1
    assert second.choices and second.choices[0].command.startswith("/render ")


def test_quota_exceeded_stops_calls_and_says_when_scans_resume(tmp_path: Path) -> None:
    with FakeYouTube(quota_limit=2) as fake:
        services = youtube_services(tmp_path, fake)
        channels = [fake.add_channel(f"C{i}", videos=2) for i in range(3)]
        ws = workspace(services)
        ids = [watch(services, ws, "youtube-channel", c.id) for c in channels]
        report = scan_watches(services, ws, ids)
        assert report.errors and any("resume" in e for e in report.errors.values())
        calls = sum(fake.calls.values())
        again = scan_watches(services, ws, ids)
        assert sum(fake.calls.values()) == calls, "no call is made while the quota is exhausted"
        assert all("scans resume at" in e for e in again.errors.values())
        with services.db.session() as session:
            notices = [e.payload["text"] for e in session.scalars(select(OutboxEvent))]
        assert sum("quota is used up" in n for n in notices) == len(ids), "each watch told once"
        services.db.dispose()


def test_search_states_its_cost_and_refuses_past_the_budget(yt: Services, fake) -> None:
    channel = fake.add_channel("Recipes")
    fake.add_video(channel, "Pasta hacks", views=9000)
    ws_caller = caller()
    run_text(yt, ws_caller, "/settings search_budget 1")
    reply = run_text(yt, ws_caller, '/search "pasta hacks"')
    assert "Pasta hacks" in reply.text and "Cost: 1 search call; 0 of 1 left today" in reply.text
    refused = run_text(yt, ws_caller, "/search soup")
    assert refused.error and "spent 1 of its 1 youtube-search" in refused.text
    assert fake.search_calls == 1


def test_trending_without_an_api_key_says_what_to_set(tmp_path: Path, fake) -> None:
    services = youtube_services(tmp_path, fake, youtube_api_key="")
    reply = run_text(services, caller(), "/trending")
    assert reply.error and "YOUTUBE_API_KEY" in reply.text
    services.db.dispose()


def test_published_dates_and_durations_are_read(yt: Services, fake) -> None:
    channel = fake.add_channel("Long")
    fake.add_video(channel, "Long one", duration="PT1H2M3S",
                   published_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    ws = workspace(yt)
    scan_watches(yt, ws, [watch(yt, ws, "youtube-channel", channel.id)])
    with yt.db.session() as session:
        found = session.scalar(select(Candidate))
    assert found.duration_s == 3723 and found.published_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.postgres
def test_scans_merge_and_count_quota_on_postgresql(tmp_path: Path, fake, postgres_url: str) -> None:
    services = youtube_services(tmp_path, fake, database_url=postgres_url)
    channels = [fake.add_channel(f"PG {i}", videos=3) for i in range(3)]
    ws = workspace(services)
    ids = [watch(services, ws, "youtube-channel", c.id) for c in channels]
    first = scan_watches(services, ws, ids)
    again = scan_watches(services, ws, ids)
    assert (first.new, again.new, again.videos) == (9, 0, 9)
    assert units_recorded(services) == fake.units
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(CandidateStat)) == 18
    services.db.dispose()


def test_without_an_api_key_a_connected_account_reads_for_the_workspace(tmp_path: Path, fake) -> None:
    from core.publish import tokens

    services = youtube_services(tmp_path, fake, youtube_api_key="")
    channel = fake.add_channel("Charts")
    fake.trending[("US", "")] = [fake.add_video(channel, "Hit by token", views=5000).id]
    fake.access_tokens.add("token-of-mine")
    run_text(services, caller(), "/help")
    with services.db.session() as session:
        account = Account(workspace_id=1, platform="youtube", external_id="UCmine", name="Mine")
        session.add(account)
        tokens.store_tokens(session, account, {"access_token": "token-of-mine", "expires_in": 3600,
                                               "refresh_token": "r"}, settings=services.settings)
    reply = run_text(services, caller(), "/trending")
    assert not reply.error and "Hit by token" in reply.text
    assert units_recorded(services) == 1
    services.db.dispose()
