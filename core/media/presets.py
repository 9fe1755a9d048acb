"""Named recipes, and the short option names people use to adjust one (`mirror=no zoom=1.2`).

The same option names work in chat (`/render clip.mp4 bold-captions look=warm`), in
`/preset save`, and on the command line, so they are defined once here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from core.media.loudness import promise
from core.media.recipe import Recipe, RecipeError, load_recipe


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    recipe: Recipe


def _preset(name: str, summary: str, data: dict[str, Any]) -> Preset:
    return Preset(name, summary, load_recipe(data))


BUILTIN: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        _preset("clean", "centre crop, natural colour, simple white captions", {
            "captions": {"highlight": "#FFFFFF", "size": 70, "max_words_per_line": 4},
        }),
        _preset("bold-captions", "mirror, slight zoom, punchy grade, big highlighted captions, "
                "punch-ins every 4 s", {
                    "mirror": True, "zoom": 1.08, "grade": {"look": "punchy"},
                    "captions": {"size": 92, "max_words_per_line": 2, "uppercase": True,
                                 "position": "middle"},
                    "interrupts": {"every_s": 4.0, "strength": 1.12, "duration_s": 0.5},
                }),
        _preset("cinematic", "blurred-background fit, cinematic grade, small lower captions", {
            "reframe": {"mode": "blur"}, "grade": {"look": "cinematic"},
            "captions": {"size": 62, "highlight": "#9FD8FF", "max_words_per_line": 5},
        }),
        _preset("podcast", "follows the speaker (centre crop when no face is found), warm grade, "
                "captions mid-frame, punch-ins every 8 s", {
                    "reframe": {"mode": "track"}, "grade": {"look": "warm"},
                    "captions": {"size": 84, "position": "middle", "max_words_per_line": 3},
                    "interrupts": {"every_s": 8.0, "strength": 1.1, "duration_s": 1.0},
                }),
    )
}
DEFAULT_PRESET = "clean"
FIT_NAMES = {
    "crop": "centre crop", "blur": "blurred-background fit",
    "track": "follows the speaker (centre crop when no face is found)",
    "split": "two people stacked when both are in shot, else follows the speaker",
}

# option name → (path in the recipe, how to read the value, what it means)
OPTIONS: dict[str, tuple[str, type, str]] = {
    "start": ("trim.start", float, "keep from this second"),
    "end": ("trim.end", float, "keep up to this second"),
    "auto-trim": ("trim.auto_seconds", float, "keep the best N seconds of speech"),
    "captions": ("captions.enabled", bool, "burn in word captions (yes/no)"),
    "mirror": ("mirror", bool, "flip horizontally (yes/no)"),
    "zoom": ("zoom", float, "zoom factor 1.0–2.0"),
    "look": ("grade.look", str, "colour look: none, warm, cool, punchy, cinematic, mono, vintage"),
    "lut": ("grade.lut", str, "a .cube LUT file"),
    "fit": ("reframe.mode", str,
            "crop (centre), blur (blurred background), track (follow the speaker), split (two stacked)"),
    "position": ("captions.position", str, "captions at bottom, middle or top"),
    "highlight": ("captions.highlight", str, "colour of the word being spoken, like #FFD400"),
    "punch-every": ("interrupts.every_s", float, "punch-in zoom every N seconds"),
    "scene-cuts": ("interrupts.at_scene_cuts", bool, "punch-in at scene cuts (yes/no)"),
    "target": ("target", str, "shorts (≤ 3 min) or tiktok (≤ 10 min)"),
}


def builtin(name: str) -> Preset | None:
    return BUILTIN.get(name.lower())


def with_overrides(recipe: Recipe, overrides: dict[str, Any]) -> Recipe:
    """The recipe with option values applied (None means unset), validated again as a whole."""
    data = copy.deepcopy(recipe.to_json())
    for name, value in overrides.items():
        if value is None:
            continue
        if name not in OPTIONS:
            raise RecipeError(f"{name} is not a render option; options: {', '.join(OPTIONS)}")
        path, kind, _ = OPTIONS[name]
        *parents, leaf = path.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _convert(name, kind, value)
    return load_recipe(data)


def _convert(name: str, kind: type, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("yes", "true", "on", "1"):
            return True
        if text in ("no", "false", "off", "0"):
            return False
        raise RecipeError(f"{name} must be yes or no, not {value!r}")
    if kind is float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise RecipeError(f"{name} must be a number, not {value!r}") from None
    return str(value)


def listing() -> list[str]:
    return [f"{preset.name} — {preset.summary}" for preset in BUILTIN.values()]


def explain(recipe: Recipe) -> str:
    """One readable line per part of a recipe (for /preset show and --list-presets)."""
    trim = recipe.trim
    if trim.auto_seconds:
        window = f"best {trim.auto_seconds:g} s of speech"
    elif trim.start or trim.end:
        window = f"{trim.start:g}–{f'{trim.end:g}' if trim.end else 'end'} s"
    else:
        window = "whole video"
    caps = recipe.captions
    captions = (f"{caps.font} {caps.size}{' bold' if caps.bold else ''}, {caps.colour} with "
                f"{caps.highlight} highlight, {caps.position}, {caps.max_words_per_line} words × "
                f"{caps.max_lines} lines" + (", uppercase" if caps.uppercase else "")
                if caps.enabled else "off")
    punch = recipe.interrupts
    when = " and ".join(filter(None, [f"every {punch.every_s:g} s" if punch.every_s else "",
                                      "at scene cuts" if punch.at_scene_cuts else ""]))
    interrupts = f"{when}, ×{punch.strength:g} for {punch.duration_s:g} s" if punch.enabled else "off"
    grade = recipe.grade.look + (f" + LUT {recipe.grade.lut}" if recipe.grade.lut else "")
    return "\n".join([
        f"  trim: {window}",
        f"  frame: {FIT_NAMES[recipe.reframe.mode]} to 1080x1920, zoom ×{recipe.zoom:g}"
        + (", mirrored" if recipe.mirror else ""),
        f"  colour: {grade}",
        f"  captions: {captions}",
        f"  punch-ins: {interrupts}",
        f"  audio: {promise() if recipe.loudnorm else 'as recorded'}",
        f"  target: {recipe.target} (≤ {recipe.max_seconds / 60:.0f} min)",
    ])
