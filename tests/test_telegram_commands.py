"""The Telegram front end to end: a real PTB Application against the fake Bot API."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from bot.fronts import chat_fronts
from bot.telegram import TelegramFront
from bot.telegram.webhook import SECRET_HEADER
from bot.web import WebServer
from core.config import ConfigError
from core.doctor import Level, check_telegram
from tests.conftest import make_settings
from tests.fakes.telegram_server import FakeTelegram
from tests.support.media import video
from tests.support.telegram import ADMIN, GROUP, VIEWER, telegram_front

ANONYMOUS_ADMIN_BOT = 1087968824
SUPERGROUP = -1009990001


async def test_start_publishes_the_command_menu_and_greets(services) -> None:
    async with telegram_front(services) as tg:
        menu = json.loads(tg.fake.sent("setMyCommands")[0].params["commands"])
        names = {entry["command"] for entry in menu}
        assert {"help", "probe", "queue", "cancel"} <= names
        assert next(e for e in menu if e["command"] == "probe")["description"] == (
            "Inspect a media file and report its streams.")
        tg.fake.send_text(ADMIN, ADMIN, "/start")
        assert "/help lists the commands" in await tg.said(ADMIN, "ettametta")


async def test_help_lists_every_command_in_a_group(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.send_text(GROUP, VIEWER, "/help@ettametta_test_bot")
        text = await tg.said(GROUP, "Commands (/help NAME explains one)")
        assert "/probe [PATH] — Inspect a media file" in text
        assert "/cancel JOB" in text


async def test_a_command_for_another_bot_is_ignored(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.send_text(GROUP, VIEWER, "/help@some_other_bot")
        tg.fake.send_text(GROUP, VIEWER, "/status")
        await tg.said(GROUP, "Database:")
        assert not [t for t in tg.texts(GROUP) if "Commands (" in t]


async def test_bad_arguments_get_the_usage_text(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.send_text(GROUP, ADMIN, "/cancel soon")
        text = await tg.said(GROUP, "job must be a whole number")
        assert text == "job must be a whole number, not 'soon'.\nUsage: /cancel JOB"
        tg.fake.send_text(GROUP, ADMIN, '/queue "unclosed')
        await tg.said(GROUP, "A quote is not closed")


async def test_a_viewer_is_told_which_role_a_command_needs(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.send_text(GROUP, VIEWER, "/cancel 1")
        text = await tg.said(GROUP, "Only editors and owners can run /cancel")
        assert "you are a viewer" in text


async def test_an_uploaded_video_with_probe_as_caption_runs_the_job(services, worker, tmp_path: Path) -> None:
    clip = video(tmp_path / "holiday.mp4", seconds=1, size="160x120")
    async with telegram_front(services) as tg:
        tg.fake.send_document(GROUP, ADMIN, clip, "/probe")
        await tg.said(GROUP, "Started job #1: probe tg-")
        await tg.said(GROUP, "Job #1 probe [")
        report = await tg.said(GROUP, "video h264 160x120")
        assert "audio aac" in report
    stored = list((tg.services.settings.data_dir / "uploads").iterdir())
    assert len(stored) == 1 and stored[0].name.startswith("tg-") and stored[0].suffix == ".mp4"
    assert stored[0].read_bytes() == clip.read_bytes()


async def test_probe_without_a_file_asks_for_an_attachment(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.send_text(GROUP, ADMIN, "/probe /etc/passwd")
        await tg.said(GROUP, "Attach the video to your message")


async def test_webhook_mode_takes_updates_only_with_the_secret_token(services) -> None:
    webhook = "https://bot.example.org/telegram/hook"
    async with telegram_front(services, relay=False, telegram_webhook_url=webhook,
                              telegram_webhook_secret="s3cret-token") as tg:
        registered = tg.fake.sent("setWebhook")[0].params
        assert registered["url"] == webhook and registered["secret_token"] == "s3cret-token"
        assert not tg.fake.sent("getUpdates")
        web = WebServer(tg.services, tg.front.web_routes)
        await web.start()
        update = tg.fake.send_text(ADMIN, ADMIN, "/status")
        url = f"http://127.0.0.1:{web.port}/telegram/hook"
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(url, json=update, headers={SECRET_HEADER: "wrong"}) as refused:
                    assert refused.status == 403
                async with http.post(url, json=update, headers={SECRET_HEADER: "s3cret-token"}) as taken:
                    assert taken.status == 200
            await tg.said(ADMIN, "Database:")
        finally:
            await web.stop()


async def test_a_bad_token_is_reported_clearly(services) -> None:
    fake = await FakeTelegram(token="1:right").start()
    settings = services.settings.model_copy(update={"telegram_token": SecretStr("1:wrong")})
    front = TelegramFront(type(services)(settings, services.db, services.dispatcher), api_root=fake.root)
    try:
        with pytest.raises(RuntimeError, match="Telegram rejected TELEGRAM_TOKEN"):
            await front.start()
    finally:
        await fake.stop()


def test_doctor_says_how_telegram_receives_updates_and_its_upload_limit(tmp_path: Path) -> None:
    polling = make_settings(tmp_path, telegram_token="1:t")
    assert check_telegram(polling)[0].detail == "long polling; uploads up to 50 MB"
    plain = make_settings(tmp_path, telegram_token="1:t", telegram_webhook_url="http://x.example/hook")
    assert check_telegram(plain)[0].level is Level.warn
    assert check_telegram(make_settings(tmp_path)) == []


def test_a_webhook_secret_telegram_would_refuse_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        make_settings(tmp_path, telegram_webhook_secret="has spaces!")


def test_a_telegram_token_adds_the_telegram_front(services) -> None:
    configured = type(services)(services.settings.model_copy(update={"telegram_token": SecretStr("1:t")}),
                                services.db, services.dispatcher)
    assert "telegram" in [front.front for front in chat_fronts(configured)]
    assert "telegram" not in [front.front for front in chat_fronts(services)]


async def test_an_anonymous_group_admin_is_an_owner(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.send_text(GROUP, VIEWER, "/help")
        await tg.said(GROUP, "Commands")
        as_group = tg.fake.chat(GROUP)
        tg.fake.send_text(GROUP, ANONYMOUS_ADMIN_BOT, f"/role {VIEWER} editor", sender_chat=as_group)
        await tg.said(GROUP, f"user{VIEWER} is now editor.")


async def test_a_group_that_becomes_a_supergroup_keeps_its_workspace(services) -> None:
    async with telegram_front(services) as tg:
        tg.fake.send_text(GROUP, ADMIN, "/settings niche cooking")
        await tg.said(GROUP, "niche is now cooking.")
        tg.fake.migrate(GROUP, SUPERGROUP)
        tg.fake.send_text(SUPERGROUP, ADMIN, "/settings niche")
        await tg.said(SUPERGROUP, "niche = cooking")


async def test_a_viewer_uploading_a_video_is_refused_before_any_download(services, tmp_path: Path) -> None:
    clip = video(tmp_path / "clip.mp4", seconds=1, size="160x120")
    async with telegram_front(services) as tg:
        tg.fake.send_document(GROUP, VIEWER, clip, "/probe")
        await tg.said(GROUP, "Only editors and owners can run /probe")
        assert not tg.fake.sent("getFile")
    assert not (tg.services.settings.data_dir / "uploads").exists()


async def test_a_file_telegram_will_not_hand_over_is_reported(services, tmp_path: Path) -> None:
    clip = video(tmp_path / "clip.mp4", seconds=1, size="160x120")
    async with telegram_front(services) as tg:
        tg.fake.fail_next("getFile", 400, "Bad Request: file is too big")
        tg.fake.send_document(GROUP, ADMIN, clip, "/probe")
        text = await tg.said(GROUP, "I couldn't fetch that file from Telegram")
        assert "File is too big" in text
