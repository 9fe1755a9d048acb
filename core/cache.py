"""A small TTL cache for API responses: Redis when `REDIS_URL` is set, else the `api_cache` table.

Values are anything JSON can hold. Repeated look-ups (the trending chart, a channel's
uploads playlist id) then cost no API quota until they expire. A cache that fails is
never fatal: a read that fails is a miss, a write that fails is skipped.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, select

from core.models import ApiCache, utcnow
from core.services import Services

log = logging.getLogger(__name__)

PREFIX = "ettametta:cache:"
MAX_KEY = 200


def get(services: Services, key: str) -> Any | None:
    """The cached value for `key`, or None when absent or expired."""
    key = _key(key)
    try:
        raw = _redis(services.settings.redis_url).get(key) if services.settings.redis_url \
            else _db_get(services, key)
    except Exception as exc:
        log.warning("cache read failed (%s); treating as a miss", type(exc).__name__)
        return None
    return None if raw is None else json.loads(raw)


def set(services: Services, key: str, value: Any, ttl_seconds: float) -> None:
    """Keep `value` under `key` for `ttl_seconds`."""
    key, raw = _key(key), json.dumps(value, separators=(",", ":"))
    try:
        if services.settings.redis_url:
            _redis(services.settings.redis_url).set(key, raw, px=max(1, int(ttl_seconds * 1000)))
        else:
            _db_set(services, key, raw, ttl_seconds)
    except Exception as exc:
        log.warning("cache write failed (%s); continuing without it", type(exc).__name__)


def purge_expired(services: Services) -> int:
    """Delete expired rows of the database cache (Redis expires keys by itself)."""
    with services.db.session() as session:
        return session.execute(delete(ApiCache).where(ApiCache.expires_at <= utcnow())).rowcount


def purge_expired_job() -> None:
    """The daily system job (registered in core/commands/discovery.py) that empties old rows."""
    from core import scheduler

    purge_expired(scheduler.services())


def _key(key: str) -> str:
    """Keys longer than the column are hashed, keeping a readable start."""
    if len(PREFIX) + len(key) <= MAX_KEY:
        return PREFIX + key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{PREFIX}{key[:80]}#{digest}"


@lru_cache(maxsize=4)
def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _db_get(services: Services, key: str) -> str | None:
    with services.db.session() as session:
        return session.scalar(
            select(ApiCache.value).where(ApiCache.key == key, ApiCache.expires_at > utcnow())
        )


def _db_set(services: Services, key: str, raw: str, ttl_seconds: float) -> None:
    expires = utcnow() + timedelta(seconds=ttl_seconds)
    with services.db.session() as session:
        row = session.get(ApiCache, key)
        if row is None:
            session.add(ApiCache(key=key, value=raw, expires_at=expires))
        else:
            row.value, row.expires_at = raw, expires
