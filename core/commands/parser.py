"""The command syntax shared by the console and Telegram.

`/render clip.mp4 preset=bold-captions cc-only "a quoted title"`: positional arguments,
`key=value` options, bare-word flags, quoted strings. Discord passes typed options instead
and goes straight to `bind_values`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from core.commands.registry import Command, Param, ParamKind, UsageError

_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class ParsedLine:
    name: str
    tokens: tuple[str, ...]


def parse_line(text: str) -> ParsedLine:
    """Split `/name@bot args…` into the command name and its tokens."""
    text = text.strip().translate(_SMART_QUOTES)
    if not text.startswith("/"):
        raise UsageError("Commands start with /, for example /help.")
    try:
        tokens = shlex.split(text[1:])
    except ValueError:
        raise UsageError("A quote is not closed: put the closing \" at the end of the text.") from None
    if not tokens:
        raise UsageError("Type a command after the /, for example /help.")
    return ParsedLine(tokens[0].split("@", 1)[0].lower(), tuple(tokens[1:]))


def bind(command: Command, tokens: tuple[str, ...]) -> dict[str, Any]:
    """Match tokens to the command's parameters and convert them to their types."""
    raw: dict[str, Any] = {}
    positional = [p for p in command.params if p.kind is ParamKind.positional]
    queue: list[str] = []
    for token in tokens:
        param = _named_param(command, token)
        if param is None:
            queue.append(token)
        elif param.kind is ParamKind.flag:
            raw[param.name] = _flag_value(command, param, token)
        else:
            raw[param.name] = token.split("=", 1)[1]
    for param, token in zip(positional, queue, strict=False):
        raw[param.name] = token
    if len(queue) > len(positional):
        extra = " ".join(queue[len(positional):])
        raise UsageError(f"I don't know what to do with {extra!r}.\nUsage: {command.usage()}")
    return bind_values(command, raw)


def bind_values(command: Command, raw: dict[str, Any]) -> dict[str, Any]:
    """Validate already-named values (from the parser or Discord's typed options)."""
    values: dict[str, Any] = {}
    for param in command.params:
        if raw.get(param.name) in (None, ""):
            if param.required:
                raise UsageError(f"{param.name.upper()} is missing.\nUsage: {command.usage()}")
            values[param.name] = param.default
            continue
        values[param.name] = convert(command, param, raw[param.name])
    return values


def convert(command: Command, param: Param, value: Any) -> Any:
    if param.type is bool:
        return _bool(command, param, value)
    try:
        converted = param.type(value)
    except (TypeError, ValueError):
        kind = {int: "a whole number", float: "a number"}.get(param.type, param.type.__name__)
        raise UsageError(
            f"{param.name} must be {kind}, not {value!r}.\nUsage: {command.usage()}"
        ) from None
    if param.choices and str(converted).lower() not in param.choices:
        raise UsageError(
            f"{param.name} must be one of {', '.join(param.choices)}, not {value!r}."
            f"\nUsage: {command.usage()}"
        )
    return str(converted).lower() if param.choices else converted


_OPTION = re.compile(r"^-{0,2}([A-Za-z][\w-]*)=(.*)$", re.S)


def _named_param(command: Command, token: str) -> Param | None:
    match = _OPTION.match(token)
    if match:
        param = command.param(match.group(1).lower())
        if param is not None and param.kind is not ParamKind.positional:
            return param
        if param is None and " " not in token:
            options = ", ".join(p.usage() for p in command.params if p.kind is not ParamKind.positional)
            raise UsageError(
                f"/{command.name} has no option {match.group(1)!r}."
                + (f" Options: {options}." if options else "")
                + f"\nUsage: {command.usage()}"
            )
        return None
    param = command.param(token.lstrip("-").lower())
    return param if param is not None and param.kind is ParamKind.flag else None


def _flag_value(command: Command, param: Param, token: str) -> bool:
    return True if "=" not in token else _bool(command, param, token.split("=", 1)[1])


def _bool(command: Command, param: Param, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UsageError(f"{param.name} must be yes or no, not {value!r}.\nUsage: {command.usage()}")
