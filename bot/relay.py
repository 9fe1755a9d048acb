"""The outbox relay: delivers a front's pending events, editing progress messages in place.

One relay per front. Each front classifies its platform's refusals (`DeliveryError.kind`):

- transient: the event stays and is tried again with backoff, or after the platform's
  retry-after, so nothing a worker reported is lost;
- permanent: it can never arrive (the chat is gone, the bot was removed, the person blocked
  it): the event is ended with its reason, which /status counts;
- message gone: the message an edit was for was deleted: a fresh one is posted, or the edit
  is dropped when the job it reported on has finished;
- moved: the chat has a new id: everything bound to it moves (core.chats) and the message
  goes to the new id.

Each chat is delivered in its own lane, in order, while other chats' lanes go on: a rate
limit slept inside one chat's request never delays another chat's messages. A refusal
marked `hold` (a rate limit) holds that kind of request (posts or edits) in that chat until
its retry-after has passed; then only the newest progress of each job is sent. A job whose
progress message can never be posted (a permanent refusal) has its later progress dropped
without asking the platform again; its result is still tried.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from core import chats, leases, outbox, storage
from core.messages import Progress, Reply
from core.models import Job, JobState, OutboxEvent, OutboxKind
from core.outbox import Undeliverable
from core.services import Services

log = logging.getLogger(__name__)

LEASE_SECONDS = 15.0
STOP_WAIT_SECONDS = 5.0


class FailureKind(enum.StrEnum):
    """What a platform's refusal means for the event (see the module docstring)."""

    transient = "transient"
    permanent = "permanent"
    message_gone = "message_gone"
    moved = "moved"


