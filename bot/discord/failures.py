"""Discord's refusals, classified for the outbox relay (bot/relay.py).

Discord names each refusal with a JSON error code
(discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-codes). To teach
the relay what a code means, add it to one of the tables below: a code in neither is
transient (tried again with backoff, and ended after `core.outbox.GIVE_UP_AFTER`).
A 429 (or discord.py's `RateLimited`, raised instead of sleeping when Discord asks for more
than `max_ratelimit_timeout`) holds that kind of request in that channel for the Retry-After
Discord gave. Codes in `MISSING_PERMISSION` end the message too, after the deliverer has
named the missing permission and told whoever asked (bot/discord/permissions.py).
"""

from __future__ import annotations

import discord

from bot.relay import DeliveryError
from core.outbox import Undeliverable

UNKNOWN_MESSAGE = 10008
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
MESSAGE_GONE = frozenset({UNKNOWN_MESSAGE})
MISSING_PERMISSION = frozenset({MISSING_ACCESS, MISSING_PERMISSIONS})
PERMANENT: dict[int, Undeliverable] = {
    10003: Undeliverable.chat_gone,  # Unknown Channel: the channel was deleted
    10013: Undeliverable.user_gone,  # Unknown User: the account was deleted
    MISSING_ACCESS: Undeliverable.no_permission,  # Missing Access: the bot can't see the channel
    MISSING_PERMISSIONS: Undeliverable.no_permission,  # Missing Permissions: e.g. Send Messages
}
INTERACTION_TOKEN_GONE = frozenset({
    50027,  # Invalid Webhook Token: the interaction's 15 minutes are over (HTTP 401)
    10015,  # Unknown Webhook: the interaction is unknown to Discord
})


def classify(error: discord.DiscordException) -> DeliveryError:
    """What a refusal means: see `bot.relay.FailureKind`."""
    if isinstance(error, discord.RateLimited):
        return DeliveryError.rate_limited(f"Discord rate limit: retry in {error.retry_after:.0f} s",
                                          error.retry_after)
    if not isinstance(error, discord.HTTPException):
        return DeliveryError(f"Discord: {type(error).__name__}: {error}")
    said = f"Discord said {error.status} ({error.code}): {error.text}"
    if error.code in MESSAGE_GONE:
        return DeliveryError.message_gone(said)
    if error.code in PERMANENT:
        return DeliveryError.permanent(said, PERMANENT[error.code])
    if error.status == 429:
        return DeliveryError.rate_limited(said, float(error.response.headers.get("Retry-After", 0) or 0))
    return DeliveryError(said)


def token_gone(error: discord.HTTPException) -> bool:
    """The interaction can't be answered any more: its token expired or Discord forgot it."""
    return error.code in INTERACTION_TOKEN_GONE
