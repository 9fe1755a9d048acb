"""Encrypted OAuth tokens: sealed with their own key (core/keys.py), refreshed before they expire,
health tracked.

Everything that calls a platform on a person's behalf (uploads, analytics) asks
`access_token` for a bearer token. A refresh that the platform refuses (revoked access, a
Google "Testing" app's 7-day limit) marks the account unhealthy and DMs whoever connected
it, once, so the person learns about it from the bot and not from a silent failure.
TikTok rotates refresh tokens: the new one is stored after every refresh.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import update
from sqlalchemy.orm import Session

from core import outbox
from core.config import Settings
from core.keys import Purpose, Sealer
from core.messages import Reply
from core.models import Account, Member
from core.publish import oauth_google, oauth_tiktok
from core.publish.oauth_types import RefreshRefused
from core.services import Services

log = logging.getLogger(__name__)

REFRESH_MARGIN_S = 300


class TokenError(Exception):
    """The account can't be used until someone reconnects it; the message says so plainly."""


def cipher(settings: Settings) -> Sealer:
    """Seals and opens OAuth tokens and PKCE verifiers at rest."""
    return Sealer(settings, Purpose.oauth_tokens)


def settings_of(session: Session) -> Settings:
    """The settings a session was made with (every `Database` session carries them)."""
    settings = session.info.get("settings")
    if settings is None:
        raise RuntimeError("this session was not made by core.db.Database; it has no settings")
    return settings


def store_tokens(
    session: Session, account: Account, token_dict: dict[str, Any], *, settings: Settings | None = None
) -> None:
    """Encrypt and keep a token response (`expires_in` or `expires_at`); the account is healthy again.

    A response without a refresh token (Google sends one only on first consent, refreshes
    omit it) keeps the refresh token already stored.
    """
    settings = settings or settings_of(session)
    tokens = _normalise(token_dict)
    if not tokens.get("refresh_token") and account.token_blob:
        previous = load_tokens(settings, account)
        if previous.get("refresh_token"):
            tokens["refresh_token"] = previous["refresh_token"]
    account.token_blob = _seal(settings, tokens)
    account.expires_at = _as_datetime(tokens.get("expires_at"))
    account.healthy = True
    account.health_note = ""


def load_tokens(settings: Settings, account: Account) -> dict[str, Any]:
    """The decrypted token dict (access_token, refresh_token, expires_at epoch seconds…)."""
    if not account.token_blob:
        raise TokenError(f"The {account.platform} account {describe(account)} has no stored tokens; "
                         f"reconnect it with /connect {account.platform}.")
    try:
        return json.loads(cipher(settings).open(account.token_blob))
    except InvalidToken:
        raise TokenError(
            f"The tokens of {describe(account)} can't be decrypted: SECRET_KEY changed since it was "
            f"connected. Reconnect it with /connect {account.platform}."
        ) from None


def access_token(services: Services, account: Account | int, *, force: bool = False) -> str:
    """A bearer token for the account, refreshed first when it expires within five minutes
    (or at once with `force`: the platform refused the current one).

    Raises TokenError (account marked unhealthy, the connector told by DM) when the platform
    refuses the refresh, and core.jobs.RetryLater when the platform could not be reached.
    Opens its own short transactions; no network call happens while one is open.
    """
    if isinstance(services, Session):
        raise TypeError("access_token takes the Services, not a session: it commits on its own")
    account_id = account if isinstance(account, int) else account.id
    settings = services.settings
    with services.db.session() as session:
        row = session.get(Account, account_id)
        if row is None:
            raise TokenError(f"Account #{account_id} is no longer connected.")
        if not row.healthy:
            raise TokenError(f"{describe(row)} needs reconnecting ({row.health_note or 'token refused'}): "
                             f"run /connect {row.platform}.")
        tokens = load_tokens(settings, row)
        old_blob, platform = row.token_blob, row.platform
    if not force and not _expiring(tokens):
        return str(tokens["access_token"])
    try:
        fresh = refresh(settings, platform, tokens)
    except TokenError as exc:
        elsewhere = _refreshed_elsewhere(services, account_id, old_blob)
        if elsewhere is not None:
            return elsewhere
        mark_unhealthy(services, account_id, str(exc))
        raise
    merged = _normalise({**tokens, **fresh})
    with services.db.session() as session:
        changed = session.execute(
            update(Account).where(Account.id == account_id, Account.token_blob == old_blob)
            .values(token_blob=_seal(settings, merged), expires_at=_as_datetime(merged.get("expires_at")))
        ).rowcount
    if not changed:
        return _refreshed_elsewhere(services, account_id, old_blob) or str(merged["access_token"])
    return str(merged["access_token"])


