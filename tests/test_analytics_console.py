"""Analytics from the console end to end: collections run by a real worker, then the commands."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from core.invoke import run_text
from core.models import Subscription
from tests.conftest import ThreadWorker
from tests.support.analytics import (
    CONSOLE,
    Platforms,
    connected_account,
    console_workspace,
    live_short,
    platforms,
)
from tests.support.console import run_script


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Platforms]:
    with platforms(tmp_path) as made, ThreadWorker(made.svc):
        yield made


def image_paths(output: str) -> list[Path]:
    lines = [line.strip() for line in output.splitlines()]
    return [Path(line.split("] ", 1)[1]) for line in lines if line.startswith("[image]")]


def test_stats_after_two_collections_shows_the_growth_between_them(stack: Platforms) -> None:
    workspace_id, member_id = console_workspace(stack.svc)
    youtube = connected_account(stack.svc, workspace_id, "youtube", stack.youtube.grant(),
                                member_id=member_id)
    tiktok = connected_account(stack.svc, workspace_id, "tiktok", stack.tiktok.issue_tokens(),
                               member_id=member_id, name="TT")
    stack.youtube.add_short("clip1", views=120, likes=4)
    stack.tiktok.add_short("7100", view_count=900, share_count=3)
    pub = live_short(stack.svc, youtube, "clip1", title="Cold brew in 30 s")
    live_short(stack.svc, tiktok, "7100", title="Desk tour")

    first = run_script(stack.svc, ["/collect", f"/stats {pub}"])
    stack.youtube.shorts["clip1"].views = 480
    stack.tiktok.shorts["7100"].view_count = 1000
    second = run_script(stack.svc, ["/collect", f"/stats {pub}", "/stats", "/top 3"])

    assert "Collected YouTube metrics for 1 short(s)" in first
    assert "Collected TikTok metrics for 1 short(s)" in first
    assert "Only one reading so far, so no growth yet" in first
    assert "Cold brew in 30 s: 480 views (YouTube 480)." in second
    assert "+360 views since the first reading" in second
    assert "All shorts: 1,480 views (TikTok 1,000 · YouTube 480)." in second
    assert "1. Cold brew in 30 s — +360 on YouTube" in second and "2. Desk tour — +100 on TikTok" in second
    charts = image_paths(second)
    assert len(charts) == 3
    for chart in charts:
        assert chart.is_file() and chart.parent.name == "charts"
        assert Image.open(chart).size == (1080, 1350)


def test_retention_and_the_not_enough_data_answers(stack: Platforms) -> None:
    workspace_id, _ = console_workspace(stack.svc)
    account = connected_account(stack.svc, workspace_id, "youtube", stack.youtube.grant())
    stack.youtube.add_short("big", views=5000)
    stack.youtube.add_short("tiny", views=3)
    big = live_short(stack.svc, account, "big", title="Big one", render_seconds=30)
    tiny = live_short(stack.svc, account, "tiny", title="Tiny one")

    before = run_script(stack.svc, ["/stats", f"/retention {big}"])
    after = run_script(stack.svc, ["/collect", f"/retention {big}", f"/retention {tiny}", "/top"])

    assert "No readings yet" in before and "No retention curve for “Big one” yet" in before
    assert "Retention of “Big one”" in after and "Most viewers leave at 0:19 (62% in)" in after
    assert "No retention curve for “Tiny one” yet" in after
    assert "no growth to rank" in after
    assert len(image_paths(after)) == 1


def test_digest_is_switched_on_and_off_for_this_chat(stack: Platforms) -> None:
    out = run_script(stack.svc, ["/digest", "/digest on fri 17", "/digest", "/digest off",
                                 "/digest on someday"])
    assert "The weekly digest is off in this chat." in out
    assert "every Friday at 17:00" in out
    assert "The weekly digest is posted here every Friday at 17:00." in out
    assert "The weekly digest is off for this chat." in out
    assert "'someday' is not a weekday" in out
    with stack.svc.db.session() as session:
        (subscription,) = session.scalars(select(Subscription)).all()
    assert subscription.kind == "digest" and not subscription.enabled
    assert (subscription.reply_front, subscription.reply_chat) == ("console", "local")
    assert subscription.spec == {"weekday": 4, "hour": 17}


def test_a_viewer_can_read_stats_but_cannot_switch_the_digest(stack: Platforms) -> None:
    viewer = replace(CONSOLE, user_ref="vera", user_name="vera", platform_admin=False)
    assert "No readings yet" in run_text(stack.svc, viewer, "/stats 28d").text
    refused = run_text(stack.svc, viewer, "/digest on")
    assert refused.error and "Only editors and owners can switch the digest on or off." in refused.text
