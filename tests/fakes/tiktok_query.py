"""The shared fake TikTok extended with `POST /v2/video/query/`: the creator's own videos' counts
for a bearer token it issued, at most 20 ids per call, in TikTok's `{"data", "error"}` envelope.

    with FakeTikTokVideos() as fake:
        fake.add_short("7301", view_count=900)
        tokens = fake.issue_tokens()
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tests.fakes.tiktok_api import FakeTikTok, _err, _ok

MAX_IDS = 20


@dataclass
class TikTokShort:
    id: str
    view_count: int
    like_count: int = 0
    comment_count: int = 0
    share_count: int = 0


class FakeTikTokVideos(FakeTikTok):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.shorts: dict[str, TikTokShort] = {}
        self.id_batches: list[int] = []

    def add_short(self, video_id: str, **counts: int) -> TikTokShort:
        short = TikTokShort(video_id, **{"view_count": 0, **counts})
        self.shorts[video_id] = short
        return short

    def api(self, path: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path != "/v2/video/query/":
            return super().api(path, token, body)
        self.calls.append(path)
        if token not in self.access_tokens:
            return 401, _err("access_token_invalid", "The access token is invalid or not found.")
        ids = (body.get("filters") or {}).get("video_ids") or []
        if not ids or len(ids) > MAX_IDS:
            return 400, _err("invalid_params", "filters.video_ids takes 1 to 20 ids")
        self.id_batches.append(len(ids))
        videos = [asdict(s) for s in (self.shorts.get(i) for i in ids) if s is not None]
        return 200, {"data": {"videos": videos, "cursor": 0, "has_more": False}, "error": _ok()}
