"""Small types shared by the platforms' OAuth modules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

STATE_TTL = timedelta(minutes=10)
LINK_MINUTES = int(STATE_TTL.total_seconds() // 60)


class ConnectFailed(Exception):
    """Connecting did not work. The message says what happened (for logs and commands);
    `reason` is its short code, which core.publish.oauth_words puts in plain words."""

    def __init__(self, message: str, reason: str = "refused") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class RemoteIdentity:
    """Who the token belongs to on the platform: a channel id or a TikTok open_id, and a name."""

    external_id: str
    name: str


class RefreshRefused(Exception):
    """The platform refused to refresh the token: only reconnecting helps."""


class AccessRejected(Exception):
    """The platform refused the access token itself (HTTP 401, TikTok `access_token_invalid`).

    The publisher refreshes the token once and tries again; a second refusal marks the account
    unhealthy and tells whoever connected it.
    """
