"""Collecting metrics through the real Google client and httpx against local fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import quota
from core.analytics.collect import ANALYTICS_BUCKET, collect_account
from core.jobs import JobFailed
from core.models import Account, MetricSnapshot, OutboxEvent, QuotaUsage, Workspace, utcnow
from core.services import Services
from tests.support.analytics import connected_account, console_workspace, live_short

pytest_plugins = ("tests.support.analytics_fixtures",)


def snapshots(svc: Services) -> list[MetricSnapshot]:
    with svc.db.session() as session:
        return list(session.scalars(select(MetricSnapshot).order_by(MetricSnapshot.id)))


def units(svc: Services, bucket: str) -> int:
    with svc.db.session() as session:
        return sum(session.scalars(select(QuotaUsage.units).where(QuotaUsage.bucket == bucket)))


def test_youtube_readings_become_snapshots_in_batches_of_fifty(svc, youtube) -> None:
    workspace_id, member_id = console_workspace(svc)
    account_id = connected_account(svc, workspace_id, "youtube", youtube.grant(), member_id=member_id)
    three_days_ago = (utcnow() - timedelta(days=3)).date()
    for n in range(51):
        youtube.add_short(f"yt{n:03d}", views=500 + n, likes=n, comments=1, published=three_days_ago)
        live_short(svc, account_id, f"yt{n:03d}", age=timedelta(days=3))

    outcome = collect_account(svc, account_id, slot="job:1")

    assert outcome.recorded == 51
    assert youtube.id_batches == [50, 1]
    rows = snapshots(svc)
    assert [r.views for r in rows] == [500 + n for n in range(51)]
    first = rows[0]
    assert first.likes == 0 and first.comments == 1
    assert first.minutes_watched and first.minutes_watched > 0
    assert first.avg_view_duration_s == pytest.approx(27.0)
    assert len(first.data["retention"]) == 100 and first.data["daily"]
    assert units(svc, quota.YOUTUBE) == 2, "one Data API unit per videos.list call"
    assert units(svc, ANALYTICS_BUCKET) == 102, "daily metrics and the retention curve per video"


def test_a_collection_run_twice_for_the_same_slot_stores_nothing_new(svc, youtube) -> None:
    workspace_id, _ = console_workspace(svc)
    account_id = connected_account(svc, workspace_id, "youtube", youtube.grant())
    youtube.add_short("once", views=300)
    live_short(svc, account_id, "once")
    collect_account(svc, account_id, slot="job:7")
    again = collect_account(svc, account_id, slot="job:7")
    assert again.recorded == 0
    assert len(snapshots(svc)) == 1


def test_older_shorts_get_analytics_once_a_day_but_counts_every_time(svc, youtube) -> None:
    workspace_id, _ = console_workspace(svc)
    account_id = connected_account(svc, workspace_id, "youtube", youtube.grant())
    youtube.add_short("old", views=900)
    live_short(svc, account_id, "old", age=timedelta(days=10))
    collect_account(svc, account_id, slot="job:1")
    collect_account(svc, account_id, slot="job:2")
    first, second = snapshots(svc)
    assert first.data["analytics"] and not second.data["analytics"]
    assert second.views == 900
    assert youtube.calls["reports"] == 2


def test_tiktok_counts_are_queried_twenty_ids_at_a_time(svc, tiktok) -> None:
    workspace_id, _ = console_workspace(svc)
    account_id = connected_account(svc, workspace_id, "tiktok", tiktok.issue_tokens())
    for n in range(45):
        tiktok.add_short(f"7{n:018d}", view_count=1000 + n, like_count=5, comment_count=2, share_count=n)
        live_short(svc, account_id, f"7{n:018d}")
    outcome = collect_account(svc, account_id, slot="job:1")
    assert outcome.recorded == 45
    assert tiktok.id_batches == [20, 20, 5]
    rows = snapshots(svc)
    assert rows[-1].views == 1044 and rows[-1].shares == 44 and rows[-1].likes == 5


def test_a_short_the_platform_no_longer_returns_is_named_not_invented(svc, youtube) -> None:
    workspace_id, _ = console_workspace(svc)
    account_id = connected_account(svc, workspace_id, "youtube", youtube.grant())
    youtube.add_short("here", views=10)
    live_short(svc, account_id, "here", title="Still here")
    live_short(svc, account_id, "gone", title="Deleted one")
    outcome = collect_account(svc, account_id, slot="job:1")
    assert outcome.recorded == 1 and outcome.missing == ["Deleted one"]
    assert "did not return 1 (deleted or made private?): Deleted one" in outcome.summary()
    assert len(snapshots(svc)) == 1


def test_a_token_the_platform_refuses_marks_the_account_and_tells_its_owner(svc, stack, youtube) -> None:
    workspace_id, member_id = console_workspace(svc)
    account_id = connected_account(svc, workspace_id, "youtube", youtube.grant(), member_id=member_id)
    stack.oauth.revoke_all()
    youtube.add_short("v1", views=10)
    live_short(svc, account_id, "v1")
    refused = "YouTube refused the token.*reconnect the account with /connect youtube"
    with pytest.raises(JobFailed, match=refused):
        collect_account(svc, account_id, slot="job:1")
    with svc.db.session() as session:
        account = session.get_one(Account, account_id)
        dms = session.scalars(select(OutboxEvent).where(OutboxEvent.kind == "direct")).all()
    assert not account.healthy and "refused the token" in account.health_note
    assert len(dms) == 1 and "reconnect" in dms[0].payload["text"]
    assert snapshots(svc) == []
    with pytest.raises(JobFailed, match="needs reconnecting"):
        collect_account(svc, account_id, slot="job:2")


def test_an_expired_access_token_is_refreshed_before_reading(svc, youtube) -> None:
    workspace_id, _ = console_workspace(svc)
    account_id = connected_account(svc, workspace_id, "youtube", {**youtube.grant(), "expires_in": 10})
    youtube.add_short("fresh", views=64)
    live_short(svc, account_id, "fresh")
    assert collect_account(svc, account_id, slot="job:1").recorded == 1
    with svc.db.session() as session:
        assert session.get_one(Account, account_id).healthy


def test_a_refused_refresh_marks_the_account_and_fails_the_job(svc, stack, youtube) -> None:
    workspace_id, _ = console_workspace(svc)
    account_id = connected_account(svc, workspace_id, "youtube", {**youtube.grant(), "expires_in": 10})
    stack.oauth.revoke_all()
    live_short(svc, account_id, "any")
    with pytest.raises(JobFailed, match="reconnect"):
        collect_account(svc, account_id, slot="job:1")
    with svc.db.session() as session:
        assert not session.get_one(Account, account_id).healthy
    assert snapshots(svc) == []


def test_tiktok_token_refusal_marks_the_account_too(svc, tiktok) -> None:
    workspace_id, _ = console_workspace(svc)
    account_id = connected_account(svc, workspace_id, "tiktok", tiktok.issue_tokens())
    tiktok.revoke_all()
    tiktok.add_short("71", view_count=3)
    live_short(svc, account_id, "71")
    with pytest.raises(JobFailed, match="TikTok refused the token"):
        collect_account(svc, account_id, slot="job:1")
    with svc.db.session() as session:
        assert not session.get_one(Account, account_id).healthy


def test_the_workspace_budget_stops_readings_before_the_call_is_made(svc, youtube) -> None:
    workspace_id, _ = console_workspace(svc)
    with svc.db.session() as session:
        session.get_one(Workspace, workspace_id).settings = {"quota_budget": 1}
    account_id = connected_account(svc, workspace_id, "youtube", youtube.grant())
    for n in range(60):
        youtube.add_short(f"b{n:02d}", views=n)
        live_short(svc, account_id, f"b{n:02d}", age=timedelta(days=5))
    outcome = collect_account(svc, account_id, slot="job:1")
    assert youtube.id_batches == [50], "the second batch was refused by our budget before any call"
    assert outcome.recorded == 50, "what was read before the budget ran out is kept"
    assert any("has spent 1 of its 1 youtube units" in note for note in outcome.notes)
    assert units(svc, quota.YOUTUBE) == 1
    assert outcome.missing == [] and "10 short(s) were not read this time" in outcome.summary()


def test_quota_exceeded_from_google_blocks_the_bucket_until_the_reset(svc, youtube) -> None:
    youtube.quota_limit = 0
    workspace_id, _ = console_workspace(svc)
    account_id = connected_account(svc, workspace_id, "youtube", youtube.grant())
    youtube.add_short("q", views=5)
    live_short(svc, account_id, "q")
    outcome = collect_account(svc, account_id, slot="job:1")
    assert outcome.recorded == 0
    assert any("quota is used up; readings resume" in note for note in outcome.notes)
    with svc.db.session() as session:
        assert quota.exhausted_until(session, quota.YOUTUBE) is not None


def test_below_the_retention_threshold_the_snapshot_has_no_curve_and_says_why(svc, youtube) -> None:
    youtube.retention_threshold = 1000
    workspace_id, _ = console_workspace(svc)
    account_id = connected_account(svc, workspace_id, "youtube", youtube.grant())
    youtube.add_short("small", views=40)
    live_short(svc, account_id, "small")
    outcome = collect_account(svc, account_id, slot="job:1")
    (row,) = snapshots(svc)
    assert row.views == 40 and row.data["retention"] == []
    assert any("No retention curve yet" in note for note in outcome.notes)
