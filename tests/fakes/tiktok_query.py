"""A fake TikTok `POST /v2/video/query/` on 127.0.0.1 for httpx: bearer tokens, at most 20 ids,
only the fields asked for, TikTok's `{"data": …, "error": {"code": "ok"}}` envelope."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_IDS = 20


@dataclass
class TikTokVideo:
    id: str
    view_count: int
    like_count: int = 0
    comment_count: int = 0
    share_count: int = 0


class FakeTikTokQuery:
    def __init__(self, *, tokens: tuple[str, ...] = ("tt-access",)) -> None:
        self.tokens = set(tokens)
        self.videos: dict[str, TikTokVideo] = {}
        self.id_batches: list[int] = []
        self._server: ThreadingHTTPServer | None = None

    def add_video(self, video_id: str, **counts: int) -> TikTokVideo:
        video = TikTokVideo(video_id, **{"view_count": 0, **counts})
        self.videos[video_id] = video
        return video

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeTikTokQuery:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                status, answer = fake.handle(self.path, self.headers.get("Authorization", ""), body)
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def handle(self, raw_path: str, authorization: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(raw_path)
        if parts.path != "/v2/video/query/":
            return 404, _envelope({}, "not_found", "no such endpoint")
        if authorization.removeprefix("Bearer ") not in self.tokens:
            return 401, _envelope({}, "access_token_invalid",
                                  "The access token is invalid or not found in the request.")
        fields = [f for f in parse_qs(parts.query).get("fields", [""])[-1].split(",") if f]
        ids = (body.get("filters") or {}).get("video_ids") or []
        if not fields or not ids or len(ids) > MAX_IDS:
            return 400, _envelope({}, "invalid_params", "fields and 1 to 20 video_ids are required")
        self.id_batches.append(len(ids))
        videos = [{f: getattr(v, f) for f in fields if hasattr(v, f)}
                  for v in (self.videos.get(i) for i in ids) if v is not None]
        return 200, _envelope({"videos": videos, "cursor": 0, "has_more": False}, "ok", "")


def _envelope(data: dict[str, Any], code: str, message: str) -> dict[str, Any]:
    return {"data": data, "error": {"code": code, "message": message, "log_id": "fake-log"}}
