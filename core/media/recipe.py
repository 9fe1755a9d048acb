"""What a render does, as a typed, validated recipe: the one place that says what an edit may be.

Recipes travel as JSON (stored with each Render and each workspace preset), so every part is
a frozen pydantic model that refuses unknown keys and out-of-range values with a clear reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

OUTPUT_WIDTH = 1080
OUTPUT_HEIGHT = 1920
MIN_FPS = 23.0
MAX_FPS = 60.0
TARGET_MAX_SECONDS = {"shorts": 180.0, "tiktok": 600.0}
LOOKS = ("none", "warm", "cool", "punchy", "cinematic", "mono", "vintage")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


class RecipeError(ValueError):
    """A recipe that cannot be rendered; the message says which value and why."""


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Trim(_Part):
    """Which part of the source to keep: a fixed window, or the best `auto_seconds` by speech."""

    start: float = Field(default=0.0, ge=0)
    end: float | None = Field(default=None, gt=0)
    auto_seconds: float | None = Field(default=None, ge=3, le=600)

    @model_validator(mode="after")
    def _window(self) -> Trim:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"trim end ({self.end:g} s) must be after its start ({self.start:g} s)")
        return self


FITS = ("crop", "blur", "track", "split")


class Reframe(_Part):
    """`crop` fills 9:16 from the centre; `blur` fits the whole frame over a blurred copy of itself;
    `track` follows the speaker with a moving 9:16 crop; `split` stacks two people (two 1080x960
    crops) while both are in shot far apart, and follows one otherwise."""

    mode: Literal["crop", "blur", "track", "split"] = "crop"


class Grade(_Part):
    """A named look built from eq/curves, and/or a user's .cube LUT."""

    look: Literal["none", "warm", "cool", "punchy", "cinematic", "mono", "vintage"] = "none"
    lut: str | None = None

    @field_validator("lut")
    @classmethod
    def _lut_file(cls, value: str | None) -> str | None:
        if value is None:
            return None
        path = Path(value)
        if path.suffix.lower() != ".cube":
            raise ValueError(f"the LUT {path.name} is not a .cube file")
        if not path.is_file():
            raise ValueError(f"the LUT file {path.name} does not exist")
        return str(path)


class CaptionStyle(_Part):
    """Burned-in word captions; positions stay inside the Shorts/TikTok safe zone."""

    enabled: bool = True
    font: str = "Inter"
    bold: bool = True
    size: int = Field(default=78, ge=30, le=160)
    colour: str = "#FFFFFF"
    highlight: str = "#FFD400"
    outline_colour: str = "#000000"
    outline: float = Field(default=5.0, ge=0, le=16)
    position: Literal["bottom", "middle", "top"] = "bottom"
    max_words_per_line: int = Field(default=3, ge=1, le=8)
    max_lines: int = Field(default=2, ge=1, le=2)
    uppercase: bool = False

    @field_validator("colour", "highlight", "outline_colour")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _COLOUR.match(value):
            raise ValueError(f"{value!r} is not a colour like #FFD400")
        return value.upper()


class Interrupts(_Part):
    """Punch-in zooms that reset attention: every `every_s` seconds and/or at scene cuts."""

    every_s: float | None = Field(default=None, ge=1.5, le=60)
    at_scene_cuts: bool = False
    strength: float = Field(default=1.15, ge=1.02, le=1.6)
    duration_s: float = Field(default=0.6, ge=0.1, le=3)

    @property
    def enabled(self) -> bool:
        return self.every_s is not None or self.at_scene_cuts


class Recipe(_Part):
    trim: Trim = Trim()
    reframe: Reframe = Reframe()
    mirror: bool = False
    zoom: float = Field(default=1.0, ge=1.0, le=2.0)
    grade: Grade = Grade()
    captions: CaptionStyle = CaptionStyle()
    interrupts: Interrupts = Interrupts()
    loudnorm: bool = True
    target: Literal["shorts", "tiktok"] = "shorts"

    @property
    def max_seconds(self) -> float:
        return TARGET_MAX_SECONDS[self.target]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def load_recipe(data: dict[str, Any]) -> Recipe:
    """A recipe from JSON, or a RecipeError naming each bad value in plain words."""
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        raise RecipeError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "recipe"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "is not a recipe setting"
        problems.append(f"{where}: {message}")
    return "Invalid recipe — " + "; ".join(problems)
