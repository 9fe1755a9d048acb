"""What the generator is given (Brief) and what it must give back (Metadata, validated)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from core.ai import limits
from core.transcript import Word, merged, text_of

MIN_TITLES = 3
MAX_TITLES = 5


@dataclass(frozen=True)
class Brief:
    """Everything a backend may use to write a proposal for one render."""

    words: tuple[Word, ...]
    source_title: str = ""
    channel: str = ""
    platforms: tuple[str, ...] = ("youtube", "tiktok")
    niche: str = ""
    tone: str = "friendly"
    language: str = "en"
    attribution: str = ""
    duration_s: float | None = None
    hint: str = ""
    avoid: tuple[str, ...] = field(default_factory=tuple)
    generation: int = 1

    @property
    def transcript(self) -> str:
        return text_of(self.words)

    def validation_context(self) -> dict[str, Any]:
        return {"attribution": self.attribution, "tiktok": "tiktok" in self.platforms}


def words_from(transcript: list[Any] | None) -> tuple[Word, ...]:
    """Words as the render stored them (`{"word", "start", "end"}`), split tokens merged
    ("1" + ",200" → "1,200"); malformed entries are skipped."""
    words = []
    for item in transcript or []:
        try:
            words.append(Word(str(item["word"]), float(item["start"]), float(item["end"])))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(merged(words))


class Metadata(BaseModel):
    """A proposal's content; validating it enforces YouTube's and TikTok's limits.

    Pass `context={"attribution": line, "tiktok": bool}` so the description is measured as it
    will be published (with the hashtags and the attribution line appended).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    titles: list[str] = Field(min_length=MIN_TITLES, max_length=MAX_TITLES)
    description: str
    hashtags: list[str] = Field(default_factory=list)
    hook: str = ""

    @field_validator("titles")
    @classmethod
    def _titles_fit(cls, titles: list[str]) -> list[str]:
        cleaned = [limits.clean_text(t) for t in titles]
        for number, title in enumerate(cleaned, 1):
            problem = limits.title_problem(title)
            if problem:
                raise ValueError(f"title {number} ({title[:40]!r}…): {problem}")
        lowered = [t.lower() for t in cleaned]
        for number, title in enumerate(lowered, 1):
            if title in lowered[: number - 1]:
                raise ValueError(f"title {number} repeats an earlier one; the titles must differ")
        return cleaned

    @field_validator("description")
    @classmethod
    def _description_text(cls, text: str) -> str:
        text = str(text).strip()
        if not text:
            raise ValueError("the description can't be empty")
        return text

    @field_validator("hashtags", mode="before")
    @classmethod
    def _hashtags_usable(cls, tags: Any) -> list[str]:
        if isinstance(tags, str):
            tags = tags.split()
        return limits.normalize_hashtags(list(tags or []))

    @field_validator("hook")
    @classmethod
    def _hook_one_line(cls, hook: str) -> str:
        return limits.shorten(limits.clean_text(hook), limits.HOOK_MAX_CHARS)

    @model_validator(mode="after")
    def _description_fits(self, info: ValidationInfo) -> Metadata:
        context = info.context or {}
        problem = limits.description_problem(
            self.description, self.hashtags, context.get("attribution", ""),
            tiktok=bool(context.get("tiktok", False)),
        )
        if problem:
            raise ValueError(problem)
        return self


JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "titles": {
            "type": "array",
            "items": {"type": "string", "maxLength": limits.TITLE_MAX_CHARS},
            "minItems": MIN_TITLES,
            "maxItems": MAX_TITLES,
        },
        "description": {"type": "string"},
        "hashtags": {"type": "array", "items": {"type": "string"}},
        "hook": {"type": "string"},
    },
    "required": ["titles", "description", "hashtags", "hook"],
    "additionalProperties": False,
}
