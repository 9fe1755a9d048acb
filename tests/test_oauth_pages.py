"""The OAuth web pages as a person sees them: plain words, where to go back to, safe headers, a
reload that still says the truth, and a real browser at phone and desktop size."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select, update

from core.identity import Caller, resolve
from core.invoke import run_text
from core.models import Account, Member, OAuthState, Role, Workspace, utcnow
from core.publish.oauth_words import explain, next_step, place
from core.services import Services
from tests.support.browser import DESKTOP, PHONE, chromium, running_browser
from tests.support.oauth_site import authorise, dm_link
from tests.support.publishing import messages

GROUP_CHAT = "-100500"
ALICE = "11"

pytest_plugins = ("tests.support.oauth_fixtures",)


def in_telegram_group(services: Services) -> Caller:
    """Alice, an editor in the Telegram group "Creators"."""
    who = Caller(front="telegram", workspace_ref=GROUP_CHAT, chat_ref=GROUP_CHAT, user_ref=ALICE,
                 user_name="Alice", workspace_name="Creators")
    with services.db.session() as session:
        identity = resolve(session, who)
        session.get_one(Member, identity.member_id).role = int(Role.editor)
    return who


def callback_url(services: Services, link: str, platform: str = "tiktok", **query: str) -> str:
    """Where the provider would send the browser back for the DM'd `link` (with `query` added)."""
    state = re.search(r"state=([^&\s]+)", link).group(1)
    return (f"http://127.0.0.1:{services.settings.web_port}/oauth/{platform}/callback?"
            + urlencode({"state": state, **query}))


async def connect(services: Services, platform: str = "tiktok") -> httpx.Response:
    run_text(services, in_telegram_group(services), f"/connect {platform}")
    return await authorise(dm_link(services, ALICE))


async def test_a_reload_of_the_success_page_still_says_connected(site) -> None:
    services = site
    page = await connect(services)
    assert page.status_code == 200 and "/oauth/result?r=" in str(page.url)
    async with httpx.AsyncClient() as browser:
        reloaded = await browser.get(page.url)
    assert reloaded.status_code == 200 and reloaded.text == page.text
    assert "Connected" in page.text and "already used" not in reloaded.text
    assert "TikTok account \u201cTest Creator\u201d is now connected" in page.text
    assert "the Telegram group \u201cCreators\u201d" in page.text
    assert "The bot has confirmed it to you in a private message on Telegram." in page.text
    with services.db.session() as session:
        assert session.scalar(select(Account.name)) == "Test Creator"


async def test_a_refusal_is_told_in_plain_words_with_the_place_and_command_and_no_provider_text(site) -> None:
    services = site
    run_text(services, in_telegram_group(services), "/connect tiktok")
    attack = "<script>alert(1)</script>" + "Call +1-555-0100 to claim your prize. " * 100
    async with httpx.AsyncClient() as browser:
        page = await browser.get(callback_url(services, dm_link(services, ALICE), error="access_denied",
                                              error_description=attack), follow_redirects=True)
    dm = messages(services, ALICE, "direct")[-1]
    assert page.status_code == 400 and "Not connected" in page.text
    assert "You didn't allow access on TikTok's page" in page.text
    assert ("Go back to the Telegram group \u201cCreators\u201d and send <code>/connect tiktok</code>"
            in page.text)
    assert "Connecting TikTok failed: You didn't allow access" in dm
    assert "the Telegram group \u201cCreators\u201d" in dm and "/connect tiktok" in dm
    for shown in (page.text, dm):
        assert "access_denied" not in shown and "prize" not in shown and "<script>" not in shown
        assert ".." not in shown
    assert len(dm) < 300


async def test_an_unknown_provider_code_is_not_echoed(site) -> None:
    services = site
    run_text(services, in_telegram_group(services), "/connect tiktok")
    async with httpx.AsyncClient() as browser:
        page = await browser.get(callback_url(services, dm_link(services, ALICE), error="evil_code_here"),
                                 follow_redirects=True)
    assert "TikTok refused the connection." in page.text and "evil_code_here" not in page.text


async def test_an_expired_link_is_told_in_the_chat_once(site) -> None:
    services = site
    run_text(services, in_telegram_group(services), "/connect youtube")
    link = dm_link(services, ALICE)
    with services.db.session() as session:
        session.execute(update(OAuthState).values(expires_at=utcnow() - timedelta(seconds=1)))
    async with httpx.AsyncClient() as browser:
        callback = (await browser.get(link)).headers["Location"]
        pages = [await browser.get(callback, follow_redirects=True) for _ in range(2)]
    told = [text for text in messages(services, ALICE, "direct") if "expired before it was used" in text]
    assert len(told) == 1, "told once, however often the old link is opened"
    assert "Send /connect youtube in the Telegram group \u201cCreators\u201d for a new one" in told[0]
    assert all(p.status_code == 400 and "This link expired" in p.text for p in pages)
    assert "The bot has also told you in a private message on Telegram." in pages[0].text


