"""Analytics test helpers: the console workspace, connected accounts and live publications as rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import upgrade
from core.identity import Caller, resolve
from core.models import Account, Proposal, Publication, Render, RightsBasis, Source, utcnow
from core.publish import tokens
from core.services import Services
from tests.conftest import make_settings
from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.tiktok_query import FakeTikTokVideos
from tests.fakes.youtube_analytics import FakeYouTubeAnalytics
from workers.bootstrap import build_services
from workers.local import LocalDispatcher

CONSOLE = Caller(front="console", workspace_ref="local", chat_ref="local", user_ref="tester",
                 user_name="tester", workspace_name="console", platform_admin=True)


@dataclass
class Platforms:
    """The fake platforms analytics talks to, and services pointed at them."""

    svc: Services
    oauth: FakeGoogleOAuth
    youtube: FakeYouTubeAnalytics
    tiktok: FakeTikTokVideos


@contextmanager
def platforms(tmp_path: Path, **overrides: object) -> Iterator[Platforms]:
    """Google OAuth, YouTube (Data + Analytics) and TikTok fakes, and migrated services using them."""
    with FakeGoogleOAuth() as oauth, FakeYouTubeAnalytics(oauth) as youtube, FakeTikTokVideos() as tiktok:
        settings = make_settings(tmp_path, google_api_base_url=youtube.url,
                                 youtube_analytics_base_url=youtube.url,
                                 **{**tiktok.settings(), **oauth.settings(), **overrides})
        upgrade(settings)
        built = build_services(settings, LocalDispatcher())
        try:
            yield Platforms(built, oauth, youtube, tiktok)
        finally:
            built.db.dispose()


def console_workspace(services: Services) -> tuple[int, int]:
    """(workspace id, member id) of the console's workspace and its user, as the console makes them."""
    with services.db.session() as session:
        identity = resolve(session, CONSOLE)
        return identity.workspace_id, identity.member_id


def connected_account(services: Services, workspace_id: int, platform: str, token_dict: dict[str, Any], *,
                      member_id: int | None = None, name: str = "My Channel") -> int:
    with services.db.session() as session:
        count = len(session.scalars(select(Account.id)).all())
        account = Account(workspace_id=workspace_id, platform=platform, external_id=f"ext-{count}",
                          name=name, connected_by=member_id)
        session.add(account)
        session.flush()
        tokens.store_tokens(session, account, token_dict, settings=services.settings)
        return account.id


def live_short(services: Services, account_id: int, remote_id: str, *, title: str = "",
               age: timedelta = timedelta(hours=3), proposal_id: int | None = None,
               render_seconds: float | None = None) -> int:
    """A publication that is live on the account's platform (remote id set), as publishing leaves it."""
    with services.db.session() as session:
        account = session.get_one(Account, account_id)
        if proposal_id is None:
            proposal_id = _proposal(session, account.workspace_id, title or remote_id, render_seconds)
        published_at: datetime = utcnow() - age
        publication = Publication(
            workspace_id=account.workspace_id, proposal_id=proposal_id, account_id=account.id,
            platform=account.platform, state="published", idempotency_key=f"pub:{account.id}:{remote_id}",
            title=title or f"Short {remote_id}", remote_id=remote_id, published_at=published_at,
            url=f"https://example.test/{remote_id}",
        )
        session.add(publication)
        session.flush()
        return publication.id


def proposal_of(services: Services, publication_id: int) -> int:
    with services.db.session() as session:
        return session.get_one(Publication, publication_id).proposal_id


def _proposal(session: Session, workspace_id: int, title: str, seconds: float | None) -> int:
    source = Source(workspace_id=workspace_id, kind="file", uri=f"{title}.mp4", title=title,
                    rights_basis=RightsBasis.owned)
    session.add(source)
    session.flush()
    render = Render(workspace_id=workspace_id, source_id=source.id, state="succeeded", duration_s=seconds)
    session.add(render)
    session.flush()
    proposal = Proposal(workspace_id=workspace_id, render_id=render.id, state="approved",
                        options=[{"title": title}], chosen_index=0)
    session.add(proposal)
    session.flush()
    return proposal.id

