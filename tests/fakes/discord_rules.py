"""Rules the fake Discord enforces beyond the protocol: permissions, rate limits, refusals.

- Permissions (discord.com/developers/docs/topics/permissions): a channel's permissions are
  the @everyone role's, plus the member's roles', with the channel's overwrites applied
  (deny, then allow); Administrator allows everything. Posting needs View Channel (else
  403 / 50001 "Missing Access") and Send Messages, and Embed Links for embeds, Attach Files
  for files (else 403 / 50013 "Missing Permissions").
- Rate limits: a bucket allows `limit` requests per `window` seconds and then answers 429
  with `retry_after` (and the `Via` header real 429s carry, which discord.py checks to tell
  Discord's limits from a Cloudflare ban). Discord's per-resource sub-limits (edits of old
  messages) are not announced in headers, so neither are these.
- Every refused request (status 400 and up) is recorded, so a test can count what the
  bot cost against Discord's invalid-request limit (10,000 per 10 minutes per IP).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
ADD_REACTIONS = 1 << 6
MANAGE_MESSAGES = 1 << 13
USE_APPLICATION_COMMANDS = 1 << 31
ADMINISTRATOR = 1 << 3
NAMES = {
    "view_channel": VIEW_CHANNEL, "send_messages": SEND_MESSAGES, "embed_links": EMBED_LINKS,
    "attach_files": ATTACH_FILES, "read_message_history": READ_MESSAGE_HISTORY,
    "add_reactions": ADD_REACTIONS, "manage_messages": MANAGE_MESSAGES,
}
EVERYONE = (VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
            | ADD_REACTIONS | USE_APPLICATION_COMMANDS)
BOT_INVITE = (VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | ADD_REACTIONS | MANAGE_MESSAGES
              | READ_MESSAGE_HISTORY)
MISSING_ACCESS = (403, 50001, "Missing Access")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")


def mask(*names: str) -> int:
    bits = 0
    for name in names:
        bits |= NAMES[name]
    return bits


@dataclass
class Overwrite:
    target: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.target), "type": 0, "allow": str(self.allow), "deny": str(self.deny)}


def channel_permissions(base: int, overwrites: list[Overwrite], role_ids: set[int]) -> int:
    """What a member with `base` (their roles' permissions) may do in a channel."""
    if base & ADMINISTRATOR:
        return -1
    allowed = base
    for overwrite in overwrites:
        if overwrite.target in role_ids:
            allowed &= ~overwrite.deny
    for overwrite in overwrites:
        if overwrite.target in role_ids:
            allowed |= overwrite.allow
    return allowed


def refusal_to_post(allowed: int, *, embeds: bool, files: bool) -> tuple[int, int, str] | None:
    """Why Discord refuses a message in a channel with `allowed` permissions, or None."""
    if not allowed & VIEW_CHANNEL:
        return MISSING_ACCESS
    needed = SEND_MESSAGES | (EMBED_LINKS if embeds else 0) | (ATTACH_FILES if files else 0)
    return None if allowed & needed == needed else MISSING_PERMISSIONS


@dataclass
class Bucket:
    """`limit` requests per `window` seconds; the times of the requests it let through."""

    limit: int
    window: float
    hits: list[float] = field(default_factory=list)

    def retry_after(self, now: float) -> float | None:
        """None if a request may go now (and counts it), else the seconds to wait."""
        self.hits = [t for t in self.hits if t > now - self.window]
        if len(self.hits) >= self.limit:
            return self.hits[0] + self.window - now
        self.hits.append(now)
        return None


def too_many_requests(retry_after: float) -> tuple[bytes, dict[str, str]]:
    """The body and headers of Discord's 429 (discord.com/developers/docs/topics/rate-limits)."""
    body = json.dumps({"message": "You are being rate limited.", "retry_after": round(retry_after, 3),
                       "global": False}).encode()
    headers = {"Content-Type": "application/json", "Retry-After": str(math.ceil(retry_after)),
               "X-RateLimit-Scope": "shared", "Via": "1.1 google"}
    return body, headers


@dataclass(frozen=True)
class Refusal:
    """A request the fake Discord refused: what was asked, and the answer."""

    method: str
    path: str
    status: int
    code: int
