"""The OAuth web site for tests: the web server with the OAuth routes, fake Google and TikTok.

A pytest plugin: `pytest_plugins = ("tests.support.oauth_fixtures",)` gives a test module the
`fakes` and `site` fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.oauth_web import oauth_routes
from bot.web import WebServer
from core.db import upgrade
from tests.conftest import make_settings
from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.tiktok_api import FakeTikTok
from tests.fakes.youtube_upload import FakeYouTubeUploads
from tests.support.oauth_site import free_port
from workers.bootstrap import build_services
from workers.local import LocalDispatcher


@pytest.fixture
def fakes():
    with FakeGoogleOAuth() as google, FakeYouTubeUploads(google) as youtube, FakeTikTok() as tiktok:
        youtube.add_my_channel("Cooking With Ada")
        yield google, youtube, tiktok


@pytest.fixture
async def site(tmp_path: Path, fakes, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    google, youtube, tiktok = fakes
    port = free_port()
    settings = make_settings(tmp_path, web_port=port, public_url=f"http://127.0.0.1:{port}",
                             google_api_base_url=youtube.url, **google.settings(), **tiktok.settings())
    upgrade(settings)
    services = build_services(settings, LocalDispatcher())
    web = WebServer(services, (oauth_routes,))
    assert await web.start()
    try:
        yield services
    finally:
        await web.stop()
        services.db.dispose()
