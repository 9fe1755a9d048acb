"""Slash commands generated from the command registry, and synced only when they changed.

Each registry `Param` becomes a typed option (flags become booleans, `lookup` parameters get
autocompletion, file parameters become attachment options). The JSON sent to Discord is
hashed per scope (a guild, or global) into `DATA_DIR`, so a restart does not spend Discord's
200-creates-a-day budget re-registering identical commands.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

import discord

from core.commands.registry import Command, Param, ParamKind, all_commands

log = logging.getLogger(__name__)

STRING, INTEGER, BOOLEAN, NUMBER, ATTACHMENT = 3, 4, 5, 10, 11
CHAT_INPUT = 1
MAX_CHOICES = 25
DESCRIPTION_LIMIT = 100
FILE_PARAM_NAMES = frozenset({"path", "input", "file"})
ATTACHMENT_OPTION = "file"
_NAME = re.compile(r"^[-_a-z0-9]{1,32}$")
_TYPES = {int: INTEGER, float: NUMBER, bool: BOOLEAN}
STATE_FILE = "discord-commands.json"


def is_file_param(param: Param) -> bool:
    """A file is handed over as a Discord attachment: paths on the bot's machine mean nothing here."""
    return param.lookup == "file" or (
        param.type is str and param.name in FILE_PARAM_NAMES and not param.choices
    )


def takes_attachment(command: Command) -> bool:
    """A command whose parameters say "attach" also accepts a file (`/render file:` + a preset)."""
    return any("attach" in p.help.lower() for p in command.params) and not any(
        is_file_param(p) for p in command.params)


def _describe(text: str) -> str:
    text = " ".join(text.split()) or "—"
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


def option_payload(param: Param) -> dict[str, Any]:
    option: dict[str, Any] = {
        "name": param.name,
        "description": _describe(param.help),
        "required": param.required and param.kind is ParamKind.positional,
    }
    if is_file_param(param):
        option["type"] = ATTACHMENT
        return option
    option["type"] = BOOLEAN if param.kind is ParamKind.flag else _TYPES.get(param.type, STRING)
    if param.choices:
        option["choices"] = [{"name": c, "value": c} for c in param.choices[:MAX_CHOICES]]
    elif param.lookup:
        option["autocomplete"] = True
    return option


def command_payload(command: Command) -> dict[str, Any]:
    options = [option_payload(p) for p in command.params if _NAME.match(p.name)]
    if takes_attachment(command) and command.param(ATTACHMENT_OPTION) is None:
        options.append({"name": ATTACHMENT_OPTION, "description": "the video or file to use",
                        "required": False, "type": ATTACHMENT})
    options.sort(key=lambda o: not o["required"])
    return {
        "name": command.name,
        "type": CHAT_INPUT,
        "description": _describe(command.help),
        "options": options,
    }


def definitions() -> list[dict[str, Any]]:
    """Every registry command as Discord wants it; names Discord would refuse are skipped (logged)."""
    payloads = []
    for command in all_commands():
        if not _NAME.match(command.name):
            log.warning("/%s can't be a Discord slash command (names are a-z, 0-9, - and _)",
                        command.name)
            continue
        payloads.append(command_payload(command))
    return payloads


def definitions_hash(payloads: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payloads, sort_keys=True).encode()).hexdigest()


async def sync_commands(
    http: discord.http.HTTPClient, application_id: int, guild_ids: list[int], data_dir: Path
) -> list[str]:
    """Register the commands per guild (instant) or globally, skipping scopes already up to date.

    A scope synced before but no longer configured (global after guild ids were set, or a guild
    removed from the list) is emptied, so people don't see every command twice.
    """
    payloads = definitions()
    digest = definitions_hash(payloads)
    state_path = data_dir / STATE_FILE
    state = _read_state(state_path)
    wanted = {_scope(application_id, g): g for g in guild_ids} or {_scope(application_id, None): None}
    stale = {scope: _guild_of(scope) for scope in state if scope.startswith(f"{application_id}:")
             and scope not in wanted}
    synced = []
    for scope, guild_id in [*stale.items(), *wanted.items()]:
        content = payloads if scope in wanted else []
        if state.get(scope) == (digest if content else None):
            continue
        if guild_id is None:
            await http.bulk_upsert_global_commands(application_id, content)
        else:
            await http.bulk_upsert_guild_commands(application_id, guild_id, content)
        if content:
            state[scope] = digest
        else:
            state.pop(scope, None)
        synced.append(scope)
        log.info("synced %d slash commands (%s)", len(content), scope)
    if synced:
        data_dir.mkdir(parents=True, exist_ok=True)
        state_path.write_text(json.dumps(state, indent=1, sort_keys=True))
    return synced


def _scope(application_id: int, guild_id: int | None) -> str:
    return f"{application_id}:global" if guild_id is None else f"{application_id}:guild:{guild_id}"


def _guild_of(scope: str) -> int | None:
    _, kind, *rest = scope.split(":")
    return int(rest[0]) if kind == "guild" and rest else None


def _read_state(path: Path) -> dict[str, str]:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def given_options(data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The options a person filled in, by name, and the attachments among them (Discord's objects)."""
    values: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    resolved = data.get("resolved", {}).get("attachments", {})
    for option in data.get("options", []):
        if option.get("type") == ATTACHMENT:
            files.append(resolved.get(str(option.get("value")), {}))
        else:
            values[option["name"]] = option.get("value")
    return values, files


def focused_option(data: dict[str, Any]) -> tuple[str, str]:
    """The option being typed in an autocomplete request, and what is typed so far."""
    for option in data.get("options", []):
        if option.get("focused"):
            return option["name"], str(option.get("value") or "")
    return "", ""