def refresh(settings: Settings, platform: str, tokens: dict[str, Any]) -> dict[str, Any]:
    """Ask the platform for a new access token (and, on TikTok, a new refresh token)."""
    refresh_token = tokens.get("refresh_token")
    if not refresh_token:
        raise TokenError("no refresh token was granted (connect again and allow offline access)")
    provider = {"youtube": oauth_google, "tiktok": oauth_tiktok}.get(platform)
    if provider is None:
        raise TokenError(f"unknown platform {platform!r}")
    try:
        return provider.refresh(settings, refresh_token)
    except RefreshRefused as exc:
        raise TokenError(str(exc)) from None


def mark_unhealthy(services: Services, account_id: int, reason: str) -> None:
    """Record why the account can't be used and, the first time, DM whoever connected it."""
    with services.db.session() as session:
        account = session.get(Account, account_id)
        if account is None:
            return
        first_time = account.healthy
        account.healthy = False
        account.health_note = reason[:500]
        log.warning("account %s (%s) marked unhealthy: %s", account.id, account.platform, reason)
        if first_time and account.connected_by is not None:
            member = session.get(Member, account.connected_by)
            if member is not None:
                outbox.direct(session, member, reconnect_reply(session, services.settings, account, reason))


def reconnect_reply(session: Session, settings: Settings, account: Account, reason: str) -> Reply:
    """The DM to the connector: what broke, and a fresh link (or /connect when it can't make one)."""
    from core.publish import oauth

    text = (f"I can no longer use the {account.platform} account {describe(account)}: {reason}. "
            "Publishing to it is paused until you reconnect it")
    try:
        link = oauth.begin(session, settings, account.platform, account.workspace_id, account.connected_by)
    except oauth.ConnectFailed:
        return Reply(text=f"{text}: run /connect {account.platform}.", subject=f"account:{account.id}")
    text += (f" with this link (valid 10 minutes; /connect {account.platform} makes a new one):\n"
             f"{link}")
    return Reply(text=text, subject=f"account:{account.id}", one_time_secret=True)


def describe(account: Account) -> str:
    return f"\u201c{account.name}\u201d (#{account.id})" if account.name else f"#{account.id}"


def _expiring(tokens: dict[str, Any]) -> bool:
    expires_at = tokens.get("expires_at")
    return expires_at is None or float(expires_at) - time.time() < REFRESH_MARGIN_S


def _refreshed_elsewhere(services: Services, account_id: int, old_blob: bytes | None) -> str | None:
    """Another worker refreshed (and, on TikTok, rotated) at the same time: use its token."""
    with services.db.session() as session:
        row = session.get(Account, account_id)
        if row is None or row.token_blob == old_blob or not row.token_blob:
            return None
        tokens = load_tokens(services.settings, row)
    return None if _expiring(tokens) else str(tokens["access_token"])


def _normalise(tokens: dict[str, Any]) -> dict[str, Any]:
    out = dict(tokens)
    if "expires_in" in out:
        out["expires_at"] = time.time() + float(out.pop("expires_in"))
    if "refresh_expires_in" in out:
        out["refresh_expires_at"] = time.time() + float(out.pop("refresh_expires_in"))
    return out


def _seal(settings: Settings, tokens: dict[str, Any]) -> bytes:
    return cipher(settings).seal(json.dumps(tokens, sort_keys=True).encode())


def _as_datetime(epoch: Any) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(float(epoch), UTC)
