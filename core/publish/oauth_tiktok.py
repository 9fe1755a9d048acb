"""TikTok's side of connecting a creator: OAuth v2 with PKCE (S256), user info, revocation."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import urlencode

import httpx

from core.config import Settings
from core.jobs import RetryLater
from core.publish.oauth_types import ConnectFailed, RefreshRefused, RemoteIdentity

PLATFORM = "tiktok"
SCOPES = ("user.info.basic", "video.publish", "video.upload", "video.list")
HTTP_TIMEOUT_S = 30.0
NETWORK_RETRY_S = 60.0
TOKEN_FIELDS = ("access_token", "refresh_token", "expires_in", "refresh_expires_in", "open_id")


def configured(settings: Settings) -> bool:
    return bool(settings.tiktok_client_key and settings.tiktok_client_secret)


def api(settings: Settings, path: str) -> str:
    return f"{settings.tiktok_api_base_url.rstrip('/')}{path}"


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorization_url(settings: Settings, redirect_uri: str, state: str, verifier: str) -> str:
    query = urlencode({
        "client_key": settings.tiktok_client_key, "response_type": "code",
        "scope": ",".join(SCOPES), "redirect_uri": redirect_uri, "state": state,
        "code_challenge": challenge(verifier), "code_challenge_method": "S256",
    })
    return f"{settings.tiktok_auth_url}?{query}"


def _client(settings: Settings) -> dict[str, str]:
    """The app's credentials, as TikTok's token endpoints take them in the form body."""
    return {"client_key": settings.tiktok_client_key,
            "client_secret": settings.tiktok_client_secret.get_secret_value()}


def exchange(settings: Settings, redirect_uri: str, state: str, verifier: str, code: str) -> dict[str, Any]:
    form = {
        **_client(settings), "code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    try:
        response = httpx.post(api(settings, "/v2/oauth/token/"), data=form, timeout=HTTP_TIMEOUT_S)
    except httpx.HTTPError:
        raise ConnectFailed("TikTok's token service could not be reached; try /connect again.",
                            "unreachable") from None
    body = _json(response)
    if response.status_code >= 400 or body.get("error") or not body.get("access_token"):
        code = str(body.get("error") or f"HTTP {response.status_code}")
        raise ConnectFailed(f"TikTok did not accept the authorisation ({code[:60]})", code)
    return _token_fields(body)


def refresh(settings: Settings, refresh_token: str) -> dict[str, Any]:
    """A new access token and a new refresh token: TikTok rotates them, the caller stores both."""
    form = {
        **_client(settings), "grant_type": "refresh_token", "refresh_token": refresh_token,
    }
    try:
        response = httpx.post(api(settings, "/v2/oauth/token/"), data=form, timeout=HTTP_TIMEOUT_S)
    except httpx.HTTPError:
        raise RetryLater("TikTok's token service could not be reached", NETWORK_RETRY_S) from None
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryLater(f"TikTok's token service answered {response.status_code}", NETWORK_RETRY_S)
    body = _json(response)
    if response.status_code >= 400 or body.get("error") or not body.get("access_token"):
        reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
        raise RefreshRefused(f"TikTok refused the refresh: {reason}")
    return _token_fields(body)


def _token_fields(body: dict[str, Any]) -> dict[str, Any]:
    tokens = {key: body[key] for key in TOKEN_FIELDS if key in body}
    tokens["scope"] = [s for s in str(body.get("scope", "")).split(",") if s]
    return tokens


def identify(settings: Settings, access_token: str) -> RemoteIdentity:
    try:
        response = httpx.get(api(settings, "/v2/user/info/"),
                             params={"fields": "open_id,union_id,avatar_url,display_name"},
                             headers={"Authorization": f"Bearer {access_token}"}, timeout=HTTP_TIMEOUT_S)
    except httpx.HTTPError:
        raise ConnectFailed("TikTok could not be reached to read your profile; try again.",
                            "unreachable") from None
    body = _json(response)
    user = (body.get("data") or {}).get("user") or {}
    if response.status_code >= 400 or not user.get("open_id"):
        raise ConnectFailed(f"TikTok did not tell me who you are ({_error_message(body, response)[:60]})",
                            "no_identity")
    return RemoteIdentity(external_id=user["open_id"], name=user.get("display_name") or user["open_id"])


def revoke(settings: Settings, tokens: dict[str, Any]) -> None:
    token = tokens.get("access_token")
    if not token:
        return
    form = {**_client(settings), "token": token}
    response = httpx.post(api(settings, "/v2/oauth/revoke/"), data=form, timeout=HTTP_TIMEOUT_S)
    if response.status_code >= 500:
        response.raise_for_status()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_message(body: dict[str, Any], response: httpx.Response) -> str:
    error = body.get("error") or {}
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return f"HTTP {response.status_code}"
