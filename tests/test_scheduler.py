"""The scheduler: schedules in the database, one runner per deployment, watches firing once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core import leases, scheduler
from core.db import upgrade
from core.discovery import schedule
from core.invoke import run_text
from core.models import Job, Lease, Watch, utcnow
from core.services import Services
from tests.conftest import make_settings
from tests.support.discovery import caller
from tests.support.waiting import wait_for
from workers.bootstrap import build_services
from workers.local import LocalDispatcher

RUNS: list[str] = []


def record_run() -> None:
    RUNS.append("ran")


@pytest.fixture
def sched_services(tmp_path: Path) -> Iterator[Services]:
    settings = make_settings(tmp_path, scheduler_lease_seconds=3, scan_gather_seconds=0.5)
    upgrade(settings)
    services = build_services(settings, LocalDispatcher())
    yield services
    scheduler.shutdown_writers()
    services.db.dispose()


def scan_jobs(services: Services) -> list[Job]:
    with services.db.session() as session:
        return list(session.scalars(select(Job).where(Job.kind == "scan")))


def test_watches_survive_a_scheduler_restart(sched_services: Services) -> None:
    reply = run_text(sched_services, caller(), '/watch add @cooking every=6h')
    assert "Watch #1" in reply.text and "every 6h00m" in reply.text
    cron = run_text(sched_services, caller(), '/watch add trending:GB cron="0 9 * * *" min-score=40')
    assert "Watch #2" in cron.text
    first = scheduler.next_run(sched_services, "watch:1")
    scheduler.shutdown_writers()

    restarted = scheduler.Scheduler(sched_services, holder="after-restart")
    restarted.start()
    try:
        assert restarted.leader
        assert scheduler.next_run(sched_services, "watch:1") == first
        nine = scheduler.next_run(sched_services, "watch:2")
        assert nine is not None and (nine.hour, nine.minute) == (9, 0)
        assert first is not None and first.hour % 6 == 0 and first.minute == 0, "aligned to 00/06/12/18 UTC"
    finally:
        restarted.stop()


def test_pausing_and_removing_a_watch_updates_its_schedule(sched_services: Services) -> None:
    run_text(sched_services, caller(), "/watch add UCabcdefghijklmnopqrstuv")
    assert scheduler.next_run(sched_services, "watch:1") is not None
    assert "paused" in run_text(sched_services, caller(), "/watch pause 1").text
    assert scheduler.next_run(sched_services, "watch:1") is None
    assert "scanning again" in run_text(sched_services, caller(), "/watch resume 1").text
    assert scheduler.next_run(sched_services, "watch:1") is not None
    listing = run_text(sched_services, caller(), "/watch list").text
    assert "#1 youtube-channel UCabcdefghijklmnopqrstuv — every 6h00m" in listing
    assert "removed" in run_text(sched_services, caller(), "/watch remove 1").text
    assert scheduler.next_run(sched_services, "watch:1") is None


def test_a_due_watch_fires_once_with_two_schedulers(sched_services: Services) -> None:
    fires_once_with_two_schedulers(sched_services)


@pytest.mark.postgres
def test_a_due_watch_fires_once_with_two_schedulers_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    settings = make_settings(tmp_path, database_url=postgres_url, scheduler_lease_seconds=3,
                             scan_gather_seconds=0.5)
    upgrade(settings)
    services = build_services(settings, LocalDispatcher())
    try:
        fires_once_with_two_schedulers(services)
    finally:
        scheduler.shutdown_writers()
        services.db.dispose()


def fires_once_with_two_schedulers(sched_services: Services) -> None:
    run_text(sched_services, caller(), "/watch add @twice every=1h")
    one = scheduler.Scheduler(sched_services, holder="process-one")
    two = scheduler.Scheduler(sched_services, holder="process-two")
    one.start()
    two.start()
    try:
        assert [one.leader, two.leader] == [True, False]
        scheduler.writer(sched_services).modify_job("watch:1", next_run_time=utcnow())
        one.wake()
        two.wake()
        assert wait_for(lambda: len(scan_jobs(sched_services)) == 1)
        time.sleep(0.5)
        schedule.fire_watch(1)
        jobs = scan_jobs(sched_services)
        assert len(jobs) == 1 and jobs[0].payload["watch_ids"] == [1]
        assert jobs[0].payload["scheduled"] is True
    finally:
        one.stop()
        two.stop()


def test_watches_due_together_share_one_scan_job(sched_services: Services) -> None:
    for handle in ("@one", "@two", "@three"):
        run_text(sched_services, caller(), f"/watch add {handle}")
    services = Services(sched_services.settings.model_copy(update={"scan_gather_seconds": 30}),
                        sched_services.db, sched_services.dispatcher)
    runner = scheduler.Scheduler(services, holder="gatherer")
    runner.start()
    try:
        for watch_id in (1, 2, 3):
            schedule.fire_watch(watch_id)
    finally:
        runner.stop()
    jobs = scan_jobs(sched_services)
    assert len(jobs) == 1 and jobs[0].payload["watch_ids"] == [1, 2, 3]


def test_a_standby_takes_over_when_the_lease_expires(sched_services: Services) -> None:
    assert scheduler.acquire_lease(sched_services, "crashed", ttl=0.2)
    standby = scheduler.Scheduler(sched_services, holder="standby")
    standby.start()
    try:
        assert not standby.leader
        time.sleep(0.3)
        standby.beat()
        assert standby.leader
        with sched_services.db.session() as session:
            assert session.get_one(Lease, "scheduler").holder == "standby"
        assert "Scheduler: running in standby" in run_text(sched_services, caller(), "/status").text
    finally:
        standby.stop()
    with sched_services.db.session() as session:
        assert leases.live(session, "scheduler") == [], "a clean stop frees the lease"


def test_a_system_job_registered_by_another_capability_runs(sched_services: Services) -> None:
    RUNS.clear()
    scheduler.register_system_job("test:record", "tests.test_scheduler:record_run", trigger="interval",
                                  hours=1)
    runner = scheduler.Scheduler(sched_services, holder="system")
    runner.start()
    try:
        scheduler.writer(sched_services).modify_job("test:record", next_run_time=utcnow())
        runner.wake()
        assert wait_for(lambda: RUNS == ["ran"])
    finally:
        runner.stop()
        scheduler._SYSTEM_JOBS.pop("test:record", None)


def test_a_paused_watch_does_not_fire(sched_services: Services) -> None:
    run_text(sched_services, caller(), "/watch add @quiet")
    with sched_services.db.session() as session:
        session.get_one(Watch, 1).paused = True
    runner = scheduler.Scheduler(sched_services, holder="quiet")
    runner.start()
    try:
        schedule.fire_watch(1)
        with sched_services.db.session() as session:
            session.get_one(Watch, 1).paused = False
            session.get_one(Watch, 1).last_fired_at = utcnow() - timedelta(minutes=1)
        schedule.fire_watch(1)
    finally:
        runner.stop()
    assert scan_jobs(sched_services) == [], "paused, then fired too recently for its 6h period"
