"""Discord's refusals, classified for the outbox relay (bot/relay.py).

Discord names each refusal with a JSON error code
(discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-codes). To teach
the relay what a code means, add it to one of the tables below: a code in neither is
transient (tried again with backoff, and ended after `core.outbox.GIVE_UP_AFTER`).
A 429 waits the Retry-After Discord gave.
"""

from __future__ import annotations

import discord

from bot.relay import DeliveryError
from core.outbox import Undeliverable

UNKNOWN_MESSAGE = 10008
MESSAGE_GONE = frozenset({UNKNOWN_MESSAGE})
PERMANENT: dict[int, Undeliverable] = {
    10003: Undeliverable.chat_gone,  # Unknown Channel: the channel was deleted
    10013: Undeliverable.user_gone,  # Unknown User: the account was deleted
}


def classify(error: discord.DiscordException) -> DeliveryError:
    """What a refusal means: see `bot.relay.FailureKind`."""
    if isinstance(error, discord.RateLimited):
        return DeliveryError("Discord rate limit", error.retry_after)
    if not isinstance(error, discord.HTTPException):
        return DeliveryError(f"Discord: {type(error).__name__}: {error}")
    said = f"Discord said {error.status} ({error.code}): {error.text}"
    if error.code in MESSAGE_GONE:
        return DeliveryError.message_gone(said)
    if error.code in PERMANENT:
        return DeliveryError.permanent(said, PERMANENT[error.code])
    retry_after = float(error.response.headers.get("Retry-After", 0) or 0) if error.status == 429 else None
    return DeliveryError(said, retry_after)
