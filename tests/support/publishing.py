"""Publishing test helpers: people, an approved proposal with a real rendered file, accounts, messages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.db import upgrade
from core.identity import Caller, resolve
from core.invoke import run_text
from core.messages import Reply
from core.models import (
    Account,
    Job,
    JobState,
    Member,
    OutboxEvent,
    OutboxKind,
    Proposal,
    Render,
    Role,
    Source,
    utcnow,
)
from core.publish import tokens
from core.services import Services
from tests.conftest import make_settings
from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.tiktok_api import FakeTikTok
from tests.fakes.youtube_upload import FakeYouTubeUploads
from tests.support.media import video
from workers.bootstrap import build_services
from workers.local import LocalDispatcher

WORKSPACE = "guild-1"
CHANNEL = "approvals"


def caller(user: str = "alice", *, admin: bool = False) -> Caller:
    return Caller(front="console", workspace_ref=WORKSPACE, chat_ref=CHANNEL, user_ref=user,
                  user_name=user.title(), workspace_name="Test", platform_admin=admin)


def person(services: Services, user: str = "alice", role: Role = Role.editor) -> tuple[int, int]:
    """(workspace id, member id) of a member with the given role."""
    with services.db.session() as session:
        identity = resolve(session, caller(user))
        session.get_one(Member, identity.member_id).role = int(role)
    return identity.workspace_id, identity.member_id


def run(services: Services, line: str, user: str = "alice") -> Reply:
    return run_text(services, caller(user), line)


def approved_proposal(services: Services, workspace_id: int, path: Path, *, title: str = "A clip",
                      member_id: int | None = None) -> int:
    with services.db.session() as session:
        source = Source(workspace_id=workspace_id, kind="file", uri=path.name, local_path=str(path),
                        rights_basis="owned", attested_by=member_id, attested_at=utcnow())
        session.add(source)
        session.flush()
        render = Render(workspace_id=workspace_id, source_id=source.id, state="done",
                        output_path=str(path), size_bytes=path.stat().st_size)
        session.add(render)
        session.flush()
        proposal = Proposal(workspace_id=workspace_id, render_id=render.id, state="approved",
                            options=[title], chosen_index=0, description="Made with ettametta.",
                            hashtags=["#shorts", "#test"], attribution="", decided_by=member_id,
                            decided_at=utcnow(), reply_front="console", reply_chat=CHANNEL)
        session.add(proposal)
        session.flush()
        return proposal.id


def account(services: Services, workspace_id: int, member_id: int, platform: str, token_dict: dict,
            *, external_id: str = "ext-1", name: str = "My Channel") -> int:
    with services.db.session() as session:
        row = Account(workspace_id=workspace_id, platform=platform, external_id=external_id, name=name,
                      connected_by=member_id, scopes=["video.upload"])
        session.add(row)
        session.flush()
        tokens.store_tokens(session, row, token_dict)
        return row.id


def expire_access_token(services: Services, account_id: int) -> None:
    with services.db.session() as session:
        row = session.get_one(Account, account_id)
        current = tokens.load_tokens(services.settings, row)
        tokens.store_tokens(session, row, {**current, "expires_at": time.time() - 1})


def messages(services: Services, chat_ref: str, kind: str | None = None) -> list[str]:
    with services.db.session() as session:
        query = select(OutboxEvent).where(OutboxEvent.chat_ref == chat_ref).order_by(OutboxEvent.id)
        if kind:
            query = query.where(OutboxEvent.kind == OutboxKind(kind))
        return [event.payload["text"] for event in session.scalars(query)]


def wait_for_jobs(services: Services, timeout: float = 60.0) -> list[Job]:
    """Block until no job is queued-and-due or running; returns all jobs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with services.db.session() as session:
            rows = list(session.scalars(select(Job).order_by(Job.id)))
            busy = [j for j in rows if j.state == JobState.running
                    or (j.state == JobState.queued and j.run_after <= utcnow())]
        if not busy:
            return rows
        time.sleep(0.1)
    raise AssertionError(f"jobs still busy after {timeout}s: {[(j.id, j.kind, j.state) for j in busy]}")


@dataclass(frozen=True)
class World:
    """A workspace with an approved proposal (a real 1 s vertical clip) and a YouTube channel and a
    TikTok account connected by alice, against running fakes; `overrides` are its settings."""

    services: Services
    proposal_id: int
    overrides: dict[str, Any]
    google: FakeGoogleOAuth
    tube: FakeYouTubeUploads
    tok: FakeTikTok


@contextmanager
def publishing_world(tmp_path: Path, **settings: Any) -> Iterator[World]:
    with FakeGoogleOAuth() as google, FakeYouTubeUploads(google) as tube, FakeTikTok() as tok:
        channel = tube.add_my_channel("Cooking With Ada")
        overrides = {"google_api_base_url": tube.url, **google.settings(), **tok.settings(), **settings}
        built = make_settings(tmp_path, **overrides)
        upgrade(built)
        services = build_services(built, LocalDispatcher())
        workspace_id, member_id = person(services, "alice")
        clip = video(tmp_path / "short.mp4", seconds=1, size="360x640")
        proposal_id = approved_proposal(services, workspace_id, clip, member_id=member_id)
        account(services, workspace_id, member_id, "youtube", google.grant_for(channel), external_id=channel)
        account(services, workspace_id, member_id, "tiktok", tok.issue_tokens(), external_id=tok.open_id)
        try:
            yield World(services, proposal_id, overrides, google, tube, tok)
        finally:
            services.db.dispose()
