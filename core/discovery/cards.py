"""How a candidate is shown in chat: thumbnail, title, channel, age, views, velocity, score, rights.

The "Render this" choice appears only when the rights basis allows a render; otherwise
the card says how an editor can record a licence.
"""

from __future__ import annotations

import logging
from pathlib import Path

from yt_dlp.networking.exceptions import RequestError

from core.config import Settings
from core.discovery.guarded_ytdlp import GuardedYoutubeDL
from core.discovery.netguard import NetGuard
from core.discovery.ytdlp_source import ydl_options
from core.jobs import JobFailed
from core.messages import Attachment, Choice, Reply, format_duration
from core.models import Candidate, RightsBasis, utcnow

log = logging.getLogger(__name__)

THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024
IMAGE_SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
RIGHTS_TEXT = {
    RightsBasis.owned: "yours (a connected channel)",
    RightsBasis.creative_commons: "Creative Commons (CC BY: attribution added automatically)",
    RightsBasis.licensed: "licensed (attested by an editor)",
    RightsBasis.none: "trend signal only: not yours, not Creative Commons",
}


def count(value: float | None) -> str:
    if value is None:
        return "?"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}"
    return f"{value:.0f}"


def summary_line(candidate: Candidate) -> str:
    data = candidate.data or {}
    age = format_duration((utcnow() - candidate.published_at).total_seconds()) \
        if candidate.published_at else "?"
    measured = "" if data.get("velocity_measured") else " avg"
    return (f"#{candidate.id} {candidate.title[:80]} — {candidate.channel_title[:40]} · {age} old · "
            f"{count(data.get('views'))} views · {count(data.get('velocity'))}/h{measured} · "
            f"score {candidate.score:.0f} · {RightsBasis(candidate.rights_basis).value}")


def card(candidate: Candidate, settings: Settings, *, heading: str = "") -> Reply:
    basis = RightsBasis(candidate.rights_basis)
    lines = [heading] if heading else []
    lines += [summary_line(candidate), candidate.url, f"Rights: {RIGHTS_TEXT[basis]}"]
    choices = []
    if basis is RightsBasis.none:
        lines.append(f'To render it, an editor who holds a licence can run /attest {candidate.id} '
                     '"who granted it".')
    else:
        choices.append(Choice(label="Render this", command=f"/render {candidate.id}", emoji="🎬"))
    thumb = thumbnail(candidate, settings)
    attachments = [Attachment(path=str(thumb), kind="image", name=thumb.name)] if thumb else []
    return Reply(text="\n".join(lines), choices=choices, attachments=attachments,
                 subject=f"candidate:{candidate.id}")


def thumbnail(candidate: Candidate, settings: Settings) -> Path | None:
    """The candidate's thumbnail as a local file (fronts upload files), or None if unavailable."""
    if not candidate.thumbnail_url:
        return None
    folder = settings.media_dir / "thumbnails"
    existing = sorted(folder.glob(f"candidate-{candidate.id}.*")) if folder.exists() else []
    if existing:
        return existing[0]
    guard = NetGuard(settings.download_allow_private)
    try:
        url = guard.check_url(candidate.thumbnail_url)
        with GuardedYoutubeDL(ydl_options(socket_timeout=10), guard=guard) as ydl, \
                ydl.urlopen(url) as response:
            suffix = IMAGE_SUFFIXES.get(response.headers.get("Content-Type", "").split(";")[0].strip())
            body = response.read(THUMBNAIL_MAX_BYTES + 1) if suffix else b""
        if suffix is None or len(body) > THUMBNAIL_MAX_BYTES:
            return None
    except (RequestError, JobFailed) as exc:
        log.debug("no thumbnail for candidate %s: %s", candidate.id, exc)
        return None
    target = folder / f"candidate-{candidate.id}{suffix}"
    folder.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    return target
