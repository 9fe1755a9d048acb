"""What sources find, and how a watch names its source.

A source turns references (channel ids, a query, a chart, a page URL) into `Found` videos
with whatever statistics the platform gives; scoring and merging never care which source.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from urllib.parse import unquote, urlsplit

from core.commands.registry import CommandError

YOUTUBE_CHANNEL = "youtube-channel"
YOUTUBE_TRENDING = "youtube-trending"
YOUTUBE_SEARCH = "youtube-search"
YTDLP = "ytdlp"

_CHANNEL_ID = re.compile(r"^UC[\w-]{22}$")
_REGION = re.compile(r"^[A-Za-z]{2}$")
HANDLE_PUNCTUATION = frozenset("_-.\u00b7")
HANDLE_MAX_CODE_POINTS = 100
LATIN_HANDLE_MIN = 3


@dataclass(frozen=True)
class Found:
    """One video as a source saw it; counts are None when the platform doesn't say."""

    platform: str
    external_id: str
    url: str
    title: str = ""
    channel_id: str = ""
    channel_title: str = ""
    published_at: datetime | None = None
    duration_s: float | None = None
    license: str = ""
    thumbnail_url: str = ""
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    live: bool = False
    channel_median_views: float | None = None


@dataclass(frozen=True)
class Fetched:
    """What one reference gave: videos, or the one-line reason it failed."""

    ref: str
    videos: list[Found] = field(default_factory=list)
    error: str = ""
    resolved: dict[str, str] = field(default_factory=dict)


class DiscoverySource(Protocol):
    """Finds videos for many references at once, so it can batch its API calls."""

    kind: str

    def fetch(self, refs: list[str], known: dict[str, dict[str, str]]) -> Iterable[Fetched]:
        """`known[ref]` holds what an earlier scan resolved (e.g. the uploads playlist id)."""
        ...


@dataclass(frozen=True)
class SourceSpec:
    kind: str
    ref: str

    def label(self) -> str:
        return {YOUTUBE_CHANNEL: "YouTube channel", YOUTUBE_TRENDING: "YouTube trending",
                YOUTUBE_SEARCH: "YouTube search", YTDLP: "page"}[self.kind] + f" {self.ref}"


def parse_source(text: str) -> SourceSpec:
    """`UC…`, `@handle` or a channel URL; `trending:US[:CATEGORY]`; `search:QUERY`; any other URL."""
    text = text.strip()
    lowered = text.lower()
    if lowered.startswith("trending:"):
        region, _, category = text[9:].partition(":")
        if not _REGION.match(region) or (category and not category.isdigit()):
            raise CommandError("Write trending sources as trending:US or trending:US:20 "
                               "(a two-letter region, then an optional category number).")
        return SourceSpec(YOUTUBE_TRENDING, f"{region.upper()}:{category}" if category else region.upper())
    if lowered.startswith("search:"):
        query = text[7:].strip()
        if not query:
            raise CommandError('Write search sources as search:"what to look for".')
        return SourceSpec(YOUTUBE_SEARCH, query)
    if _CHANNEL_ID.match(text):
        return SourceSpec(YOUTUBE_CHANNEL, text)
    handle = youtube_handle(text)
    if handle:
        return SourceSpec(YOUTUBE_CHANNEL, handle)
    if lowered.startswith(("http://", "https://")):
        return _from_url(text)
    raise CommandError(
        f"I can't tell what {text!r} is. Use a YouTube channel (UC… id, @handle or its URL), "
        "trending:US, search:QUERY, or the URL of a TikTok user, hashtag or other page."
    )


def _from_url(url: str) -> SourceSpec:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    segments = [s for s in parts.path.split("/") if s]
    if host in {"youtube.com", "youtu.be"} and segments:
        if segments[0] == "channel" and len(segments) > 1 and _CHANNEL_ID.match(segments[1]):
            return SourceSpec(YOUTUBE_CHANNEL, segments[1])
        handle = youtube_handle(segments[0])
        if handle:
            return SourceSpec(YOUTUBE_CHANNEL, handle)
    return SourceSpec(YTDLP, url)


def youtube_handle(text: str) -> str | None:
    """`@name` as YouTube's handle rules allow it, decoded and NFC-normalised; None otherwise.

    Browsers copy a handle in a URL percent-encoded (`@%E6%9D%B1…`), so it is decoded first.
    YouTube's handle guidelines allow letters and digits of any of its supported languages,
    combining marks that belong to them, and `_` `-` `.` `·` (Latin middle dot); 3–30
    characters for Latin handles, with per-script limits for others. The length is checked
    loosely (YouTube counts characters per script; code points run longer with marks) and the
    API lookup is the final word on whether the handle exists.
    """
    try:
        decoded = unicodedata.normalize("NFC", unquote(text, errors="strict"))
    except UnicodeDecodeError:
        return None
    if not decoded.startswith("@"):
        return None
    name = decoded[1:]
    if not 0 < len(name) <= HANDLE_MAX_CODE_POINTS or not all(map(_handle_character, name)):
        return None
    if not any(ch.isalnum() for ch in name):
        return None
    if name.isascii() and len(name) < LATIN_HANDLE_MIN:
        return None
    return decoded


def _handle_character(ch: str) -> bool:
    """A letter or mark of any script, a decimal digit, or one of the allowed punctuation marks."""
    category = unicodedata.category(ch)
    return ch in HANDLE_PUNCTUATION or category[0] in "LM" or category == "Nd"