async def test_a_reused_link_is_told_in_the_chat(site) -> None:
    services = site
    run_text(services, in_telegram_group(services), "/connect tiktok")
    link = dm_link(services, ALICE)
    async with httpx.AsyncClient() as browser:
        callback = (await browser.get(link)).headers["Location"]
        first = await browser.get(callback, follow_redirects=True)
        again = await browser.get(callback, follow_redirects=True)
    assert first.status_code == 200 and again.status_code == 400 and "already used" in again.text
    assert any("opened again after it had been used; nothing changed" in text
               for text in messages(services, ALICE, "direct"))


async def test_pages_carry_security_headers_and_a_branded_home_and_not_found(site) -> None:
    services = site
    base = f"http://127.0.0.1:{services.settings.web_port}"
    async with httpx.AsyncClient() as browser:
        home = await browser.get(f"{base}/")
        missing = await browser.get(f"{base}/wp-login.php")
        forged = await browser.get(f"{base}/oauth/result", params={"r": "not-a-sealed-result"})
        health = await browser.get(f"{base}/healthz")
    assert home.status_code == 200 and "/connect youtube" in home.text and "ettametta" in home.text
    assert missing.status_code == 404 and "Page not found" in missing.text
    assert "404: Not Found" not in missing.text
    assert forged.status_code == 404 and "Page expired" in forged.text
    for response in (home, missing, forged, health):
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Server"] == "ettametta"


@pytest.fixture
async def browser():
    if chromium() is None:
        pytest.skip("chromium is not installed (scripts/test-deps.sh installs it for the test run)")
    async with running_browser() as running:
        yield running


async def test_the_pages_read_well_in_a_real_browser_on_a_phone_and_a_desktop(
    site, browser, tmp_path: Path
) -> None:
    services = site
    success = str((await connect(services)).url)
    run_text(services, in_telegram_group(services), "/connect youtube")
    refused = callback_url(services, dm_link(services, ALICE), "youtube", error="access_denied")
    missing = f"http://127.0.0.1:{services.settings.web_port}/nothing-here"
    looks = {name: await browser.look(url, tmp_path / f"{name}.png", screen=PHONE)
             for name, url in (("success", success), ("refused", refused), ("missing", missing))}
    desktop = await browser.look(success, tmp_path / "desktop.png", screen=DESKTOP)
    for name, look in looks.items():
        assert look.styled, f"{name}: the stylesheet was blocked or missing"
        assert look.layout_width == 390 and look.scroll_width <= 390, f"{name}: {look.layout_width}px wide"
        assert look.smallest_text_on_screen_px >= 16, f"{name}: {look.smallest_text_on_screen_px}px text"
        assert look.main_left >= 12 and look.main_right <= 390 - 12, f"{name}: no margins"
    assert "is now connected" in looks["success"].text and "Creators" in looks["success"].text
    assert "You didn't allow access on YouTube's page" in looks["refused"].text
    assert "/connect youtube" in looks["refused"].text
    assert "Page not found" in looks["missing"].text
    assert desktop.smallest_text_on_screen_px >= 16 and desktop.main_right - desktop.main_left <= 700
    assert desktop.main_left >= 200, "centred with room on both sides"
    for png in tmp_path.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


@pytest.mark.parametrize(("front", "external_id", "name", "said"), [
    ("discord", "900000000000000100", "Creators", "the Discord server \u201cCreators\u201d"),
    ("discord", "dm:42", "DM with ada", "your direct messages with the bot on Discord"),
    ("telegram", "-100500", "Creators", "the Telegram group \u201cCreators\u201d"),
    ("telegram", "11", "Ada", "your private chat with the bot on Telegram"),
    ("console", "local", "console", "the ettametta console"),
])
def test_the_place_a_link_came_from_is_named_as_people_know_it(front: str, external_id: str, name: str,
                                                               said: str) -> None:
    assert place(Workspace(front=front, external_id=external_id, name=name)) == said


def test_a_failure_only_the_operator_can_fix_says_so_instead_of_asking_again() -> None:
    assert "Tell the bot's operator" in explain("invalid_client", "youtube").words
    assert next_step("invalid_client", "youtube", "here") == "A new link won't help until that is fixed."
    assert next_step("invalid_grant", "youtube", "here") == ("Go back to here and send /connect youtube "
                                                             "for a new link.")
