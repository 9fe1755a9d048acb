"""The fake YouTube API extended with what publishing needs: OAuth'd calls and resumable uploads.

It builds on tests/fakes/youtube_api.py (the read paths discovery uses) and adds, for
bearer tokens issued by tests/fakes/google_oauth.py: `channels.list mine=true` (with the
uploads playlist), `playlistItems.list` of that playlist (the channel's uploads, newest
first), `videos.list` of uploaded videos (tags included), and `videos.insert` over the
resumable protocol with the real rules (metadata limits, `selfDeclaredMadeForKids` required,
`publishAt` only with private, 308 + Range, `bytes */TOTAL` status queries, 404 for a dead
session) and faults to act out: dropped connections, 503s, expired sessions, a session that
expires while the answer to its last chunk is lost (`lose_final_response`: the video exists,
the client never hears of it), the project's quota (`upload_error = "quotaExceeded"`, 403),
one channel's daily upload limit (`upload_limited_channels`: 400 `uploadLimitExceeded`, as
YouTube answers), tokens refused (`reject_access`: 401), and an unverified API project whose
uploads are locked private. Bodies are hashed as they arrive, never kept.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.local_server import BLOCK, FakeHandler, serve
from tests.fakes.youtube_api import FakeYouTube, _error

QUANTUM = 256 * 1024


@dataclass
class Session:
    id: str
    user: str
    total: int
    metadata: dict[str, Any]
    received: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    video_id: str | None = None


@dataclass
class Uploaded:
    id: str
    user: str
    metadata: dict[str, Any]
    privacy: str
    sha256: str
    size: int


class FakeYouTubeUploads(FakeYouTube):
    def __init__(self, oauth: FakeGoogleOAuth, **kw: Any) -> None:
        super().__init__(**kw)
        self.oauth = oauth
        self.sessions: dict[str, Session] = {}
        self.uploaded: dict[str, Uploaded] = {}
        self.drops = 0
        self.errors_503 = 0
        self.expire_sessions = 0
        self.upload_error: str | None = None
        self.upload_limited_channels: set[str] = set()
        self.lose_final_response = False
        self.reject_access = False
        self.unverified_project = False
        self.chunk_puts = 0
        self.status_queries = 0
        self.initiations = 0
        self.owner_calls: list[str] = []

    def add_my_channel(self, title: str) -> str:
        channel = self.add_channel(title)
        self.oauth.consent_as = channel.id
        return channel.id

    # -- OAuth'd GETs -------------------------------------------------------------------------
    def authorized_get(self, user: str, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.owner_calls.append(path.rsplit("/", 1)[-1])
        if path.endswith("youtube/v3/channels") and params.get("mine") == "true":
            channel = self.channels.get(user)
            items = [{"kind": "youtube#channel", "id": channel.id, "snippet": {"title": channel.title},
                      "contentDetails": {"relatedPlaylists": {"uploads": channel.uploads_playlist}}}] \
                if channel else []
            return 200, {"kind": "youtube#channelListResponse", "items": items}
        if path.endswith("youtube/v3/playlistItems"):
            channel = self.channels.get(user)
            if channel is None or params.get("playlistId") != channel.uploads_playlist:
                return 404, _error(404, "playlistNotFound", "The playlist cannot be found.")
            mine = [v.id for v in reversed(self.uploaded.values()) if v.user == user]
            size = min(int(params.get("maxResults", 5)), 50)
            items = [{"kind": "youtube#playlistItem", "contentDetails": {"videoId": v}} for v in mine[:size]]
            return 200, {"kind": "youtube#playlistItemListResponse", "items": items}
        if path.endswith("youtube/v3/videos"):
            ids = params.get("id", "").split(",")
            items = [self._resource(self.uploaded[v]) for v in ids if v in self.uploaded]
            return 200, {"kind": "youtube#videoListResponse", "items": items}
        return 404, _error(404, "notFound", f"no route {path}")

    # -- resumable upload ---------------------------------------------------------------------
    def initiate(self, user: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
        self.initiations += 1
        if self.upload_error:
            message = f"The request cannot be completed: {self.upload_error}"
            return 403, {}, _error(403, self.upload_error, message)
        if user in self.upload_limited_channels:
            return 400, {}, _error(400, "uploadLimitExceeded",
                                   "The user has exceeded the number of videos they may upload.")
        metadata = json.loads(body or b"{}")
        problem = _metadata_problem(metadata)
        if problem:
            return 400, {}, _error(400, "invalidMetadata", problem)
        total = int(headers.get("X-Upload-Content-Length") or -1)
        if total <= 0 or not str(headers.get("X-Upload-Content-Type", "")).startswith("video/"):
            return 400, {}, _error(400, "invalidArgument", "X-Upload-Content-Length/Type required")
        session = Session(secrets.token_urlsafe(12), user, total, metadata)
        self.sessions[session.id] = session
        location = f"{self.url}upload/youtube/v3/videos?uploadType=resumable&upload_id={session.id}"
        return 200, {"Location": location}, {}

    def _resource(self, video: Uploaded) -> dict[str, Any]:
        status = dict(video.metadata.get("status", {}))
        status.update({"privacyStatus": video.privacy, "uploadStatus": "uploaded"})
        return {"kind": "youtube#video", "id": video.id, "snippet": video.metadata.get("snippet", {}),
                "status": status}

    def finish(self, session: Session) -> dict[str, Any]:
        if session.video_id is None:
            requested = session.metadata.get("status", {}).get("privacyStatus", "public")
            privacy = "private" if self.unverified_project else requested
            video = Uploaded(f"yt{len(self.uploaded):09d}", session.user, session.metadata, privacy,
                             session.digest.hexdigest(), session.received)
            self.uploaded[video.id] = video
            session.video_id = video.id
        return self._resource(self.uploaded[session.video_id])

    # -- server -------------------------------------------------------------------------------
    def start(self) -> FakeYouTubeUploads:
        fake = self

        class Handler(FakeHandler):
            def _user(self) -> str | None:
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or fake.reject_access:
                    return None
                return fake.oauth.user_for(auth.removeprefix("Bearer "))

            def do_GET(self) -> None:  # noqa: N802
                user = self._user()
                if user is None and "Authorization" in self.headers:
                    return self._answer(401, _error(401, "authError", "Invalid Credentials"))
                if user is None:
                    return self._answer(*fake.handle(self.path))
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                return self._answer(*fake.authorized_get(user, parts.path, params))

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                user = self._user()
                if user is None:
                    return self._answer(401, _error(401, "authError", "Invalid Credentials"))
                if "uploadType=resumable" not in self.path:
                    return self._answer(400, _error(400, "badRequest", "only resumable uploads here"))
                with fake.lock:
                    status, headers, answer = fake.initiate(user, self.headers, body)
                self._answer(status, answer, headers)

            def do_PUT(self) -> None:  # noqa: N802
                session_id = parse_qs(urlsplit(self.path).query).get("upload_id", [""])[0]
                length = int(self.headers.get("Content-Length") or 0)
                with fake.lock:
                    session = fake.sessions.get(session_id)
                    expire = session is not None and fake.expire_sessions > 0
                    if expire:
                        fake.expire_sessions -= 1
                        del fake.sessions[session_id]
                if session is None or expire:
                    self.drain(length)
                    return self._answer(404, _error(404, "notFound", "upload session not found"))
                ranged = self.headers.get("Content-Range", "")
                if ranged.startswith("bytes */"):
                    fake.status_queries += 1
                    return self._state(session)
                match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", ranged)
                if not match or int(match[3]) != session.total \
                        or not int(match[1]) <= session.received <= int(match[2]) + 1:
                    self.drain(length)
                    expected = f"expected from {session.received}"
                    return self._answer(400, _error(400, "badContentRange", expected))
                start, end = int(match[1]), int(match[2])
                final = end + 1 == session.total
                if end - start + 1 != length or (not final and length % QUANTUM):
                    self.drain(length)
                    return self._answer(400, _error(400, "badChunk", "chunks must be multiples of 256 KiB"))
                fake.chunk_puts += 1
                if fake.errors_503 > 0:
                    fake.errors_503 -= 1
                    self.drain(length)
                    return self._answer(503, _error(503, "backendError", "Backend Error"))
                if fake.drops > 0:
                    fake.drops -= 1
                    overlap = session.received - start
                    self.drain(overlap)
                    kept = max(0, (length // 2) // QUANTUM * QUANTUM - overlap)
                    self._take(session, kept)
                    self.drain(length - overlap - kept)
                    self.close_connection = True
                    self.connection.close()
                    return None
                overlap = session.received - start
                self.drain(overlap)
                self._take(session, length - overlap)
                if final and fake.lose_final_response:
                    with fake.lock:
                        fake.lose_final_response = False
                        fake.finish(session)
                        fake.sessions.pop(session.id, None)
                    self.close_connection = True
                    self.connection.close()
                    return None
                self._state(session)

            def _take(self, session: Session, count: int) -> None:
                while count:
                    block = self.rfile.read(min(BLOCK, count))
                    if not block:
                        raise ConnectionError("client went away")
                    session.digest.update(block)
                    session.received += len(block)
                    count -= len(block)

            def _state(self, session: Session) -> None:
                if session.received == session.total:
                    with fake.lock:
                        resource = fake.finish(session)
                    return self._answer(200, resource)
                headers = {"Range": f"bytes=0-{session.received - 1}"} if session.received else {}
                self._answer(308, {}, headers)

            def _answer(self, status: int, body: dict[str, Any],
                        headers: dict[str, str] | None = None) -> None:
                if status == 308:
                    return self.send(308, b"", "application/json; charset=UTF-8", headers)
                return self.json(status, body, headers)

        self._server = serve(Handler)
        return self

    def __enter__(self) -> FakeYouTubeUploads:
        return self.start()


def _metadata_problem(metadata: dict[str, Any]) -> str:
    snippet, status = metadata.get("snippet", {}), metadata.get("status", {})
    title = snippet.get("title", "")
    if not title or len(title) > 100 or "<" in title or ">" in title:
        return "invalid title (1-100 characters, no < or >)"
    if len(snippet.get("description", "").encode()) > 5000:
        return "description longer than 5000 bytes"
    if len(",".join(snippet.get("tags", []))) > 500:
        return "tags longer than 500 characters"
    if "selfDeclaredMadeForKids" not in status:
        return "status.selfDeclaredMadeForKids is required"
    if status.get("privacyStatus") not in ("private", "unlisted", "public"):
        return "invalid privacyStatus"
    if status.get("publishAt") and status.get("privacyStatus") != "private":
        return "publishAt requires privacyStatus private"
    return ""
