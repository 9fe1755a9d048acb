"""Webhook mode: Telegram POSTs updates to TELEGRAM_WEBHOOK_URL, served by the shared web server.

Each request must carry the secret token we registered with setWebhook; anything else is
refused, so a stranger who learns the URL cannot inject updates.
"""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.web import RouteSetup
from core.config import Settings
from core.keys import Purpose, derive

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_PATH = "/telegram/webhook"


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, or one derived from the secret key (stable across restarts)."""
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret.get_secret_value()
    return derive(settings, Purpose.telegram_webhook).hex()


def webhook_path(settings: Settings) -> str:
    return urlsplit(settings.telegram_webhook_url).path or DEFAULT_PATH


def webhook_route(settings: Settings, application: Application) -> RouteSetup:
    path = webhook_path(settings)
    secret = webhook_secret(settings)

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403, text="wrong or missing secret token")
        try:
            update = Update.de_json(await request.json(), application.bot)
        except ValueError:
            return web.Response(status=400, text="not a Telegram update")
        await application.update_queue.put(update)
        return web.Response(text="ok")

    def setup(app: web.Application) -> None:
        app.router.add_post(path, receive)

    return setup
