"""Helpers for discovery tests: services pointed at a fake YouTube, a workspace, watches."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from core.db import upgrade
from core.identity import Caller
from core.models import Watch, Workspace
from core.services import Services
from tests.conftest import make_settings
from tests.fakes.youtube_api import FakeYouTube
from workers.bootstrap import build_services
from workers.local import LocalDispatcher


def youtube_services(tmp_path: Path, fake: FakeYouTube, **overrides: Any) -> Services:
    options: dict[str, Any] = {"google_api_base_url": fake.url, "youtube_api_key": fake.key,
                               "discovery_concurrency": 4, **overrides}
    settings = make_settings(tmp_path, **options)
    upgrade(settings)
    return build_services(settings, LocalDispatcher())


def workspace(services: Services, **settings: Any) -> int:
    with services.db.session() as session:
        row = Workspace(front="console", external_id=uuid.uuid4().hex, settings=settings)
        session.add(row)
        session.flush()
        return row.id


def watch(services: Services, workspace_id: int, kind: str, ref: str, **fields: Any) -> int:
    with services.db.session() as session:
        row = Watch(workspace_id=workspace_id, source_kind=kind, source_ref=ref, reply_front="console",
                    reply_chat="console", options={}, **fields)
        session.add(row)
        session.flush()
        return row.id


def caller(user: str = "owner", *, admin: bool = True) -> Caller:
    return Caller(front="console", workspace_ref="local", chat_ref="console", user_ref=user,
                  user_name=user, platform_admin=admin)
