"""Connecting YouTube and TikTok by DM link, end to end against fake OAuth servers."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from core.models import Account, OAuthState, utcnow
from core.publish import tokens
from tests.support.oauth_site import authorise, dm_link
from tests.support.publishing import expire_access_token, messages, person, run

pytest_plugins = ("tests.support.oauth_fixtures",)


@pytest.mark.parametrize("platform", ["youtube", "tiktok"])
async def test_connecting_stores_encrypted_tokens_and_confirms_by_dm(site, fakes, platform: str) -> None:
    services = site
    person(services, "alice")
    reply = run(services, f"/connect {platform}")
    assert "Check your DMs" in reply.text and "http" not in reply.text
    page = await authorise(dm_link(services))
    assert page.status_code == 200 and "You can close this tab" in page.text, page.text
    with services.db.session() as session:
        account = session.scalar(select(Account))
        blob = account.token_blob
        plain = tokens.load_tokens(services.settings, account)
    assert plain["access_token"] and plain["refresh_token"]
    assert plain["access_token"].encode() not in blob and plain["refresh_token"].encode() not in blob
    name = "Cooking With Ada" if platform == "youtube" else "Test Creator"
    assert account.name == name and account.healthy
    assert any(f"Connected {'YouTube' if platform == 'youtube' else 'TikTok'} \u201c{name}\u201d" in text
               for text in messages(services, "alice", "direct"))
    assert all(plain["access_token"] not in text for text in messages(services, "alice"))


async def test_youtube_refresh_gives_a_new_access_token_and_keeps_the_refresh_token(site, fakes) -> None:
    services = site
    person(services, "alice")
    run(services, "/connect youtube")
    await authorise(dm_link(services))
    with services.db.session() as session:
        account_id = session.scalar(select(Account.id))
    first = tokens.access_token(services, account_id)
    assert tokens.access_token(services, account_id) == first, "a fresh token is reused"
    expire_access_token(services, account_id)
    second = tokens.access_token(services, account_id)
    assert second != first and fakes[0].user_for(second) in fakes[1].channels
    expire_access_token(services, account_id)
    assert tokens.access_token(services, account_id) not in (first, second)


async def test_tiktok_refresh_tokens_rotate_and_the_new_one_is_stored(site, fakes) -> None:
    services = site
    person(services, "alice")
    run(services, "/connect tiktok")
    await authorise(dm_link(services))
    with services.db.session() as session:
        account = session.scalar(select(Account))
    original = tokens.load_tokens(services.settings, account)["refresh_token"]
    for _ in range(3):
        expire_access_token(services, account.id)
        tokens.access_token(services, account.id)
    with services.db.session() as session:
        stored = tokens.load_tokens(services.settings, session.get_one(Account, account.id))
    assert stored["refresh_token"] != original
    assert original not in fakes[2].refresh_tokens, "the fake invalidated the rotated-out token"


async def test_a_replayed_state_is_refused_and_not_logged(site, caplog) -> None:
    services = site
    person(services, "alice")
    run(services, "/connect tiktok")
    link = dm_link(services)
    async with httpx.AsyncClient() as browser:
        callback = (await browser.get(link)).headers["Location"]
        assert (await browser.get(callback, follow_redirects=True)).status_code == 200
        with caplog.at_level(logging.INFO):
            again = await browser.get(callback, follow_redirects=True)
    assert again.status_code == 400 and "already used" in again.text
    state = re.search(r"state=([^&]+)", callback).group(1)
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith(("core", "bot")))
    assert "already used" in ours and state not in ours


async def test_an_expired_or_unknown_state_is_refused(site, caplog) -> None:
    services = site
    person(services, "alice")
    run(services, "/connect youtube")
    link = dm_link(services)
    with services.db.session() as session:
        session.execute(update(OAuthState).values(expires_at=utcnow() - timedelta(seconds=1)))
    async with httpx.AsyncClient() as browser:
        callback = (await browser.get(link)).headers["Location"]
        expired = await browser.get(callback, follow_redirects=True)
        forged = await browser.get(re.sub(r"state=[^&]+", "state=forged-state-value", callback),
                                   follow_redirects=True)
        wrong_platform = await browser.get(callback.replace("/youtube/", "/tiktok/"), follow_redirects=True)
    assert expired.status_code == 400 and "expired" in expired.text
    assert forged.status_code == 400 and "isn't one the bot made" in forged.text
    assert wrong_platform.status_code == 400
    assert all("forged-state-value" not in r.getMessage() for r in caplog.records
               if r.name.startswith(("core", "bot")))
    with services.db.session() as session:
        assert session.scalar(select(Account)) is None


@pytest.mark.parametrize("platform", ["youtube", "tiktok"])
async def test_a_revoked_refresh_token_marks_the_account_and_dms_a_reconnect_link(site, fakes,
                                                                                   platform: str) -> None:
    services = site
    person(services, "alice")
    run(services, f"/connect {platform}")
    await authorise(dm_link(services))
    with services.db.session() as session:
        account_id = session.scalar(select(Account.id))
    (fakes[0] if platform == "youtube" else fakes[2]).revoke_all()
    expire_access_token(services, account_id)
    with pytest.raises(tokens.TokenError):
        tokens.access_token(services, account_id)
    with pytest.raises(tokens.TokenError, match="needs reconnecting"):
        tokens.access_token(services, account_id)
    with services.db.session() as session:
        account = session.get_one(Account, account_id)
    assert not account.healthy and "refused" in account.health_note
    warnings = [t for t in messages(services, "alice", "direct") if "can no longer use" in t]
    assert len(warnings) == 1, "the connector is told once"
    assert "/oauth" in warnings[0] or "authorize" in warnings[0]
    listing = run(services, "/accounts").text
    assert "needs reconnecting" in listing


async def test_declining_on_the_consent_page_connects_nothing_and_says_so(site) -> None:
    services = site
    person(services, "alice")
    run(services, "/connect tiktok")
    state = re.search(r"state=([^&\s]+)", dm_link(services)).group(1)
    port = services.settings.web_port
    async with httpx.AsyncClient() as browser:
        page = await browser.get(f"http://127.0.0.1:{port}/oauth/tiktok/callback",
                                 params={"state": state, "error": "access_denied",
                                         "error_description": "The user denied the request"},
                                 follow_redirects=True)
    assert page.status_code == 400 and "You didn't allow access" in page.text
    assert "Nothing was connected" in page.text and "access_denied" not in page.text
    assert any("Connecting TikTok failed" in text for text in messages(services, "alice", "direct"))
    with services.db.session() as session:
        assert session.scalar(select(Account)) is None
