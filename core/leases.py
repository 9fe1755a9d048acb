"""Named leases in the database: one holder per deployment for work that must run once.

The outbox relays, the Celery sweeper (and anything else that must not run twice when a
deployment has several bot or worker processes) take a lease by name and renew it while
they work. A holder that dies stops renewing; after `ttl_s` another process takes over.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import Lease, utcnow


def acquire(session: Session, name: str, holder: str, ttl_s: float) -> bool:
    """Take or renew the lease; False while another live holder has it."""
    now = utcnow()
    expires = now + timedelta(seconds=ttl_s)
    renewed = session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
        .values(holder=holder, expires_at=expires)
    ).rowcount
    if renewed:
        return True
    if session.scalar(select(Lease.name).where(Lease.name == name)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Lease(name=name, holder=holder, expires_at=expires))
    except IntegrityError:
        return False
    return True


def release(session: Session, name: str, holder: str) -> None:
    """Give the lease up at a clean stop so the next holder need not wait for it to expire."""
    session.execute(
        update(Lease).where(Lease.name == name, Lease.holder == holder).values(expires_at=utcnow())
    )


def live(session: Session, prefix: str) -> list[Lease]:
    """Unexpired leases whose names start with `prefix` (e.g. the `worker:` heartbeats)."""
    return list(
        session.scalars(
            select(Lease).where(Lease.name.startswith(prefix), Lease.expires_at > utcnow())
        )
    )
