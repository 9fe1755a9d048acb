"""Due collections and due digests: enqueued once per slot, run by a real worker, posted to the chat."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from core import scheduler
from core.analytics.schedule import collect_due_accounts, post_due_digests
from core.commands.registry import load_commands
from core.models import Account, Job, JobState, MetricSnapshot, OutboxEvent, Subscription, utcnow
from core.services import Services
from tests.conftest import ThreadWorker
from tests.support.analytics import connected_account, console_workspace, live_short

pytest_plugins = ("tests.support.analytics_fixtures",)


def wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def job_keys(svc: Services) -> list[str]:
    with svc.db.session() as session:
        return [key for key in session.scalars(select(Job.idempotency_key).order_by(Job.id)) if key]


def test_young_shorts_are_read_hourly_and_older_ones_daily(svc, stack, youtube) -> None:
    workspace_id, _ = console_workspace(svc)
    young = connected_account(svc, workspace_id, "youtube", youtube.grant(), name="Young")
    old = connected_account(svc, workspace_id, "tiktok", stack.tiktok.issue_tokens(), name="Old")
    live_short(svc, young, "y1", age=timedelta(hours=2))
    live_short(svc, old, "o1", age=timedelta(days=9))
    now = utcnow().replace(hour=1, minute=1, second=0, microsecond=0)

    first = collect_due_accounts(svc, now)
    again = collect_due_accounts(svc, now + timedelta(minutes=5))
    next_hour = collect_due_accounts(svc, now + timedelta(hours=1))

    assert {job.payload["account_id"] for job in first} == {young, old}
    assert all(job.queue == "io" and job.kind == "collect" for job in first)
    assert again == [], "the same slot is never enqueued twice"
    assert [job.payload["account_id"] for job in next_hour] == [young]
    hourly = [k for k in job_keys(svc) if k.startswith(f"collect:{young}:3600:")]
    daily = [k for k in job_keys(svc) if k.startswith(f"collect:{old}:86400:")]
    assert len(hourly) == 2 and len(daily) == 1


def test_unhealthy_accounts_and_unpublished_work_are_not_collected(svc, youtube) -> None:
    workspace_id, _ = console_workspace(svc)
    account = connected_account(svc, workspace_id, "youtube", youtube.grant())
    live_short(svc, account, "v1")
    with svc.db.session() as session:
        session.get_one(Account, account).healthy = False
    assert collect_due_accounts(svc) == []


def test_a_scheduled_collection_runs_on_a_worker_and_stores_readings(svc, youtube) -> None:
    youtube.add_short("v1", views=77)
    workspace_id, _ = console_workspace(svc)
    live_short(svc, connected_account(svc, workspace_id, "youtube", youtube.grant()), "v1")
    with ThreadWorker(svc):
        (job,) = collect_due_accounts(svc)
        assert wait_for(lambda: _state(svc, job.id) == JobState.succeeded)
    with svc.db.session() as session:
        (snapshot,) = session.scalars(select(MetricSnapshot)).all()
    assert snapshot.views == 77


def test_the_scheduler_runs_the_collection_check(svc, youtube) -> None:
    load_commands()
    workspace_id, _ = console_workspace(svc)
    live_short(svc, connected_account(svc, workspace_id, "youtube", youtube.grant()), "v1")
    runner = scheduler.Scheduler(svc, holder="analytics-test")
    runner.start()
    try:
        scheduler.writer(svc).modify_job("analytics:collect", next_run_time=utcnow())
        runner.wake()
        assert wait_for(lambda: any(k.startswith("collect:") for k in job_keys(svc)))
    finally:
        runner.stop()
        scheduler.shutdown_writers()


def test_a_due_digest_is_posted_once_to_the_chat_that_asked(svc, youtube) -> None:
    workspace_id, member_id = console_workspace(svc)
    account = connected_account(svc, workspace_id, "youtube", youtube.grant())
    pub = live_short(svc, account, "v1", title="Weekly star")
    now = utcnow()
    with svc.db.session() as session:
        for days_ago, views in ((9, 10), (2, 210)):
            session.add(MetricSnapshot(publication_id=pub, taken_at=now - timedelta(days=days_ago),
                                       views=views))
        session.add(Subscription(workspace_id=workspace_id, kind="digest", reply_front="telegram",
                                 reply_chat="-100123", created_by=member_id,
                                 created_at=now - timedelta(days=30),
                                 spec={"weekday": (now.weekday() - 1) % 7, "hour": 9}))
    with ThreadWorker(svc):
        (job,) = post_due_digests(svc, now)
        assert post_due_digests(svc, now) == []
        assert wait_for(lambda: _state(svc, job.id) == JobState.succeeded)
    with svc.db.session() as session:
        (event,) = session.scalars(select(OutboxEvent).where(OutboxEvent.chat_ref == "-100123")).all()
        subscription = session.scalars(select(Subscription)).one()
    text = event.payload["text"]
    assert "Weekly digest" in text and "Best: Weekly star (+200 views)" in text
    assert event.payload["attachments"][0]["kind"] == "image"
    assert Path(event.payload["attachments"][0]["path"]).is_file()
    assert subscription.last_sent_at is not None
    assert post_due_digests(svc, now + timedelta(hours=1)) == [], "sent this week already"


def test_a_digest_switched_on_after_this_weeks_time_waits_for_next_week(svc) -> None:
    workspace_id, member_id = console_workspace(svc)
    now = utcnow()
    with svc.db.session() as session:
        session.add(Subscription(workspace_id=workspace_id, kind="digest", reply_front="console",
                                 reply_chat="local", created_by=member_id,
                                 spec={"weekday": (now.weekday() - 1) % 7, "hour": 9}))
    assert post_due_digests(svc, now) == []
    assert len(post_due_digests(svc, now + timedelta(days=7))) == 1


def _state(svc: Services, job_id: int) -> str:
    with svc.db.session() as session:
        return session.get_one(Job, job_id).state