class DeliveryError(Exception):
    """Delivery failed, classified by the front that read the platform's answer.

    `retry_after` (seconds) is what the platform asked for, if it said; `hold` says it was a
    rate limit, which holds that kind of request in that chat until then; `reason` why a
    permanent failure can never succeed; `moved` the chat's (old, new) ids.
    """

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        *,
        kind: FailureKind = FailureKind.transient,
        reason: Undeliverable | None = None,
        moved: tuple[str, str] | None = None,
        hold: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.kind = kind
        self.reason = reason
        self.moved = moved
        self.hold = hold and retry_after is not None

    @classmethod
    def rate_limited(cls, message: str, retry_after: float) -> DeliveryError:
        return cls(message, retry_after, hold=True)

    @classmethod
    def permanent(cls, message: str, reason: Undeliverable) -> DeliveryError:
        return cls(message, kind=FailureKind.permanent, reason=reason)

    @classmethod
    def message_gone(cls, message: str) -> DeliveryError:
        return cls(message, kind=FailureKind.message_gone, reason=Undeliverable.refused)

    @classmethod
    def chat_moved(cls, message: str, old: str, new: str) -> DeliveryError:
        return cls(message, kind=FailureKind.moved, moved=(old, new))


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
        self.clock: Callable[[], float] = time.monotonic
        self._last_attempt: dict[str, float] = {}
        self._not_before: dict[tuple[str, str], float] = {}
        self._ended_progress: dict[str, str] = {}
        self._lanes: dict[str, asyncio.Task[int]] = {}
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
                        async with self._passing:
                            await self._open_lanes()
                except Exception:
                    log.exception("%s relay pass failed; trying again", self.deliverer.front)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)
        finally:
            await self._close_lanes()
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
        """Deliver what is due now and wait for it; returns how many were delivered.

        Passes never overlap (two at once would both load the same pending rows and post
        twice), and a chat whose lane is still busy is left to that lane.
        """
        async with self._passing:
            lanes = await self._open_lanes()
        return sum(await asyncio.gather(*lanes))

    async def _open_lanes(self) -> list[asyncio.Task[int]]:
        """Start a lane for each chat with due events and no lane running."""
        self._lanes = {chat: lane for chat, lane in self._lanes.items() if not lane.done()}
        by_chat: dict[str, list[tuple[OutboxEvent, str | None]]] = {}
        for event, message_id in await asyncio.to_thread(self._load, self.deliverer.front):
            if event.chat_ref not in self._lanes:
                by_chat.setdefault(event.chat_ref, []).append((event, message_id))
        opened = [asyncio.create_task(self._lane(events), name=f"relay {self.deliverer.front} {chat}")
                  for chat, events in by_chat.items()]
        self._lanes.update(zip(by_chat, opened, strict=True))
        return opened

    async def _close_lanes(self) -> None:
        lanes = [lane for lane in self._lanes.values() if not lane.done()]
        if lanes:
            _, late = await asyncio.wait(lanes, timeout=STOP_WAIT_SECONDS)
            for lane in late:
                lane.cancel()
            await asyncio.gather(*lanes, return_exceptions=True)

    async def _lane(self, events: list[tuple[OutboxEvent, str | None]]) -> int:
        """One chat's due events, in order; returns how many were delivered."""
        delivered = 0
        for event, message_id in events:
            try:
                if await self._deliver_due(event, message_id):
                    delivered += 1
            except Exception:
                log.exception("%s delivery of outbox event %s failed", self.deliverer.front, event.id)
        return delivered

    async def _deliver_due(self, event: OutboxEvent, message_id: str | None) -> bool:
        envelope = _envelope(event)
        if isinstance(envelope.message, Progress) and event.key in self._ended_progress:
            await asyncio.to_thread(self._drop, event.id, "its progress message can't be posted: "
                                    + self._ended_progress[event.key or ""])
            return False
        if held := self._held_for(event.chat_ref, message_id):
            await asyncio.to_thread(self._postpone, event.id, held)
            return False
        if message_id and self._too_soon(event.key):
            return False
        await asyncio.to_thread(self._files_here, envelope)
        return await self._deliver(event, envelope, message_id)

    async def _deliver(self, event: OutboxEvent, envelope: Envelope, message_id: str | None, *,
                       again: bool = False) -> bool:
        """One event: edit its message or post it; a refusal is handled by its kind. `again`
        marks the one second attempt a moved chat or a deleted message allows."""
        if event.key:
            self._last_attempt[event.key] = self.clock()
        try:
            if message_id:
                await self.deliverer.edit(envelope, message_id)
                new_id: str | None = message_id
            else:
                new_id = await self.deliverer.send(envelope)
        except DeliveryError as exc:
            return await self._refused(event, envelope, message_id, exc, again=again)
        except Exception as exc:
            log.warning("%s delivery of outbox event %s failed", self.deliverer.front, event.id,
                        exc_info=True)
            await asyncio.to_thread(self._failed, event, f"{type(exc).__name__}: {exc}", None)
            return False
        await asyncio.to_thread(self._delivered, event, new_id)
        return True

    async def _refused(self, event: OutboxEvent, envelope: Envelope, message_id: str | None,
                       error: DeliveryError, *, again: bool) -> bool:
        front = self.deliverer.front
        if error.kind is FailureKind.moved and error.moved and not again:
            old, new = error.moved
            await asyncio.to_thread(self._move, old, new)
            log.info("%s chat %s is now %s; outbox event %s follows it", front, old, new, event.id)
            target = dataclasses.replace(envelope, chat_ref=new) if envelope.chat_ref == old else envelope
            return await self._deliver(event, target, None, again=True)
        if error.kind is FailureKind.message_gone and message_id and not again:
            if await asyncio.to_thread(self._finished, event, envelope):
                await asyncio.to_thread(self._drop, event.id,
                                        "the progress message was deleted and the job has finished")
                return False
            log.info("%s message %s was deleted; posting outbox event %s afresh", front, message_id, event.id)
            return await self._deliver(event, envelope, None, again=True)
        if error.kind in (FailureKind.transient, FailureKind.moved):
            if error.hold and error.retry_after is not None:
                self._hold(envelope.chat_ref, message_id, error.retry_after)
            await asyncio.to_thread(self._failed, event, str(error), error.retry_after)
            return False
        reason = error.reason or Undeliverable.refused
        log.warning("%s outbox event %s can never be delivered (%s): %s", front, event.id, reason.phrase,
                    error)
        if isinstance(envelope.message, Progress) and event.key:
            self._ended_progress[event.key] = reason.phrase
        await asyncio.to_thread(self._end, event.id, reason, str(error))
        return False

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
        """Edits of one message keep `min_edit_interval` from the last attempt, failed or not."""
        if not key or not self.min_edit_interval:
            return False
        return self.clock() - self._last_attempt.get(key, float("-inf")) < self.min_edit_interval

    def _hold(self, chat_ref: str, message_id: str | None, seconds: float) -> None:
        self._not_before[(chat_ref, _action(message_id))] = self.clock() + seconds

    def _held_for(self, chat_ref: str, message_id: str | None) -> float:
        """Seconds this kind of request in this chat must still wait (0 when it may go)."""
        return max(0.0, self._not_before.get((chat_ref, _action(message_id)), 0.0) - self.clock())

    def _load(self, front: str) -> list[tuple[OutboxEvent, str | None]]:
        with self.services.db.session() as session:
            events = outbox.pending(session, front)
            return [
                (event, outbox.message_for_key(session, front, event.key) if event.key else None)
                for event in events
            ]

    def _delivered(self, event: OutboxEvent, message_id: str | None) -> None:
        with self.services.db.session() as session:
            outbox.mark_delivered(session, event.id, message_id)
            if event.kind == OutboxKind.progress and event.key:
                outbox.supersede_older_progress(session, event.key, event.id)

    def _postpone(self, event_id: int, seconds: float) -> None:
        """Not loaded again before the chat's hold ends, so held rows never crowd out other chats'."""
        with self.services.db.session() as session:
            outbox.postpone(session, event_id, seconds)

    def _failed(self, event: OutboxEvent, error: str, retry_after: float | None) -> None:
        with self.services.db.session() as session:
            if not outbox.mark_failed(session, event, error, retry_in=retry_after):
                log.warning("%s outbox event %s gave up: %s", self.deliverer.front, event.id, error)

    def _end(self, event_id: int, reason: Undeliverable, error: str) -> None:
        with self.services.db.session() as session:
            outbox.end_undelivered(session, event_id, reason, error)

    def _drop(self, event_id: int, note: str) -> None:
        with self.services.db.session() as session:
            outbox.drop(session, event_id, note)

    def _move(self, old: str, new: str) -> None:
        with self.services.db.session() as session:
            chats.move(session, self.deliverer.front, old, new)

    def _finished(self, event: OutboxEvent, envelope: Envelope) -> bool:
        """A progress report at 100 %, or for a job that has ended: its edit can be dropped."""
        if not isinstance(envelope.message, Progress):
            return False
        if envelope.message.percent >= 100:
            return True
        with self.services.db.session() as session:
            job = session.get(Job, event.job_id) if event.job_id else None
            return job is not None and JobState(job.state).finished


def _action(message_id: str | None) -> str:
    return "edit" if message_id else "send"


def _envelope(event: OutboxEvent) -> Envelope:
    kind = OutboxKind(event.kind)
    message: Reply | Progress = (
        Progress.model_validate(event.payload)
        if kind is OutboxKind.progress
        else Reply.model_validate(event.payload)
    )
    return Envelope(event.id, event.chat_ref, kind, event.key, message)
