"""Analytics fixtures; a test module loads them with
`pytest_plugins = ("tests.support.analytics_fixtures",)`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.services import Services
from tests.fakes.tiktok_query import FakeTikTokVideos
from tests.fakes.youtube_analytics import FakeYouTubeAnalytics
from tests.support.analytics import Platforms, platforms


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Platforms]:
    """The fake platforms (Google OAuth, YouTube, TikTok) and migrated services pointed at them."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with platforms(tmp_path) as made:
        yield made


@pytest.fixture
def svc(stack: Platforms) -> Services:
    return stack.svc


@pytest.fixture
def youtube(stack: Platforms) -> FakeYouTubeAnalytics:
    return stack.youtube


@pytest.fixture
def tiktok(stack: Platforms) -> FakeTikTokVideos:
    return stack.tiktok
