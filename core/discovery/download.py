"""Downloading a candidate into a local source file for the render engine, with yt-dlp as a library.

Idempotent (an existing file is returned as it is); capped at 1080p mp4 and at the
configured size and duration; http(s) only and, unless `DOWNLOAD_ALLOW_PRIVATE`, never
towards private, loopback or link-local addresses. The file name is ours
(`downloads/candidate-ID.mp4`), the download happens in a scratch folder that is removed
whatever happens, and the errors people meet each become one clear line.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from yt_dlp.utils import DownloadError

from core.discovery.guarded_ytdlp import NATIVE_PROTOCOLS, GuardedYoutubeDL
from core.discovery.netguard import NetGuard
from core.discovery.ytdlp_source import ydl_options
from core.jobs import JobCancelled, JobFailed
from core.models import Candidate, Source
from core.services import Services

FORMAT = "/".join(
    choice.replace("{native}", NATIVE_PROTOCOLS) for choice in (
        "bv*[height<=?1080][ext=mp4]{native}+ba[ext=m4a]{native}", "b[height<=?1080][ext=mp4]{native}",
        "bv*[height<=?1080]{native}+ba{native}", "b[height<=?1080]{native}"))
MESSAGES = (
    ("private video", "This video is private, so it can't be downloaded."),
    ("members-only", "This video is for channel members only."),
    ("has been removed", "This video was removed."),
    ("video unavailable", "This video is unavailable (removed or made private)."),
    ("available in your country", "This video is geo-blocked where the bot runs."),
    ("from your location", "This video is geo-blocked where the bot runs."),
    ("geo restrict", "This video is geo-blocked where the bot runs."),
    ("sign in to confirm your age", "This video is age-restricted and needs a signed-in account."),
    ("live event", "This is a live stream; download it once it has ended."),
    ("is live", "This is a live stream; download it once it has ended."),
    ("http error 404", "The link is dead (404 Not Found)."),
    ("http error 410", "The link is gone (410)."),
    ("http error 403", "The site refused the download (403 Forbidden)."),
    ("unsupported url", "That page has no video I can download."),
    ("no video formats", "That page has no video I can download."),
    ("requested format is not available", "No mp4 of 1080p or less is offered for this video."),
)

ProgressFn = Callable[[float, str], None]


class _TooBig(Exception):
    pass


def downloads_dir(services: Services) -> Path:
    return services.settings.media_dir / "downloads"


def download_candidate(services: Services, candidate_id: int, progress: ProgressFn) -> Path:
    """The candidate's video as a local mp4 (downloaded once), recorded on it and on its Source."""
    with services.db.session() as session:
        candidate = session.get(Candidate, candidate_id)
        if candidate is None:
            raise JobFailed(f"There is no candidate #{candidate_id}.")
        if candidate.local_path and Path(candidate.local_path).is_file():
            return Path(candidate.local_path)
        url, live = candidate.url, bool((candidate.data or {}).get("live"))
    if live:
        raise JobFailed("This is a live stream; download it once it has ended.")
    NetGuard(services.settings.download_allow_private).check_url(url)
    folder = downloads_dir(services)
    scratch = folder / f".partial-{candidate_id}-{uuid.uuid4().hex[:8]}"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        fetched = _fetch(services, url, scratch, progress)
        final = folder / f"candidate-{candidate_id}{fetched.suffix or '.mp4'}"
        fetched.replace(final)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _record(services, candidate_id, final)
    progress(100, "downloaded")
    return final


def _fetch(services: Services, url: str, scratch: Path, progress: ProgressFn) -> Path:
    settings = services.settings
    max_bytes = settings.max_input_mb * 1024 * 1024
    options = ydl_options(
        skip_download=False, format=FORMAT, merge_output_format="mp4", noplaylist=True,
        outtmpl={"default": str(scratch / "video.%(ext)s")}, max_filesize=max_bytes,
        progress_hooks=[_hook(progress, max_bytes)], restrictfilenames=True, overwrites=True,
    )
    try:
        with GuardedYoutubeDL(options, guard=NetGuard(settings.download_allow_private)) as ydl:
            info = ydl.extract_info(url, download=False)
            _check_limits(info, settings.max_input_minutes, max_bytes)
            ydl.process_ie_result(info, download=True)
    except DownloadError as exc:
        cause = exc.exc_info[1] if exc.exc_info else None
        if isinstance(cause, JobCancelled | JobFailed):
            raise cause from None
        if isinstance(cause, _TooBig):
            raise JobFailed(str(cause)) from None
        raise JobFailed(one_line(str(exc))) from None
    except _TooBig as exc:
        raise JobFailed(str(exc)) from None
    files = [p for p in scratch.iterdir() if p.is_file() and not p.name.endswith((".part", ".ytdl"))]
    if not files:
        raise JobFailed(f"The video is larger than the {settings.max_input_mb} MB limit (MAX_INPUT_MB).")
    return max(files, key=lambda p: p.stat().st_size)


def _check_limits(info: dict[str, Any], max_minutes: int, max_bytes: int) -> None:
    if info.get("_type") == "playlist" or info.get("entries") is not None:
        raise JobFailed("That link is a playlist or a channel, not one video.")
    if info.get("is_live") or info.get("live_status") in {"is_live", "is_upcoming"}:
        raise JobFailed("This is a live stream; download it once it has ended.")
    duration = info.get("duration")
    if duration and duration > max_minutes * 60:
        raise JobFailed(f"The video is {duration / 60:.0f} minutes long; the limit is {max_minutes} "
                        "(MAX_INPUT_MINUTES).")
    size = info.get("filesize") or info.get("filesize_approx")
    if size and size > max_bytes:
        raise _TooBig(f"The video is {size / 2**20:.0f} MB; the limit is {max_bytes // 2**20} MB "
                      "(MAX_INPUT_MB).")


def _hook(progress: ProgressFn, max_bytes: int) -> Callable[[dict[str, Any]], None]:
    def hook(status: dict[str, Any]) -> None:
        if status.get("status") != "downloading":
            return
        done = status.get("downloaded_bytes") or 0
        total = status.get("total_bytes") or status.get("total_bytes_estimate")
        if done > max_bytes or (total and total > max_bytes):
            raise _TooBig(f"The video is larger than the {max_bytes // 2**20} MB limit (MAX_INPUT_MB).")
        percent = 100 * done / total if total else 0.0
        shown = f"{done / 2**20:.1f} of {total / 2**20:.1f} MB" if total else f"{done / 2**20:.1f} MB"
        progress(min(99.0, percent), shown)

    return hook


def _record(services: Services, candidate_id: int, path: Path) -> None:
    with services.db.session() as session:
        candidate = session.get_one(Candidate, candidate_id)
        candidate.local_path = str(path)
        for source in session.scalars(select(Source).where(Source.candidate_id == candidate_id)):
            source.local_path = str(path)


def one_line(text: str) -> str:
    """yt-dlp's error as the one clear line a person can act on."""
    lowered = text.lower()
    for needle, message in MESSAGES:
        if needle in lowered:
            return message
    first = text.removeprefix("ERROR: ").splitlines()[0] if text else "the download failed"
    return f"The download failed: {first[:200]}"
