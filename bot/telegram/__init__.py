"""The Telegram front (python-telegram-bot 22): commands, inline keyboards, DMs, files, progress.

It only translates: Telegram updates become `core.invoke.run_text` calls, and `Reply`,
`Progress` and outbox events become Telegram messages.
"""

from bot.telegram.front import TelegramFront

__all__ = ["TelegramFront"]
