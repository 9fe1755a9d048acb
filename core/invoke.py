"""Running a command for a caller: parse, identify, check the role, call the handler.

Every front goes through here, so permission checks and error wording are the same everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from core.commands.parser import bind, bind_values, parse_line
from core.commands.registry import Command, CommandError, Invocation, get_command
from core.identity import Caller, resolve
from core.messages import Reply
from core.models import Role
from core.services import Services

log = logging.getLogger(__name__)


def run_text(services: Services, caller: Caller, text: str, attachments: Sequence[str] = ()) -> Reply:
    """Run a line such as `/render clip.mp4 preset=clean` (console and Telegram)."""
    try:
        parsed = parse_line(text)
        command = _find(parsed.name)
        args = bind(command, parsed.tokens)
    except CommandError as exc:
        return Reply(text=str(exc), error=True, ephemeral=True)
    return _run(services, caller, command, args, attachments)


def run_named(
    services: Services,
    caller: Caller,
    name: str,
    raw: dict[str, Any],
    attachments: Sequence[str] = (),
) -> Reply:
    """Run a command whose arguments a front already has by name (Discord slash options)."""
    try:
        command = _find(name)
        args = bind_values(command, raw)
    except CommandError as exc:
        return Reply(text=str(exc), error=True, ephemeral=True)
    return _run(services, caller, command, args, attachments)


def _find(name: str) -> Command:
    command = get_command(name)
    if command is None:
        raise CommandError(f"There is no /{name} command. /help lists them all.")
    return command


def _run(
    services: Services,
    caller: Caller,
    command: Command,
    args: dict[str, Any],
    attachments: Sequence[str],
) -> Reply:
    with services.db.session() as session:
        identity = resolve(session, caller)
    if identity.role < command.min_role:
        return Reply(text=denied(command, identity.role), error=True, ephemeral=True)
    invocation = Invocation(
        command=command.name,
        args=args,
        workspace_id=identity.workspace_id,
        member_id=identity.member_id,
        role=identity.role,
        front=caller.front,
        chat_ref=caller.chat_ref,
        user_name=caller.user_name,
        attachments=tuple(attachments),
    )
    try:
        return command.handler(invocation, services)
    except CommandError as exc:
        return Reply(text=str(exc), error=True, ephemeral=True)
    except Exception:
        log.exception("/%s failed", command.name)
        return Reply(
            text=f"/{command.name} failed unexpectedly. Nothing was changed; the details are in "
            "the bot's log. Try again, and if it keeps failing run `ettametta doctor`.",
            error=True,
            ephemeral=True,
        )


def denied(command: Command, role: Role) -> str:
    needed = {Role.editor: "editors and owners", Role.owner: "owners"}[command.min_role]
    return (
        f"Only {needed} can run /{command.name}; you are a {role.name}. "
        f"An owner can give you the role with /role <you> {command.min_role.name}."
    )
