"""Quota accounting per Pacific day and the TTL cache (database and Redis)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from core import cache, quota
from core.services import Services
from tests.conftest import service_up
from tests.support.discovery import workspace


def test_the_quota_day_turns_over_at_midnight_pacific() -> None:
    before = datetime(2026, 11, 24, 7, 59, tzinfo=UTC)
    after = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert quota.quota_day(before).day == 23 and quota.quota_day(after).day == 24
    assert quota.next_reset(before) == after


def test_spending_is_counted_and_refused_past_the_workspace_budget(services: Services) -> None:
    ws = workspace(services, quota_budget=5)
    with services.db.session() as session:
        assert quota.spend(session, ws, quota.YOUTUBE, 3) == 3
        assert quota.spend(session, ws, quota.YOUTUBE, 2) == 5
    with services.db.session() as session, pytest.raises(quota.QuotaError) as refused:
        quota.spend(session, ws, quota.YOUTUBE, 1)
    assert "spent 5 of its 5" in str(refused.value) and "UTC" in str(refused.value)
    with services.db.session() as session:
        assert quota.usage(session, ws, quota.YOUTUBE).used == 5


def test_search_has_its_own_bucket_and_budget(services: Services) -> None:
    ws = workspace(services, search_budget=1)
    with services.db.session() as session:
        quota.spend(session, ws, quota.YOUTUBE_SEARCH, 1)
        quota.spend(session, ws, quota.YOUTUBE, 1)
        with pytest.raises(quota.QuotaError):
            quota.check(session, ws, quota.YOUTUBE_SEARCH)


def test_quota_exceeded_blocks_the_bucket_for_every_workspace_until_it_ends(services: Services) -> None:
    first, second = workspace(services), workspace(services)
    with services.db.session() as session:
        until = quota.mark_exhausted(session, first, quota.YOUTUBE)
    assert until == quota.next_reset()
    with services.db.session() as session, pytest.raises(quota.QuotaError) as blocked:
        quota.check(session, second, quota.YOUTUBE)
    assert "calls resume" in str(blocked.value) and blocked.value.resume_at == until
    with services.db.session() as session:
        quota.mark_exhausted(session, first, quota.YOUTUBE, until=datetime.now(UTC) - timedelta(seconds=1))
        quota.check(session, second, quota.YOUTUBE)


def test_the_database_cache_expires_values(services: Services) -> None:
    cache.set(services, "trending:US", {"items": [1, 2]}, ttl_seconds=60)
    cache.set(services, "gone", [1], ttl_seconds=-1)
    assert cache.get(services, "trending:US") == {"items": [1, 2]}
    assert cache.get(services, "gone") is None and cache.get(services, "never") is None
    assert cache.purge_expired(services) == 1
    long_key = "x" * 500
    cache.set(services, long_key, 1, ttl_seconds=60)
    assert cache.get(services, long_key) == 1


@pytest.mark.redis
def test_redis_holds_the_cache_when_redis_url_is_set(services: Services) -> None:
    if not service_up("127.0.0.1", 6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    from dataclasses import replace

    redis_services = replace(services, settings=services.settings.model_copy(
        update={"redis_url": "redis://127.0.0.1:6379/15"}))
    key = f"test:{uuid.uuid4().hex}"
    cache.set(redis_services, key, {"a": 1}, ttl_seconds=30)
    assert cache.get(redis_services, key) == {"a": 1}
    assert cache.get(services, key) is None, "nothing was written to the database"
