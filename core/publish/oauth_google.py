"""Google's side of connecting a YouTube channel: the PKCE web flow, the channel, revocation."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import httpx
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from googleapiclient.errors import HttpError
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from core import google_api
from core.config import Settings
from core.jobs import RetryLater
from core.publish.oauth_types import ConnectFailed, RefreshRefused, RemoteIdentity

PLATFORM = "youtube"
SCOPES = (
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.readonly",
    "https://www.googleapis.com/auth/yt-analytics.readonly",
)
HTTP_TIMEOUT_S = 30.0
NETWORK_RETRY_S = 60.0


def configured(settings: Settings) -> bool:
    return bool(settings.google_client_id and settings.google_client_secret)


def _flow(settings: Settings, redirect_uri: str, state: str, verifier: str) -> Flow:
    config = {"web": {
        "client_id": settings.google_client_id,
        "client_secret": settings.google_client_secret.get_secret_value(),
        "auth_uri": settings.google_auth_uri, "token_uri": settings.google_token_uri,
        "redirect_uris": [redirect_uri],
    }}
    return Flow.from_client_config(config, list(SCOPES), redirect_uri=redirect_uri, state=state,
                                   code_verifier=verifier, autogenerate_code_verifier=False)


def authorization_url(settings: Settings, redirect_uri: str, state: str, verifier: str) -> str:
    """Offline access (a refresh token) and a fresh consent screen, so a refresh token is sent."""
    url, _ = _flow(settings, redirect_uri, state, verifier).authorization_url(
        access_type="offline", prompt="consent", include_granted_scopes="true", state=state
    )
    return url


def exchange(settings: Settings, redirect_uri: str, state: str, verifier: str, code: str) -> dict[str, Any]:
    flow = _flow(settings, redirect_uri, state, verifier)
    try:
        token = flow.fetch_token(code=code)
    except OAuth2Error as exc:
        raise ConnectFailed(f"Google did not accept the authorisation ({exc.error}).",
                            str(exc.error or "refused")) from None
    except OSError:
        raise ConnectFailed("Google's token service could not be reached; try /connect again.",
                            "unreachable") from None
    scope = token.get("scope", "")
    scopes = scope.split() if isinstance(scope, str) else list(scope)
    return {"access_token": token["access_token"], "refresh_token": token.get("refresh_token"),
            "expires_at": token.get("expires_at"), "scope": scopes}


def identify(settings: Settings, access_token: str) -> RemoteIdentity:
    """The channel this token acts for (channels.list mine=true)."""
    try:
        found = google_api.youtube(settings, access_token).channels().list(
            part="snippet", mine=True).execute()
    except HttpError as exc:
        reason = google_api.error_message(exc)
        raise ConnectFailed(f"YouTube did not tell me your channel: {reason}.", "no_identity") from None
    items = found.get("items") or []
    if not items:
        raise ConnectFailed("This Google account has no YouTube channel yet: create one on YouTube, "
                            "then /connect youtube again.", "no_channel")
    channel = items[0]
    return RemoteIdentity(external_id=channel["id"], name=channel["snippet"].get("title", channel["id"]))


def revoke(settings: Settings, tokens: dict[str, Any]) -> None:
    """Revoke the grant (the refresh token revokes the access tokens made from it too)."""
    token = tokens.get("refresh_token") or tokens.get("access_token")
    if not token:
        return
    response = httpx.post(settings.google_revoke_uri, data={"token": token}, timeout=HTTP_TIMEOUT_S)
    if response.status_code >= 500:
        response.raise_for_status()


def refresh(settings: Settings, refresh_token: str) -> dict[str, Any]:
    """A new access token from the refresh token (Google keeps the refresh token unless it says)."""
    credentials = Credentials(
        token=None, refresh_token=refresh_token, token_uri=settings.google_token_uri,
        client_id=settings.google_client_id,
        client_secret=settings.google_client_secret.get_secret_value(),
    )
    try:
        credentials.refresh(Request())
    except RefreshError as exc:
        if getattr(exc, "retryable", False):
            raise RetryLater("Google's token service is not answering", NETWORK_RETRY_S) from None
        raise RefreshRefused(f"Google refused the refresh: {_refusal(exc)}") from None
    except TransportError:
        raise RetryLater("Google's token service could not be reached", NETWORK_RETRY_S) from None
    fresh: dict[str, Any] = {"access_token": credentials.token}
    if credentials.expiry is not None:
        fresh["expires_at"] = credentials.expiry.replace(tzinfo=UTC).timestamp()
    if credentials.refresh_token and credentials.refresh_token != refresh_token:
        fresh["refresh_token"] = credentials.refresh_token
    return fresh


def _refusal(exc: Exception) -> str:
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    if data.get("error") == "invalid_grant":
        return "access was revoked or expired (apps in Google's \"Testing\" mode lose it after 7 days)"
    return str(data.get("error") or "the token was not accepted")
