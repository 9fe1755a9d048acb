"""Growth, rankings, retention and digests read from stored snapshots, and what they say when
there isn't enough data."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from PIL import Image

from core.analytics import report
from core.analytics.collect import collect_account
from core.analytics.digest import last_occurrence, parse_weekday, weekly
from core.analytics.growth import gain_between
from core.analytics.history import NotEnoughData
from core.analytics.model import Reading
from core.models import MetricSnapshot, Publication, utcnow
from core.services import Services
from tests.support.analytics import (
    Platforms,
    connected_account,
    console_workspace,
    live_short,
    proposal_of,
)

NOW = utcnow()


pytest_plugins = ("tests.support.analytics_fixtures",)


def reading(svc: Services, publication_id: int, hours_ago: float, views: int, **more: int) -> None:
    with svc.db.session() as session:
        session.add(MetricSnapshot(publication_id=publication_id, taken_at=NOW - timedelta(hours=hours_ago),
                                   views=views, data={"slot": f"test:{hours_ago}"}, **more))


def publication(svc: Services, publication_id: int) -> Publication:
    with svc.db.session() as session:
        return session.get_one(Publication, publication_id)


def stats(svc: Services, publication_id: int, days: int = 7) -> report.Report:
    with svc.db.session() as session:
        return report.publication_stats(session, publication(svc, publication_id), days, now=NOW)


def short(stack: Platforms, platform: str = "youtube", remote_id: str = "v1", **kw) -> int:
    workspace_id, _ = console_workspace(stack.svc)
    tokens = stack.youtube.grant() if platform == "youtube" else stack.tiktok.issue_tokens()
    account_id = connected_account(stack.svc, workspace_id, platform, tokens)
    return live_short(stack.svc, account_id, remote_id, **kw)


def test_growth_is_the_difference_between_two_readings_never_a_guess() -> None:
    readings = [Reading(NOW - timedelta(days=9), 100), Reading(NOW - timedelta(days=2), 400),
                Reading(NOW, 1000)]
    gain = gain_between(readings, NOW - timedelta(days=7), NOW)
    assert gain is not None and gain.value == 900 and not gain.partial
    later = gain_between(readings[1:], NOW - timedelta(days=7), NOW)
    assert later is not None and later.value == 600 and later.partial, "counted from the first reading"
    assert gain_between(readings[2:], NOW - timedelta(days=7), NOW) is None, "one reading is no growth"
    assert gain_between([], NOW - timedelta(days=7), NOW) is None


def test_stats_of_a_short_show_what_it_gained_between_readings(svc, stack) -> None:
    pub = short(stack, title="Cold brew in 30 s")
    reading(svc, pub, 24 * 8, 100, likes=3)
    reading(svc, pub, 24, 700, likes=20)
    reading(svc, pub, 1, 1300, likes=41)
    made = stats(svc, pub)
    assert "Cold brew in 30 s: 1,300 views (YouTube 1,300)." in made.text
    assert "+1,200 views in the last 7 days" in made.text
    assert "Likes 41." in made.text
    assert Image.open(io.BytesIO(made.chart)).size == (1080, 1350)


def test_a_short_on_two_platforms_is_one_chart_with_a_line_each(svc, stack) -> None:
    yt = short(stack, "youtube", "yt1", title="Both places")
    workspace_id, _ = console_workspace(svc)
    tiktok_account = connected_account(svc, workspace_id, "tiktok", stack.tiktok.issue_tokens(), name="TT")
    tt = live_short(svc, tiktok_account, "71", title="Both places", proposal_id=proposal_of(svc, yt))
    for pub, views in ((yt, 50), (tt, 500)):
        reading(svc, pub, 30, views)
        reading(svc, pub, 2, views * 3)
    made = stats(svc, tt)
    assert "Both places: 1,650 views (TikTok 1,500 · YouTube 150)." in made.text
    assert "+1,100 views since the first reading" in made.text


def test_no_readings_yet_is_said_plainly(svc, stack) -> None:
    pub = short(stack, title="Brand new")
    with pytest.raises(NotEnoughData, match="No readings of “Brand new” yet"):
        stats(svc, pub)
    with svc.db.session() as session, pytest.raises(NotEnoughData, match="No readings yet"):
        report.workspace_stats(session, publication(svc, pub).workspace_id, 7)


def test_one_reading_gives_the_count_but_no_growth(svc, stack) -> None:
    pub = short(stack, title="Single")
    reading(svc, pub, 1, 42)
    made = stats(svc, pub)
    assert "Single: 42 views" in made.text
    assert "Only one reading so far, so no growth yet" in made.text


def test_top_ranks_measured_growth_and_counts_the_rest(svc, stack, youtube) -> None:
    workspace_id, _ = console_workspace(svc)
    account_id = connected_account(svc, workspace_id, "youtube", stack.youtube.grant())
    slow = live_short(svc, account_id, "a", title="Slow one")
    fast = live_short(svc, account_id, "b", title="Fast one")
    lonely = live_short(svc, account_id, "c", title="One reading")
    reading(svc, slow, 48, 10)
    reading(svc, slow, 1, 20)
    reading(svc, fast, 48, 10)
    reading(svc, fast, 1, 5000)
    reading(svc, lonely, 1, 99)
    with svc.db.session() as session:
        made = report.top(session, workspace_id, 5, 7, now=NOW)
    lines = made.text.splitlines()
    assert lines[0] == "Top 2 shorts · the last 7 days (views gained):"
    assert lines[1] == "1. Fast one — +4,990 on YouTube" and lines[2] == "2. Slow one — +10 on YouTube"
    assert "1 other short(s) don't have two readings" in made.text


def test_top_with_nothing_measured_says_why(svc, stack) -> None:
    pub = short(stack)
    reading(svc, pub, 1, 5)
    with svc.db.session() as session, pytest.raises(NotEnoughData, match="no growth to rank"):
        report.top(session, publication(svc, pub).workspace_id, 5, 7, now=NOW)


def test_retention_is_drawn_from_the_curve_youtube_returned(svc, youtube, stack) -> None:
    youtube.add_short("ret", views=5000)
    pub = short(stack, remote_id="ret", title="Hook test", render_seconds=40)
    collect_account(svc, publication(svc, pub).account_id, slot="job:1")
    with svc.db.session() as session:
        made = report.retention(session, publication(svc, pub))
    assert "viewers watch" in made.text
    assert "Most viewers leave at 0:25 (62% in): −14 points." in made.text
    assert made.chart[:4] == b"\x89PNG"


def test_retention_below_youtubes_threshold_has_no_chart_and_says_so(svc, youtube, stack) -> None:
    youtube.retention_threshold = 10_000
    youtube.add_short("few", views=30)
    pub = short(stack, remote_id="few", title="Few viewers")
    collect_account(svc, publication(svc, pub).account_id, slot="job:1")
    expected = "No retention curve for “Few viewers”"
    with svc.db.session() as session, pytest.raises(NotEnoughData, match=expected):
        report.retention(session, publication(svc, pub))


def test_tiktok_has_no_retention_curve(svc, stack) -> None:
    pub = short(stack, "tiktok", "7001", title="On TikTok")
    with svc.db.session() as session, pytest.raises(NotEnoughData, match="TikTok, which doesn't share one"):
        report.retention(session, publication(svc, pub))


def test_the_weekly_digest_compares_with_the_week_before(svc, stack, youtube) -> None:
    workspace_id, _ = console_workspace(svc)
    account_id = connected_account(svc, workspace_id, "youtube", stack.youtube.grant())
    best = live_short(svc, account_id, "a", title="Winner")
    worst = live_short(svc, account_id, "b", title="Quiet")
    for pub, views in ((best, (0, 100, 1100)), (worst, (0, 50, 60))):
        for days_ago, value in zip((14, 7, 0), views, strict=True):
            reading(svc, pub, days_ago * 24 + 0.5, value)
    with svc.db.session() as session:
        made = weekly(session, workspace_id, NOW)
    assert "Views: +1,010 (▲ 573% vs the week before)" in made.text
    assert "Best: Winner (+1,000 views)" in made.text and "Slowest: Quiet (+10 views)" in made.text


def test_digest_times_follow_the_weekday_and_hour_asked() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 11, 24, 12, 0, tzinfo=ZoneInfo("UTC"))
    assert last_occurrence(parse_weekday("mon"), 9, tz, now) == datetime(2026, 11, 23, 9, 0, tzinfo=tz)
    assert last_occurrence(parse_weekday("Tuesday"), 14, tz, now) == datetime(2026, 11, 17, 14, 0, tzinfo=tz)
    with pytest.raises(ValueError):
        parse_weekday("someday")
