"""What gets published: the file and its words, gathered once from the proposal, checked before upload.

The words are the proposal as approved (core.proposals.content): the chosen or custom title,
and the description with its hashtags and the CC BY credit.

A failed check is a message the person can act on ("the clip is 3 min 40 s; Shorts stop at
3 minutes"), never a failed upload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from core import workspace_settings
from core.jobs import JobFailed
from core.media.probe import MediaInfo, probe
from core.models import Proposal, Publication, Render, RightsBasis, Source, Workspace
from core.proposals.content import approved_content

YOUTUBE_TITLE_MAX = 100
YOUTUBE_DESCRIPTION_MAX_BYTES = 5000
YOUTUBE_TAGS_MAX = 500
SHORTS_MAX_S = 180.0
TIKTOK_CAPTION_MAX = 2200
TIKTOK_MAX_BYTES = 4 * 1024**3
CONTAINERS = {"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "webm", "matroska"}
VIDEO_CODECS = {"h264", "hevc", "vp8", "vp9", "av1"}
MIN_SIDE = 360


@dataclass(frozen=True)
class Post:
    publication_id: int
    workspace_id: int
    account_id: int
    platform: str
    path: Path
    size: int
    title: str
    description: str
    tags: tuple[str, ...]
    privacy: str
    publish_at: datetime | None
    made_for_kids: bool
    synthetic_media: bool
    license: str
    tiktok_mode: str
    tiktok_privacy: str
    attribution: str = ""

    @property
    def caption(self) -> str:
        """TikTok's title field: title and hashtags, then the CC BY credit, which is never cut."""
        tags = " ".join(f"#{t}" for t in self.tags)
        credit = f"\n{self.attribution}" if self.attribution else ""
        return f"{self.title} {tags}".strip()[:TIKTOK_CAPTION_MAX - len(credit)] + credit


def gather(session: Session, publication: Publication) -> Post:
    proposal = session.get_one(Proposal, publication.proposal_id)
    render = session.get_one(Render, proposal.render_id)
    source = session.get(Source, render.source_id)
    workspace = session.get_one(Workspace, publication.workspace_id)
    if source is None or source.rights_basis in ("", RightsBasis.none):
        raise JobFailed(f"proposal #{proposal.id}'s source has no recorded right to use it, so I won't "
                        "publish it")
    if not render.output_path or not Path(render.output_path).is_file():
        where = render.output_path or "never written"
        raise JobFailed(f"render #{render.id}'s video file is gone ({where}); render it again")
    path = Path(render.output_path)
    content = approved_content(proposal)
    setting = lambda name: workspace_settings.get(workspace, name)  # noqa: E731
    privacy = "private" if publication.publish_at else publication.privacy or setting("youtube_privacy")
    return Post(
        publication_id=publication.id, workspace_id=workspace.id, account_id=publication.account_id or 0,
        platform=publication.platform, path=path, size=path.stat().st_size, title=content.title.strip(),
        description=content.description, tags=tuple(t for t in content.tags if t),
        attribution=proposal.attribution.strip(),
        privacy=privacy, publish_at=publication.publish_at, made_for_kids=bool(setting("made_for_kids")),
        synthetic_media=bool(setting("synthetic_media")),
        license=str((proposal.data or {}).get("license", "youtube")),
        tiktok_mode=str(setting("tiktok_mode")), tiktok_privacy=str(setting("tiktok_privacy")),
    )


def youtube_tags(tags: tuple[str, ...]) -> list[str]:
    """As many tags as fit YouTube's 500 characters (commas count)."""
    kept: list[str] = []
    for tag in tags:
        if len(",".join([*kept, tag])) > YOUTUBE_TAGS_MAX:
            break
        kept.append(tag)
    return kept


def check(post: Post, max_duration_s: float | None = None) -> MediaInfo:
    """Container, codec, duration, frame rate, resolution, size and metadata, per platform."""
    info = probe(post.path)
    video = info.video
    problems = []
    if video is None:
        problems.append("it has no video stream")
    else:
        if not CONTAINERS & set(info.format_name.split(",")):
            problems.append(f"its container is {info.format_name}; use MP4")
        if video.codec not in VIDEO_CODECS:
            problems.append(f"its video codec is {video.codec}; use H.264")
        if (video.width or 0) < MIN_SIDE and (video.height or 0) < MIN_SIDE:
            problems.append(f"it is only {video.width}x{video.height}; use at least 720x1280")
        problems += _platform_problems(post, info, max_duration_s)
    if not post.title:
        problems.append("it has no title: choose one when approving the proposal")
    if problems:
        raise JobFailed(f"{post.path.name} can't go to {post.platform}: " + "; ".join(problems))
    return info


def _platform_problems(post: Post, info: MediaInfo, max_duration_s: float | None) -> list[str]:
    video = info.video
    assert video is not None
    duration = info.duration_s or video.duration_s or 0.0
    problems = []
    if post.platform == "youtube":
        if duration > SHORTS_MAX_S:
            problems.append(f"it lasts {duration:.0f} s and Shorts stop at 3 minutes")
        if (video.width or 0) > (video.height or 0):
            problems.append(f"it is landscape ({video.width}x{video.height}); Shorts are vertical or square")
        if len(post.title) > YOUTUBE_TITLE_MAX or "<" in post.title or ">" in post.title:
            problems.append(f"the title has {len(post.title)} characters or < >; YouTube takes up to 100, "
                            "without < and >")
        if len(post.description.encode()) > YOUTUBE_DESCRIPTION_MAX_BYTES:
            problems.append("the description is longer than YouTube's 5000 bytes")
    else:
        if max_duration_s is not None and duration > max_duration_s:
            problems.append(f"it lasts {duration:.0f} s and this creator may post up to "
                            f"{max_duration_s:.0f} s")
        if video.fps is not None and not 23 <= video.fps <= 60:
            problems.append(f"its frame rate is {video.fps:g} fps; TikTok takes 23 to 60")
        if post.size > TIKTOK_MAX_BYTES:
            problems.append("it is larger than TikTok's 4 GB")
    return problems
