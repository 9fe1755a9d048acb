"""Telegram's refusals, classified for the outbox relay (bot/relay.py).

The Bot API names a refusal only by its HTTP status and an English description; the
descriptions are stable (a collection: github.com/TelegramBotAPI/errors). A 400 or 403 is
never cured by sending the same request again, so an unknown one is permanent too; network
trouble, 5xx, 401 and 409 are transient (the operator or Telegram fixes them and the message
is still owed). To teach the relay a new answer, add its description to a table below.
"""

from __future__ import annotations

from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.relay import DeliveryError
from bot.telegram.client import retry_seconds
from core.outbox import Undeliverable

MESSAGE_GONE = ("message to edit not found", "message can't be edited")
PERMANENT: tuple[tuple[str, Undeliverable], ...] = (
    ("bot was blocked by the user", Undeliverable.blocked),
    ("bot can't initiate conversation", Undeliverable.no_private_chat),
    ("user is deactivated", Undeliverable.user_gone),
    ("bot was kicked", Undeliverable.bot_removed),
    ("bot is not a member", Undeliverable.bot_removed),
    ("chat not found", Undeliverable.chat_gone),
    ("group is deactivated", Undeliverable.chat_gone),
    ("not enough rights", Undeliverable.no_permission),
    ("have no rights", Undeliverable.no_permission),
    ("chat_write_forbidden", Undeliverable.no_permission),
    ("need administrator rights", Undeliverable.no_permission),
)


def classify(error: TelegramError, chat_ref: str) -> DeliveryError:
    """What a refusal of a message for `chat_ref` means: see `bot.relay.FailureKind`."""
    said = f"Telegram: {error.message}"
    if isinstance(error, ChatMigrated):
        return DeliveryError.chat_moved(said, chat_ref, str(error.new_chat_id))
    if isinstance(error, RetryAfter):
        return DeliveryError.rate_limited(str(error), retry_seconds(error))
    if not isinstance(error, BadRequest | Forbidden):
        return DeliveryError(said)
    text = error.message.lower()
    if any(phrase in text for phrase in MESSAGE_GONE):
        return DeliveryError.message_gone(said)
    reason = next((reason for phrase, reason in PERMANENT if phrase in text), None)
    if reason is None:
        reason = Undeliverable.no_permission if isinstance(error, Forbidden) else Undeliverable.refused
    return DeliveryError.permanent(said, reason)
