"""The messages sent to an LLM, and how its answer is read back into Metadata."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from core.ai import limits
from core.ai.model import MAX_TITLES, MIN_TITLES, Brief, Metadata

TRANSCRIPT_MAX_CHARS = 6000
ANSWER_QUOTE_CHARS = 4000

SYSTEM = (
    "You write publishing metadata for short vertical videos (YouTube Shorts, TikTok). "
    "Answer with one JSON object and nothing else, with the keys: "
    f'"titles" ({MIN_TITLES} to {MAX_TITLES} distinct titles, each at most '
    f'{limits.TITLE_MAX_CHARS} characters, never containing < or >), '
    '"description" (2 to 4 plain sentences about what the viewer sees and hears), '
    f'"hashtags" (3 to {limits.MAX_HASHTAGS} hashtags like "#Cooking"), '
    '"hook" (one short line to open the video with). '
    "Base everything on the transcript and the source; never invent facts. "
    "Do not add credits or licence text: they are appended automatically."
)


class InvalidAnswer(ValueError):
    """The model's answer is not usable; the message is quoted back to it on the retry."""


def messages(brief: Brief) -> list[dict[str, str]]:
    facts: dict[str, Any] = {
        "transcript": brief.transcript[:TRANSCRIPT_MAX_CHARS] or "(no speech)",
        "source_title": brief.source_title,
        "source_channel": brief.channel,
        "platforms": list(brief.platforms),
        "channel_niche": brief.niche,
        "tone": brief.tone,
        "language": brief.language,
    }
    if brief.duration_s:
        facts["duration_seconds"] = round(brief.duration_s)
    if brief.hint:
        facts["editor_hint"] = brief.hint
    if brief.avoid:
        facts["titles_already_rejected"] = list(brief.avoid)
    user = (
        f"Write the metadata in the language {brief.language!r}, in a {brief.tone} tone"
        + (f", following the editor's hint: {brief.hint}" if brief.hint else "")
        + (". The titles must be new, not any of titles_already_rejected" if brief.avoid else "")
        + ".\n" + json.dumps(facts, ensure_ascii=False)
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def correction(answer: str, problem: str) -> list[dict[str, str]]:
    """The follow-up turn after a bad answer: what was wrong, quoted, and what to send instead."""
    return [
        {"role": "assistant", "content": answer[:ANSWER_QUOTE_CHARS]},
        {"role": "user", "content": (
            f"That answer was rejected: {problem}. Send the corrected JSON object only, "
            "with the keys titles, description, hashtags and hook."
        )},
    ]


def parse(answer: str, brief: Brief) -> Metadata:
    """Read a model's answer; raise InvalidAnswer with a message the model can act on."""
    text = _strip_fences(answer)
    if not text:
        raise InvalidAnswer("the answer was empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if _unclosed(text):
            raise InvalidAnswer(f"the JSON ends early (truncated after {len(text)} characters)") from None
        raise InvalidAnswer(f"the answer is not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(data, dict):
        raise InvalidAnswer("the answer must be a JSON object, not a " + type(data).__name__)
    try:
        return Metadata.model_validate(data, context=brief.validation_context())
    except ValidationError as exc:
        raise InvalidAnswer(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:4]:
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def _strip_fences(answer: str) -> str:
    text = (answer or "").strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0] if text.rstrip().endswith("```") else text
    return text.strip()


def _unclosed(text: str) -> bool:
    """True when the JSON stops inside a string or before its brackets close: it was cut off."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return text.lstrip().startswith(("{", "[")) and (in_string or depth > 0)
