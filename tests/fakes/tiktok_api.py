"""A fake TikTok for Developers API: OAuth v2 with PKCE, user info, and the Content Posting API.

It enforces what the real one does: PKCE S256 on the code exchange, refresh tokens that
rotate (an old one stops working), 6 init calls per minute per token and 30 status calls,
and the FILE_UPLOAD chunk rules (5–64 MiB chunks, a final chunk of up to 128 MiB,
`total_chunk_count = floor(size / chunk_size)`, in order, exact Content-Range, Content-Type
video/mp4). Upload bodies are hashed as they stream in, never kept. `outcome` decides what
processing ends in: PUBLISH_COMPLETE (direct posts) / SEND_TO_USER_INBOX (inbox), or FAILED.

As the real one does after the last byte of a FILE_UPLOAD, it keeps answering
`PROCESSING_UPLOAD` (with `uploaded_bytes` equal to the size) while it checks the video: for
`processing_polls` status calls, or until `settle()`. An upload URL lives `url_lifetime_s`
(TikTok: one hour); `expire_upload_urls()` ages them all. TikTok does not document what an
expired URL answers; this fake answers 403. An unfinished upload whose URL expired answers
`PROCESSING_UPLOAD` with the bytes it got; `expired_urls = N` hands out the next N upload URLs
already expired. `reject_access` refuses every access token (401
`access_token_invalid`), as TikTok does for a grant it no longer honours.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.local_server import BLOCK, FakeHandler, LocalServer

MIB = 1024 * 1024
MIN_CHUNK, MAX_CHUNK, MAX_FINAL = 5 * MIB, 64 * MIB, 128 * MIB
INIT_PER_MINUTE, STATUS_PER_MINUTE = 6, 30
PRIVACY = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]


@dataclass
class Upload:
    publish_id: str
    token: str
    mode: str
    size: int
    chunk_size: int
    chunks: int
    post_info: dict[str, Any]
    received: int = 0
    next_chunk: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    status: str = "PROCESSING_UPLOAD"
    fail_reason: str = ""
    post_id: str = ""
    issued_at: float = field(default_factory=time.monotonic)
    complete: bool = False


class FakeTikTok(LocalServer):
    def __init__(self, *, client_key: str = "tt-key", client_secret: str = "tt-secret",
                 open_id: str = "open-123", display_name: str = "Test Creator",
                 privacy_options: list[str] | None = None, max_duration: int = 600,
                 processing_polls: int = 1) -> None:
        self.client_key, self.client_secret = client_key, client_secret
        self.open_id, self.display_name = open_id, display_name
        self.privacy_options = privacy_options or list(PRIVACY)
        self.max_duration = max_duration
        self.processing_polls = processing_polls
        self.outcome: str | None = None
        self.fail_reason = "file_format_check_failed"
        self.url_lifetime_s = 3600.0
        self.expired_urls = 0
        self.reject_access = False
        self.unaudited_public_account = False
        self.codes: dict[str, str] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.access_tokens: dict[str, str] = {}
        self.uploads: dict[str, Upload] = {}
        self.init_times: dict[str, deque[float]] = defaultdict(deque)
        self.status_times: dict[str, deque[float]] = defaultdict(deque)
        self.rejections: list[str] = []
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def settings(self) -> dict[str, str]:
        return {"tiktok_client_key": self.client_key, "tiktok_client_secret": self.client_secret,
                "tiktok_api_base_url": self.url.rstrip("/"),
                "tiktok_auth_url": self.url + "v2/auth/authorize/"}

    def issue_tokens(self) -> dict[str, Any]:
        access, refresh = "act." + secrets.token_urlsafe(20), "rft." + secrets.token_urlsafe(20)
        self.access_tokens[access] = self.open_id
        self.refresh_tokens[refresh] = self.open_id
        return {"access_token": access, "refresh_token": refresh, "expires_in": 86400,
                "refresh_expires_in": 31536000, "open_id": self.open_id, "token_type": "Bearer",
                "scope": "user.info.basic,video.publish,video.upload,video.list"}

    def revoke_all(self) -> None:
        self.refresh_tokens.clear()
        self.access_tokens.clear()

    def expire_upload_urls(self) -> None:
        with self.lock:
            for upload in self.uploads.values():
                upload.issued_at = time.monotonic() - self.url_lifetime_s - 1

    def settle(self) -> None:
        """Finish checking every fully received upload at the next status call."""
        self.processing_polls = 0

    def completed_posts(self) -> list[Upload]:
        return [u for u in self.uploads.values() if u.status in ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX")]

    # -- OAuth --------------------------------------------------------------------------------
    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if query.get("client_key") != self.client_key or query.get("code_challenge_method") != "S256":
            return 400, {}, b"invalid client_key or PKCE method"
        if not {"video.publish", "video.upload", "user.info.basic"} <= set(query.get("scope", "").split(",")):
            return 400, {}, b"missing scopes"
        code = secrets.token_urlsafe(16)
        self.codes[code] = query.get("code_challenge", "")
        location = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", ""),
                                                            "scopes": query["scope"]})
        return 302, {"Location": location}, b""

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_key") != self.client_key or form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client",
                         "error_description": "Client key or secret is incorrect."}
        if form.get("grant_type") == "authorization_code":
            challenge = self.codes.pop(form.get("code", ""), None)
            if challenge is None:
                return 400, {"error": "invalid_grant", "error_description": "Authorization code is expired."}
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).decode().rstrip("=") != challenge:
                return 400, {"error": "invalid_request",
                             "error_description": "Code verifier or code challenge is invalid."}
            return 200, self.issue_tokens()
        if form.get("grant_type") == "refresh_token":
            if self.refresh_tokens.pop(form.get("refresh_token", ""), None) is None:
                return 400, {"error": "invalid_grant",
                             "error_description": "Refresh token is invalid or expired."}
            return 200, self.issue_tokens()
        return 400, {"error": "unsupported_grant_type"}

    # -- Content Posting ------------------------------------------------------------------------
    def api(self, path: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls.append(path)
        if token not in self.access_tokens or self.reject_access:
            return 401, _err("access_token_invalid", "The access token is invalid or not found.")
        if path == "/v2/user/info/":
            return 200, {"data": {"user": {"open_id": self.open_id, "display_name": self.display_name}},
                         "error": _ok()}
        if path == "/v2/post/publish/creator_info/query/":
            return 200, {"data": {"creator_username": "creator", "creator_nickname": self.display_name,
                                  "privacy_level_options": self.privacy_options,
                                  "comment_disabled": False, "duet_disabled": False, "stitch_disabled": False,
                                  "max_video_post_duration_sec": self.max_duration}, "error": _ok()}
        if path in ("/v2/post/publish/video/init/", "/v2/post/publish/inbox/video/init/"):
            if not _within(self.init_times[token], INIT_PER_MINUTE):
                return 429, _err("rate_limit_exceeded", "Too many init requests: 6 per minute per user.")
            return self.init(token, "inbox" if "inbox" in path else "direct", body)
        if path == "/v2/post/publish/status/fetch/":
            if not _within(self.status_times[token], STATUS_PER_MINUTE):
                return 429, _err("rate_limit_exceeded", "Too many status requests: 30 per minute per user.")
            return self.status(body.get("publish_id", ""))
        return 404, _err("not_found", f"no route {path}")

    def init(self, token: str, mode: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        source = body.get("source_info") or {}
        post = body.get("post_info") or {}
        problem = chunk_plan_problem(source)
        if mode == "direct" and not problem:
            if post.get("privacy_level") not in self.privacy_options:
                problem = "privacy_level_option_mismatch"
            elif self.unaudited_public_account:
                return 403, _err("unaudited_client_can_only_post_to_private_accounts",
                                 "Unaudited clients can only post to private accounts.")
        if problem:
            self.rejections.append(problem)
            return 400, _err("invalid_params", problem)
        upload = Upload("v_pub_file~" + secrets.token_hex(8), token, mode, int(source["video_size"]),
                        int(source["chunk_size"]), int(source["total_chunk_count"]), post)
        self.uploads[upload.publish_id] = upload
        if self.expired_urls > 0:
            self.expired_urls -= 1
            upload.issued_at = time.monotonic() - self.url_lifetime_s - 1
        return 200, {"data": {"publish_id": upload.publish_id,
                              "upload_url": f"{self.url}upload/?upload_id={upload.publish_id}"},
                     "error": _ok()}

    def status(self, publish_id: str) -> tuple[int, dict[str, Any]]:
        upload = self.uploads.get(publish_id)
        if upload is None:
            return 400, _err("invalid_publish_id", "publish_id does not exist")
        if upload.complete and upload.status == "PROCESSING_UPLOAD":
            if self.processing_polls > 0:
                self.processing_polls -= 1
            else:
                self._settle(upload)
        data: dict[str, Any] = {"status": upload.status, "uploaded_bytes": upload.received}
        if upload.status == "FAILED":
            data["fail_reason"] = upload.fail_reason
        if upload.post_id:
            data["publicaly_available_post_id"] = [upload.post_id]
        return 200, {"data": data, "error": _ok()}

    def _settle(self, upload: Upload) -> None:
        if self.outcome == "FAILED":
            upload.status, upload.fail_reason = "FAILED", self.fail_reason
        elif upload.mode == "inbox":
            upload.status = "SEND_TO_USER_INBOX"
        else:
            upload.status = "PUBLISH_COMPLETE"
            if upload.post_info.get("privacy_level") == "PUBLIC_TO_EVERYONE":
                upload.post_id = str(7_000_000_000_000_000_000 + len(self.uploads))

    def check_chunk(self, upload: Upload, headers: Any) -> str:
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", headers.get("Content-Range", ""))
        if headers.get("Content-Type") != "video/mp4":
            return "Content-Type must be video/mp4"
        if not match or int(match[3]) != upload.size:
            return "Content-Range missing or wrong total"
        start, end = int(match[1]), int(match[2])
        length = int(headers.get("Content-Length") or -1)
        last = upload.next_chunk == upload.chunks - 1
        expected_end = upload.size - 1 if last else start + upload.chunk_size - 1
        if start != upload.received or end != expected_end or length != end - start + 1:
            return f"chunk {upload.next_chunk} must be bytes {upload.received}-{expected_end}"
        if last and length > MAX_FINAL:
            return "the final chunk may not exceed 128 MB"
        return ""

    # -- server ---------------------------------------------------------------------------------
    def handler(self) -> type[FakeHandler]:
        fake = self

        class Handler(FakeHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with fake.lock:
                    if parts.path == "/v2/auth/authorize/":
                        status, headers, body = fake.authorize(query)
                        return self.send(status, body, "text/plain", headers)
                    status, answer = fake.api(parts.path, self._token(), {})
                self.json(status, answer)

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urlsplit(self.path).path
                with fake.lock:
                    if path == "/v2/oauth/token/":
                        status, answer = fake.token({k: v[-1] for k, v in parse_qs(raw.decode()).items()})
                    elif path == "/v2/oauth/revoke/":
                        token = parse_qs(raw.decode()).get("token", [""])[0]
                        fake.access_tokens.pop(token, None)
                        status, answer = 200, {}
                    else:
                        status, answer = fake.api(path, self._token(), json.loads(raw or b"{}"))
                self.json(status, answer)

            def do_PUT(self) -> None:  # noqa: N802
                publish_id = parse_qs(urlsplit(self.path).query).get("upload_id", [""])[0]
                length = int(self.headers.get("Content-Length") or 0)
                with fake.lock:
                    upload = fake.uploads.get(publish_id)
                    expired = upload is not None and time.monotonic() - upload.issued_at > fake.url_lifetime_s
                    problem = "unknown upload" if upload is None else fake.check_chunk(upload, self.headers)
                    if expired:
                        problem = "upload_url expired"
                    if problem:
                        fake.rejections.append(problem)
                if problem or upload is None:
                    self.drain(length)
                    return self.json(403 if expired else 400, _err("invalid_params", problem))
                remaining = length
                while remaining:
                    block = self.rfile.read(min(BLOCK, remaining))
                    if not block:
                        return None
                    upload.digest.update(block)
                    remaining -= len(block)
                with fake.lock:
                    upload.received += length
                    upload.next_chunk += 1
                    done = upload.received == upload.size
                    upload.complete = done
                self.send(201 if done else 206, b"", "text/plain")

            def _token(self) -> str:
                return self.headers.get("Authorization", "").removeprefix("Bearer ")

        return Handler


def chunk_plan_problem(source: dict[str, Any]) -> str:
    """TikTok's FILE_UPLOAD rules; '' when the plan is acceptable."""
    if source.get("source") != "FILE_UPLOAD":
        return "only FILE_UPLOAD is supported here"
    try:
        size, chunk, count = (int(source[k]) for k in ("video_size", "chunk_size", "total_chunk_count"))
    except (KeyError, TypeError, ValueError):
        return "video_size, chunk_size and total_chunk_count are required"
    if size < MIN_CHUNK:
        return "" if chunk == size and count == 1 else "files under 5 MB must be sent whole in one chunk"
    if not MIN_CHUNK <= chunk <= MAX_CHUNK:
        return "chunk_size must be between 5 MB and 64 MB"
    if count != size // chunk:
        return f"total_chunk_count must be floor(video_size / chunk_size) = {size // chunk}"
    if count > 1000:
        return "at most 1000 chunks"
    if size - (count - 1) * chunk > MAX_FINAL:
        return "the final chunk may not exceed 128 MB"
    return ""


def _within(times: deque[float], limit: int) -> bool:
    now = time.monotonic()
    while times and now - times[0] >= 60:
        times.popleft()
    if len(times) >= limit:
        return False
    times.append(now)
    return True


def _ok() -> dict[str, str]:
    return {"code": "ok", "message": "", "log_id": secrets.token_hex(8)}


def _err(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "log_id": secrets.token_hex(8)}}
