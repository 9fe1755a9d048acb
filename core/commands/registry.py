"""Every command is declared once here: name, help, typed parameters, the least role to run it.

A command's help is the first line of its handler's docstring, so it reads the same on
Discord, Telegram, the console and in docs/commands.md.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.messages import Reply
from core.models import Role

if TYPE_CHECKING:
    from core.services import Services


class CommandError(Exception):
    """A problem the person can fix; its message is shown to them as it is."""


class UsageError(CommandError):
    """The command was written wrongly; the message ends with the command's usage."""


class ParamKind(enum.StrEnum):
    positional = "positional"
    option = "option"
    flag = "flag"


@dataclass(frozen=True)
class Param:
    """One parameter. `lookup` names what ids it takes (job, proposal, watch…) for autocompletion."""

    name: str
    help: str
    type: type = str
    kind: ParamKind = ParamKind.positional
    required: bool = True
    choices: tuple[str, ...] = ()
    default: Any = None
    lookup: str = ""

    def usage(self) -> str:
        if self.kind is ParamKind.flag:
            return f"[{self.name}]"
        shown = "|".join(self.choices) if self.choices else self.name.upper()
        if self.kind is ParamKind.option:
            return f"[{self.name}={shown}]"
        return shown if self.required else f"[{shown}]"


def arg(name: str, help: str, type: type = str, **kw: Any) -> Param:
    return Param(name, help, type, ParamKind.positional, **kw)


def option(name: str, help: str, type: type = str, **kw: Any) -> Param:
    return Param(name, help, type, ParamKind.option, required=False, **kw)


def flag(name: str, help: str) -> Param:
    return Param(name, help, bool, ParamKind.flag, required=False, default=False)


@dataclass(frozen=True)
class Invocation:
    """Who ran a command, where, with which arguments; handlers never see a platform object."""

    command: str
    args: dict[str, Any]
    workspace_id: int
    member_id: int
    role: Role
    front: str
    chat_ref: str
    user_name: str
    attachments: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Any:
        return self.args.get(name)


Handler = Callable[[Invocation, "Services"], Reply]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    handler: Handler
    params: tuple[Param, ...] = ()
    min_role: Role = Role.viewer
    details: str = field(default="", compare=False)

    def usage(self) -> str:
        return " ".join([f"/{self.name}", *(p.usage() for p in self.params)])

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


_COMMANDS: dict[str, Command] = {}


def command(name: str, *params: Param, role: Role = Role.viewer) -> Callable[[Handler], Handler]:
    """Register a handler as the command `name`; its docstring's first line is the help text."""

    def register(handler: Handler) -> Handler:
        doc = inspect.cleandoc(handler.__doc__ or "")
        summary, _, details = doc.partition("\n")
        if not summary:
            raise ValueError(f"command {name} needs a one-line docstring: it is the help text")
        if name in _COMMANDS and _COMMANDS[name].handler is not handler:
            raise ValueError(f"command {name} is defined twice")
        _COMMANDS[name] = Command(name, summary.strip(), handler, params, role, details.strip())
        return handler

    return register


def load_commands() -> None:
    """Import every module in core.commands so that each registers its commands."""
    package = importlib.import_module("core.commands")
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"core.commands.{module.name}")


def all_commands() -> list[Command]:
    load_commands()
    return sorted(_COMMANDS.values(), key=lambda c: c.name)


def get_command(name: str) -> Command | None:
    load_commands()
    return _COMMANDS.get(name.lower())
