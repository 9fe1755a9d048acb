"""The Telegram front as `ettametta run` sees it: start (polling or webhook), relay, stop."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.relay import Relay
from bot.telegram.callers import FRONT, Callers
from bot.telegram.client import build_application, download_limit, menu_commands, upload_limit
from bot.telegram.deliver import TelegramDeliverer
from bot.telegram.handlers import Handlers, log_error
from bot.telegram.sender import ReplySender
from bot.telegram.webhook import webhook_route, webhook_secret
from bot.web import RouteSetup
from core.services import Services

log = logging.getLogger(__name__)

EDIT_INTERVAL_SECONDS = 3.0
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
COMMAND_CAPTION = filters.CaptionRegex(r"^/") & (
    filters.Document.ALL | filters.VIDEO | filters.AUDIO | filters.ANIMATION
)


class TelegramFront:
    """Long polling by default; with TELEGRAM_WEBHOOK_URL set, updates arrive through `web_routes`.

    `api_root` names the Bot API server to talk to (default: TELEGRAM_API_BASE_URL, else
    Telegram's); the upload limit follows TELEGRAM_API_BASE_URL alone, because only a
    self-hosted server lifts it.
    """

    front = FRONT

    def __init__(
        self,
        services: Services,
        *,
        api_root: str | None = None,
        min_edit_interval: float = EDIT_INTERVAL_SECONDS,
        relay_interval: float = 0.3,
    ) -> None:
        settings = services.settings
        self.services = services
        self.webhook = bool(settings.telegram_webhook_url)
        root = settings.telegram_api_base_url if api_root is None else api_root
        self.application = build_application(settings, root, webhook=self.webhook)
        bot = self.application.bot
        self.sender = ReplySender(services, bot, upload_limit(settings))
        self.deliverer = TelegramDeliverer(services, bot, self.sender)
        self.relay = Relay(services, self.deliverer, interval=relay_interval,
                           min_edit_interval=min_edit_interval)
        self.handlers = Handlers(services, Callers(bot), self.sender, self.deliverer,
                                 download_limit(settings))
        self.web_routes: tuple[RouteSetup, ...] = (
            (webhook_route(settings, self.application),) if self.webhook else ()
        )
        self.application.add_handler(MessageHandler(filters.COMMAND | COMMAND_CAPTION,
                                                    self.handlers.on_command))
        self.application.add_handler(CallbackQueryHandler(self.handlers.on_callback))
        self.application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self.handlers.on_migrate))
        self.application.add_error_handler(log_error)

    async def start(self) -> None:
        """Log in (getMe), publish the command menu, then poll or register the webhook."""
        try:
            await self.application.initialize()
        except InvalidToken:
            raise RuntimeError("Telegram rejected TELEGRAM_TOKEN: check the token BotFather gave "
                               "you") from None
        except TelegramError as exc:
            raise RuntimeError(f"could not reach the Telegram Bot API: {exc}") from None
        await self.application.bot.set_my_commands(menu_commands())
        settings = self.services.settings
        if self.webhook:
            await self.application.bot.set_webhook(
                settings.telegram_webhook_url, secret_token=webhook_secret(settings),
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            assert self.application.updater is not None
            await self.application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await self.application.start()
        log.info("Telegram front started as @%s (%s)", self.application.bot.username,
                 "webhook" if self.webhook else "long polling")

    async def stop(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
