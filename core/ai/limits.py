"""Platform limits a proposal must respect, and how YouTube counts them (PLATFORMS.md, YouTube).

Kept in one place so the generator, the `/title` and `/describe` edits and publishing all
measure the same way.
"""

from __future__ import annotations

import re

TITLE_MAX_CHARS = 100
TITLE_FORBIDDEN = "<>"
DESCRIPTION_MAX_BYTES = 5000
TAGS_MAX_CHARS = 500
TIKTOK_CAPTION_MAX_CHARS = 2200
HOOK_MAX_CHARS = 150
MAX_HASHTAGS = 10
HASHTAG_MAX_CHARS = 40

_HASHTAG_CHARS = re.compile(r"[^\w]", re.UNICODE)


def title_problem(title: str) -> str | None:
    """Why YouTube would refuse this title, or None when it is fine."""
    if not title.strip():
        return "a title can't be empty"
    if len(title) > TITLE_MAX_CHARS:
        return f"a title is at most {TITLE_MAX_CHARS} characters; this one has {len(title)}"
    bad = sorted({c for c in title if c in TITLE_FORBIDDEN})
    if bad:
        return f"a title can't contain {' or '.join(bad)} (YouTube refuses them)"
    return None


def clean_text(text: str) -> str:
    """One line: whitespace collapsed, surrounding quotes a model likes to add removed."""
    text = " ".join(str(text).split())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def normalize_hashtag(tag: str) -> str | None:
    """`morning coffee` → `#MorningCoffee`; None when nothing usable is left."""
    words = [w for w in str(tag).replace("#", " ").split() if w]
    if not words:
        return None
    joined = words[0] if len(words) == 1 else "".join(w[:1].upper() + w[1:] for w in words)
    joined = _HASHTAG_CHARS.sub("", joined)[:HASHTAG_MAX_CHARS]
    return f"#{joined}" if joined and not joined.isdigit() else None


def normalize_hashtags(tags: list[str] | tuple[str, ...]) -> list[str]:
    """Usable, distinct hashtags (case-insensitive), at most MAX_HASHTAGS, within the tag budget."""
    seen: set[str] = set()
    result: list[str] = []
    for tag in tags:
        normal = normalize_hashtag(tag)
        if normal and normal.lower() not in seen:
            seen.add(normal.lower())
            result.append(normal)
    result = result[:MAX_HASHTAGS]
    while result and tags_length(result) > TAGS_MAX_CHARS:
        result.pop()
    return result


def tags_length(hashtags: list[str]) -> int:
    """YouTube's count for the tags field: commas count, a tag with a space counts its quotes."""
    tags = [tag.lstrip("#") for tag in hashtags]
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(0, len(tags) - 1)


def full_description(body: str, hashtags: list[str], attribution: str) -> str:
    """The description as published: the text, the hashtags line, then the attribution line."""
    parts = [body.strip()]
    if hashtags:
        parts.append(" ".join(hashtags))
    if attribution:
        parts.append(attribution)
    return "\n\n".join(p for p in parts if p)


def description_problem(body: str, hashtags: list[str], attribution: str, *, tiktok: bool) -> str | None:
    """Why the published description would be too long for a target, or None."""
    text = full_description(body, hashtags, attribution)
    size = len(text.encode("utf-8"))
    if size > DESCRIPTION_MAX_BYTES:
        return (f"the description (with hashtags and attribution) is {size} bytes; YouTube allows "
                f"{DESCRIPTION_MAX_BYTES}")
    if tiktok and len(text) > TIKTOK_CAPTION_MAX_CHARS:
        return (f"the description (with hashtags and attribution) is {len(text)} characters; a "
                f"TikTok caption allows {TIKTOK_CAPTION_MAX_CHARS}")
    return None


def attribution_line(attribution: dict[str, str] | None) -> str:
    """The CC BY credit the re-user must write: title, channel, link, licence."""
    if not attribution or not attribution.get("url"):
        return ""
    title = attribution.get("title") or "Original video"
    channel = attribution.get("channel") or "its creator"
    licence = attribution.get("license") or "CC BY 3.0"
    return f'Source: "{title}" by {channel} ({attribution["url"]}), licensed under {licence}.'


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary so the result fits `limit` characters, with an ellipsis if cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-—")
    return (cut or text[: limit - 1]) + "…"
