"""Encrypted OAuth tokens: stored with Fernet, refreshed before they expire, health tracked.

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

import httpx
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import update
from sqlalchemy.orm import Session

from core import outbox
from core.config import Settings
from core.jobs import RetryLater
from core.messages import Reply
from core.models import Account, Member
from core.services import Services

log = logging.getLogger(__name__)

REFRESH_MARGIN_S = 300
NETWORK_RETRY_S = 60.0
HTTP_TIMEOUT_S = 30.0


class TokenError(Exception):
    """The account can't be used until someone reconnects it; the message says so plainly."""


def cipher(settings: Settings) -> Fernet:
    return Fernet(settings.fernet_key())


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
        return json.loads(cipher(settings).decrypt(account.token_blob))
    except InvalidToken:
        raise TokenError(
            f"The tokens of {describe(account)} can't be decrypted: SECRET_KEY changed since it was "
            f"connected. Reconnect it with /connect {account.platform}."
        ) from None


def access_token(services: Services, account: Account | int) -> str:
    """A bearer token for the account, refreshed first when it expires within five minutes.

    Raises TokenError (account marked unhealthy, the connector told by DM) when the platform
    refuses the refresh, and RetryLater when the platform could not be reached.
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
    if not _expiring(tokens):
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
    if platform == "youtube":
        return _refresh_google(settings, refresh_token)
    if platform == "tiktok":
        return _refresh_tiktok(settings, refresh_token)
    raise TokenError(f"unknown platform {platform!r}")


def _refresh_google(settings: Settings, refresh_token: str) -> dict[str, Any]:
    from google.auth.exceptions import RefreshError, TransportError
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    credentials = Credentials(
        token=None, refresh_token=refresh_token, token_uri=settings.google_token_uri,
        client_id=settings.google_client_id, client_secret=settings.google_client_secret,
    )
    try:
        credentials.refresh(Request())
    except RefreshError as exc:
        if getattr(exc, "retryable", False):
            raise RetryLater("Google's token service is not answering", NETWORK_RETRY_S) from None
        raise TokenError(f"Google refused the refresh: {_google_reason(exc)}") from None
    except TransportError:
        raise RetryLater("Google's token service could not be reached", NETWORK_RETRY_S) from None
    expiry = credentials.expiry.replace(tzinfo=UTC) if credentials.expiry else None
    fresh: dict[str, Any] = {"access_token": credentials.token}
    if expiry is not None:
        fresh["expires_at"] = expiry.timestamp()
    if credentials.refresh_token and credentials.refresh_token != refresh_token:
        fresh["refresh_token"] = credentials.refresh_token
    return fresh


def _google_reason(exc: Exception) -> str:
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    code = data.get("error", "")
    if code == "invalid_grant":
        return ("access was revoked or expired (apps in Google's \"Testing\" mode lose it after 7 days)")
    return str(code or "the token was not accepted")


def _refresh_tiktok(settings: Settings, refresh_token: str) -> dict[str, Any]:
    form = {
        "client_key": settings.tiktok_client_key, "client_secret": settings.tiktok_client_secret,
        "grant_type": "refresh_token", "refresh_token": refresh_token,
    }
    try:
        response = httpx.post(f"{settings.tiktok_api_base_url.rstrip('/')}/v2/oauth/token/", data=form,
                              timeout=HTTP_TIMEOUT_S)
    except httpx.HTTPError:
        raise RetryLater("TikTok's token service could not be reached", NETWORK_RETRY_S) from None
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryLater(f"TikTok's token service answered {response.status_code}", NETWORK_RETRY_S)
    body = _json(response)
    if response.status_code >= 400 or body.get("error") or not body.get("access_token"):
        reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
        raise TokenError(f"TikTok refused the refresh: {reason}")
    return {key: body[key] for key in ("access_token", "refresh_token", "expires_in",
                                       "refresh_expires_in", "scope", "open_id") if key in body}


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


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
                outbox.direct(session, member, reconnect_reply(account, reason))


def reconnect_reply(account: Account, reason: str) -> Reply:
    return Reply(
        text=(f"I can no longer use the {account.platform} account {describe(account)}: {reason}. "
              f"Publishing to it is paused until you reconnect it: run /connect {account.platform} "
              "and follow the link I send you."),
        subject=f"account:{account.id}",
    )


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
    return cipher(settings).encrypt(json.dumps(tokens, sort_keys=True).encode())


def _as_datetime(epoch: Any) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(float(epoch), UTC)
