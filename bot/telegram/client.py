"""Building the PTB Application and the facts that depend on which Bot API server we talk to."""

from __future__ import annotations

import datetime as dt
import re
import warnings

from telegram import BotCommand
from telegram.error import RetryAfter
from telegram.ext import Application
from telegram.warnings import PTBDeprecationWarning

from core.commands.registry import all_commands
from core.config import Settings

MB = 1024 * 1024
OFFICIAL_UPLOAD_LIMIT = 50 * MB
LOCAL_SERVER_UPLOAD_LIMIT = 2000 * MB
OFFICIAL_DOWNLOAD_LIMIT = 20 * MB
PHOTO_LIMIT = 10 * MB
MAX_MENU_COMMANDS = 100
_MENU_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


def upload_limit(settings: Settings) -> int:
    """50 MB on Telegram's servers; a self-hosted Bot API server (TELEGRAM_API_BASE_URL) takes 2000 MB."""
    return LOCAL_SERVER_UPLOAD_LIMIT if settings.telegram_api_base_url else OFFICIAL_UPLOAD_LIMIT


def download_limit(settings: Settings) -> int | None:
    """Bots may fetch files up to 20 MB from Telegram's servers; a local server has no such cap."""
    return None if settings.telegram_api_base_url else OFFICIAL_DOWNLOAD_LIMIT


def build_application(settings: Settings, api_root: str, *, webhook: bool) -> Application:
    """The Application for TELEGRAM_TOKEN; `api_root` is a Bot API server's root (empty: Telegram's)."""
    builder = (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .concurrent_updates(True)
        .read_timeout(30)
        .media_write_timeout(600)
        .get_updates_read_timeout(40)
    )
    if api_root:
        root = api_root.rstrip("/")
        builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
    if webhook:
        builder = builder.updater(None)
    return builder.build()


def menu_commands() -> list[BotCommand]:
    """The registry as Telegram's command menu (names Telegram can't show are still typeable)."""
    commands = [BotCommand(cmd.name, cmd.help[:256]) for cmd in all_commands()
                if _MENU_NAME.match(cmd.name) and cmd.help]
    return commands[:MAX_MENU_COMMANDS]


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asked us to wait; PTB gives seconds or a timedelta (PTB_TIMEDELTA) and
    warns about the change on each read, which says nothing to our users."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
