"""The outbox relay: delivers a front's pending events, editing progress messages in place.

One relay per front. A delivery that fails stays in the outbox and is tried again with
backoff (or after the platform's retry-after), so nothing a worker reported is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from core import leases, outbox, storage
from core.messages import Progress, Reply
from core.models import OutboxEvent, OutboxKind
from core.services import Services

log = logging.getLogger(__name__)

LEASE_SECONDS = 15.0


class DeliveryError(Exception):
    """Delivery failed; `retry_after` is what the platform asked for, if it said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Envelope:
    """An outbox event as a front sees it: where, what kind, and the message itself."""

    event_id: int
    chat_ref: str
    kind: OutboxKind
    key: str | None
    message: Reply | Progress


class Deliverer(Protocol):
    front: str

    async def send(self, envelope: Envelope) -> str | None:
        """Post a new message; return the platform's id for it."""

    async def edit(self, envelope: Envelope, message_id: str) -> None:
        """Replace the content of a message posted earlier for the same key."""


class Relay:
    def __init__(
        self,
        services: Services,
        deliverer: Deliverer,
        *,
        interval: float = 0.3,
        min_edit_interval: float = 0.0,
    ) -> None:
        self.services = services
        self.deliverer = deliverer
        self.interval = interval
        self.min_edit_interval = min_edit_interval
        self._last_edit: dict[str, float] = {}
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease_seconds = max(LEASE_SECONDS, 5 * interval)
        self._lease_held = False
        self._lease_checked_until = 0.0
        self._passing = asyncio.Lock()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until stopped, while this process holds the front's relay lease.

        Several bot processes may share one database; the `relay:<front>` lease lets only one
        of them deliver a front's rows, and another takes over when the holder stops renewing.
        """
        try:
            while not stop.is_set():
                try:
                    if await asyncio.to_thread(self._hold_lease):
                        await self.deliver_pending()
                except Exception:
                    log.exception("%s relay pass failed; trying again", self.deliverer.front)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)
        finally:
            await asyncio.to_thread(self._release_lease)

    @property
    def lease_name(self) -> str:
        return f"relay:{self.deliverer.front}"

    def _hold_lease(self) -> bool:
        """Ask the database only every third of the lease (holder) or every second (others)."""
        now = time.monotonic()
        if now < self._lease_checked_until:
            return self._lease_held
        with self.services.db.session() as session:
            self._lease_held = leases.acquire(session, self.lease_name, self.holder, self.lease_seconds)
        self._lease_checked_until = now + (self.lease_seconds / 3 if self._lease_held else 1.0)
        return self._lease_held

    def _release_lease(self) -> None:
        self._lease_held, self._lease_checked_until = False, 0.0
        with self.services.db.session() as session:
            leases.release(session, self.lease_name, self.holder)

    async def deliver_pending(self) -> int:
        """Deliver what is due now; returns how many were delivered.

        Passes never overlap: two at once would both load the same pending rows and post twice.
        """
        async with self._passing:
            return await self._deliver_pending()

    async def _deliver_pending(self) -> int:
        front = self.deliverer.front
        events = await asyncio.to_thread(self._load, front)
        delivered = 0
        for event, message_id in events:
            envelope = _envelope(event)
            await asyncio.to_thread(self._files_here, envelope)
            if message_id and self._too_soon(event.key):
                continue
            try:
                if message_id:
                    await self.deliverer.edit(envelope, message_id)
                    new_id: str | None = message_id
                else:
                    new_id = await self.deliverer.send(envelope)
            except DeliveryError as exc:
                await asyncio.to_thread(self._failed, event, str(exc), exc.retry_after)
                continue
            except Exception as exc:
                log.warning("%s delivery of outbox event %s failed", front, event.id, exc_info=True)
                await asyncio.to_thread(self._failed, event, f"{type(exc).__name__}: {exc}", None)
                continue
            if event.key:
                self._last_edit[event.key] = time.monotonic()
            await asyncio.to_thread(self._delivered, event.id, new_id)
            delivered += 1
        return delivered

    def _files_here(self, envelope: Envelope) -> None:
        """Attachments written on another machine are fetched from the shared MEDIA_STORE first."""
        if not self.services.settings.media_store or not isinstance(envelope.message, Reply):
            return
        for attachment in envelope.message.attachments:
            for path in filter(None, (attachment.path, attachment.fallback)):
                try:
                    storage.ensure_local(self.services.settings, Path(path))
                except storage.StoreError as exc:
                    log.warning("attachment %s is not in the media store: %s", path, exc)

    def _too_soon(self, key: str | None) -> bool:
        if not key or not self.min_edit_interval:
            return False
        return time.monotonic() - self._last_edit.get(key, 0.0) < self.min_edit_interval

    def _load(self, front: str) -> list[tuple[OutboxEvent, str | None]]:
        with self.services.db.session() as session:
            events = outbox.pending(session, front)
            return [
                (event, outbox.message_for_key(session, front, event.key) if event.key else None)
                for event in events
            ]

    def _delivered(self, event_id: int, message_id: str | None) -> None:
        with self.services.db.session() as session:
            outbox.mark_delivered(session, event_id, message_id)

    def _failed(self, event: OutboxEvent, error: str, retry_after: float | None) -> None:
        with self.services.db.session() as session:
            outbox.mark_failed(session, event, error, retry_in=retry_after)


def _envelope(event: OutboxEvent) -> Envelope:
    kind = OutboxKind(event.kind)
    message: Reply | Progress = (
        Progress.model_validate(event.payload)
        if kind is OutboxKind.progress
        else Reply.model_validate(event.payload)
    )
    return Envelope(event.id, event.chat_ref, kind, event.key, message)
