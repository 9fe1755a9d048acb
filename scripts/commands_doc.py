"""Write docs/commands.md from the command registry, so the docs can't drift from the code.

Run: .venv/bin/python scripts/commands_doc.py > docs/commands.md
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.commands.registry import ParamKind, all_commands  # noqa: E402

KIND = {ParamKind.positional: "argument", ParamKind.option: "option `name=value`", ParamKind.flag: "flag"}


def render() -> str:
    lines = [
        "# Commands",
        "",
        "The same commands work on Discord (slash commands), Telegram and the console. On",
        "Telegram and the console they are typed as `/name arguments`: positional arguments in",
        "order, `key=value` options, bare-word flags, \"quoted strings\" for text with spaces.",
        "Who may run a command depends on your role (viewer < editor < owner; see",
        "[architecture.md](architecture.md#roles)).",
        "",
        "This page is generated from the code (`scripts/commands_doc.py`).",
        "",
        "| command | what it does | who |",
        "| --- | --- | --- |",
    ]
    commands = all_commands()
    for cmd in commands:
        usage = cmd.usage().replace("|", "\\|")
        lines.append(f"| `{usage}` | {cmd.help} | {cmd.min_role.name} |")
    for cmd in commands:
        lines += ["", f"## /{cmd.name}", "", cmd.help, "", f"    {cmd.usage()}", ""]
        if cmd.details:
            lines += [cmd.details, ""]
        for param in cmd.params:
            choices = f" One of: {', '.join(param.choices)}." if param.choices else ""
            required = "" if param.required or param.kind is not ParamKind.positional else ", optional"
            lines.append(f"- `{param.name}` ({KIND[param.kind]}{required}): {param.help}.{choices}")
        lines.append(f"- Who: {cmd.min_role.name}s and above.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
