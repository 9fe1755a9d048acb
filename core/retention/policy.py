"""How long each kind of media file is kept, from the configuration (docs/storage.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.config import Settings
from core.retention.kinds import Kind

AGED_KINDS = (Kind.uploads, Kind.downloads, Kind.renders, Kind.previews, Kind.charts)


@dataclass(frozen=True)
class Policy:
    """Age limits; None keeps a kind forever. `published` replaces the limit of a render (and its
    preview) that was published; `scratch` is the grace of partial files and files no row
    refers to (longer than any job runs, so nothing being written is taken)."""

    ages: dict[Kind, timedelta | None]
    published: timedelta | None
    scratch: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        ages = {kind: _days(_configured(settings, kind)) for kind in AGED_KINDS}
        return cls(ages, _days(settings.published_retention_days),
                   timedelta(hours=settings.scratch_retention_hours))

    def limit(self, kind: Kind, published: bool = False) -> timedelta | None:
        if kind is Kind.scratch:
            return self.scratch
        if published and kind in (Kind.renders, Kind.previews):
            return self.published
        return self.ages.get(kind)

    def describe(self) -> str:
        """'uploads, downloads, renders, previews and charts 30 days, published renders 180 days, …'."""
        groups: dict[timedelta | None, list[str]] = {}
        for kind in AGED_KINDS:
            groups.setdefault(self.ages[kind], []).append(kind.value)
        parts = [f"{_listed(kinds)} {_words(age)}" for age, kinds in groups.items()]
        parts.append(f"published renders {_words(self.published)}")
        parts.append(f"scratch and files nothing refers to {self.scratch.total_seconds() / 3600:.0f} hours")
        return ", ".join(parts)


def _configured(settings: Settings, kind: Kind) -> int:
    own = getattr(settings, f"{kind.value}_retention_days")
    return settings.media_retention_days if own is None else own


def _days(days: int) -> timedelta | None:
    return timedelta(days=days) if days > 0 else None


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _words(age: timedelta | None) -> str:
    return "kept" if age is None else f"{age.days} days"
