"""Claims, give-ups and named leases at the database level (fast; no worker processes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from core import leases
from core.jobs import Origin, enqueue, start
from core.models import Job, OutboxEvent, utcnow
from core.services import Services
from workers import store

ORIGIN = Origin(None, None, "console", "store-test")


def _expire(services: Services, job_id: int) -> None:
    with services.db.session() as session:
        session.execute(update(Job).where(Job.id == job_id)
                        .values(lease_until=utcnow() - timedelta(seconds=1)))


@pytest.fixture(params=["sqlite", "postgres"])
def db_services(request: pytest.FixtureRequest) -> Services:
    return request.getfixturevalue("services" if request.param == "sqlite" else "pg_services")


def test_a_job_whose_worker_dies_on_every_attempt_fails_instead_of_running_forever(
    db_services: Services,
) -> None:
    with db_services.db.session() as session:
        job_id = enqueue(session, "probe", {}, ORIGIN, max_attempts=2).id
    for attempt in (1, 2):
        with db_services.db.session() as session:
            claim = store.claim_next(session, f"w{attempt}", ["default"], 5)
        assert claim is not None and claim.attempt == attempt
        _expire(db_services, job_id)

    with db_services.db.session() as session:
        assert store.claim_next(session, "w3", ["default"], 5) is None
        job = session.get_one(Job, job_id)
        replies = [e.payload["text"] for e in session.query(OutboxEvent).filter_by(job_id=job_id)]

    assert job.state == "failed"
    assert job.error == ("its worker stopped on attempt 2 of 2 (killed, out of memory or over its "
                         "time limit)")
    assert replies == [f"Job #{job_id} (probe) failed: {job.error}"]


def test_a_named_job_is_claimed_by_one_delivery_only(db_services: Services) -> None:
    with db_services.db.session() as session:
        job_id = enqueue(session, "probe", {}, ORIGIN).id
    with db_services.db.session() as session:
        first = store.claim_job(session, job_id, "a", 5)
    with db_services.db.session() as session:
        second = store.claim_job(session, job_id, "b", 5)

    assert first is not None and second is None


def test_a_named_lease_has_one_holder_until_it_expires(db_services: Services) -> None:
    with db_services.db.session() as session:
        assert leases.acquire(session, "relay:test", "a", 30)
    with db_services.db.session() as session:
        assert not leases.acquire(session, "relay:test", "b", 30)
        assert leases.acquire(session, "relay:test", "a", 30), "the holder renews"
    with db_services.db.session() as session:
        leases.release(session, "relay:test", "a")
    with db_services.db.session() as session:
        assert leases.acquire(session, "relay:test", "b", 30), "released: another takes over"
        assert [lease.holder for lease in leases.live(session, "relay:")] == ["b"]


def test_a_job_started_while_the_broker_is_down_is_recorded_and_the_command_still_answers(
    tmp_path, caplog: pytest.LogCaptureFixture,
) -> None:
    from core.db import upgrade
    from tests.conftest import make_settings
    from workers.bootstrap import build_services

    settings = make_settings(tmp_path, queue_url="redis://127.0.0.1:1/0")
    upgrade(settings)
    services = build_services(settings)
    try:
        job = start(services, "probe", {"path": "x.mp4"}, ORIGIN)
    finally:
        services.db.dispose()

    assert services.dispatcher.name == "celery"
    assert job.state == "queued"
    assert f"could not hand job {job.id} to the broker" in caplog.text
