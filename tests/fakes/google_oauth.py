"""A fake Google OAuth 2.0 server: consent page, token endpoint (PKCE checked), revocation.

The consent page answers at once as the person `consent_as` (a channel id), redirecting to
the registered redirect URI with a code, as Google does after the person clicks Allow.
Refresh tokens can be revoked (`revoke_all`) to act out a "Testing" app's 7-day limit.

    with FakeGoogleOAuth(client_id="cid", client_secret="secret") as oauth:
        settings = make_settings(tmp_path, **oauth.settings())
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from tests.fakes.local_server import FakeHandler, LocalServer

REQUIRED = {"https://www.googleapis.com/auth/youtube.upload",
            "https://www.googleapis.com/auth/youtube.readonly",
            "https://www.googleapis.com/auth/yt-analytics.readonly"}


@dataclass
class Grant:
    user: str
    scope: str
    refresh_token: str
    access_tokens: set[str] = field(default_factory=set)
    revoked: bool = False


class FakeGoogleOAuth(LocalServer):
    def __init__(self, *, client_id: str = "test-client", client_secret: str = "test-secret",
                 consent_as: str = "UC0000000000000000000000", expires_in: int = 3599) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.consent_as, self.expires_in = consent_as, expires_in
        self.codes: dict[str, dict[str, str]] = {}
        self.grants: dict[str, Grant] = {}
        self.access: dict[str, Grant] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

    def settings(self) -> dict[str, str]:
        return {"google_client_id": self.client_id, "google_client_secret": self.client_secret,
                "google_auth_uri": self.url + "o/oauth2/auth", "google_token_uri": self.url + "token",
                "google_revoke_uri": self.url + "revoke"}

    def user_for(self, access_token: str) -> str | None:
        grant = self.access.get(access_token)
        return None if grant is None or grant.revoked else grant.user

    def grant_for(self, user: str) -> dict[str, Any]:
        """Tokens as if `user` had connected through the consent page (for tests past OAuth)."""
        grant = Grant(user, " ".join(sorted(REQUIRED)), "1//" + secrets.token_urlsafe(24))
        self.grants[grant.refresh_token] = grant
        return self._issue(grant, with_refresh=True)

    def revoke_all(self) -> None:
        for grant in self.grants.values():
            grant.revoked = True

    # -- endpoints ------------------------------------------------------------------------------
    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        problems = []
        if query.get("client_id") != self.client_id:
            problems.append("invalid_client")
        if query.get("response_type") != "code":
            problems.append("unsupported_response_type")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            problems.append("PKCE S256 required")
        if query.get("access_type") != "offline":
            problems.append("access_type=offline missing: no refresh token would be issued")
        if not set(query.get("scope", "").split()) >= REQUIRED:
            problems.append("missing scopes")
        if problems:
            return 400, {}, ("; ".join(problems)).encode()
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"challenge": query["code_challenge"], "redirect_uri": query["redirect_uri"],
                            "scope": query["scope"], "user": self.consent_as}
        location = query["redirect_uri"] + "?" + urlencode({"state": query.get("state", ""), "code": code,
                                                            "scope": query["scope"]})
        return 302, {"Location": location}, b""

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") == "authorization_code":
            pending = self.codes.pop(form.get("code", ""), None)
            if pending is None or pending["redirect_uri"] != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "Malformed auth code."}
            if _s256(form.get("code_verifier", "")) != pending["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "Invalid code verifier."}
            grant = Grant(pending["user"], pending["scope"], "1//" + secrets.token_urlsafe(24))
            self.grants[grant.refresh_token] = grant
            return 200, self._issue(grant, with_refresh=True)
        if form.get("grant_type") == "refresh_token":
            grant = self.grants.get(form.get("refresh_token", ""))
            if grant is None or grant.revoked:
                return 400, {"error": "invalid_grant",
                             "error_description": "Token has been expired or revoked."}
            return 200, self._issue(grant, with_refresh=False)
        return 400, {"error": "unsupported_grant_type"}

    def revoke(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        token = form.get("token", "")
        grant = self.grants.get(token) or self.access.get(token)
        if grant is None:
            return 400, {"error": "invalid_token"}
        grant.revoked = True
        return 200, {}

    def _issue(self, grant: Grant, *, with_refresh: bool) -> dict[str, Any]:
        access = "ya29." + secrets.token_urlsafe(24)
        grant.access_tokens.add(access)
        self.access[access] = grant
        body: dict[str, Any] = {"access_token": access, "expires_in": self.expires_in,
                                "scope": grant.scope, "token_type": "Bearer"}
        if with_refresh:
            body["refresh_token"] = grant.refresh_token
        return body

    # -- server ---------------------------------------------------------------------------------
    def handler(self) -> type[FakeHandler]:
        fake = self

        class Handler(FakeHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with fake.lock:
                    fake.requests.append((parts.path, query))
                    status, headers, body = fake.authorize(query)
                self.send(status, body, "text/plain", headers)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                basic = self.headers.get("Authorization", "")
                if basic.startswith("Basic "):
                    client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                    form.update(client_id=unquote(client_id), client_secret=unquote(secret))
                path = urlsplit(self.path).path
                with fake.lock:
                    fake.requests.append((path, {k: v for k, v in form.items() if k == "grant_type"}))
                    status, body = fake.token(form) if path == "/token" else fake.revoke(form)
                self.json(status, body)

        return Handler


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
