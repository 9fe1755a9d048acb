"""What a media file is, from its key (its path relative to `DATA_DIR`, as the media store names it)."""

from __future__ import annotations

import enum
from pathlib import PurePosixPath

MANAGED_PREFIXES = ("uploads/", "media/")
ROW_BACKED = ("uploads/", "media/downloads/", "media/renders/")


class Kind(enum.StrEnum):
    uploads = "uploads"
    downloads = "downloads"
    renders = "renders"
    previews = "previews"
    charts = "charts"
    scratch = "scratch"
    other = "other"


KIND_HELP = {
    Kind.uploads: "files received from chat",
    Kind.downloads: "videos fetched from discovery",
    Kind.renders: "rendered shorts",
    Kind.previews: "previews and thumbnails",
    Kind.charts: "analytics charts",
    Kind.scratch: "partial and interrupted files",
    Kind.other: "files ettametta does not manage (never removed)",
}


def kind_of(key: str) -> Kind:
    """uploads/… uploads; media/downloads/…; media/renders/N/render.mp4 a render and its preview.mp4
    and thumbnail.png previews; media/thumbnails/… previews; media/charts/…; any hidden part
    (`.partial-…`, an interrupted copy `.name.xyz`) scratch; anything else other."""
    path = PurePosixPath(key)
    parts = path.parts
    if any(part.startswith(".") for part in parts):
        return Kind.scratch
    if parts[:1] == ("uploads",):
        return Kind.uploads
    area = parts[:2]
    if area == ("media", "downloads"):
        return Kind.downloads
    if area == ("media", "renders"):
        return Kind.previews if path.name.startswith(("preview", "thumbnail")) else Kind.renders
    if area == ("media", "thumbnails"):
        return Kind.previews
    if area == ("media", "charts"):
        return Kind.charts
    return Kind.other


def row_backed(key: str) -> bool:
    """Files a database row points at: one nothing refers to any more is left over."""
    return key.startswith(ROW_BACKED)
