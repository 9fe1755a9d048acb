"""Which local file a command works on: an attachment, or (console only) a path."""

from __future__ import annotations

from pathlib import Path

from core.commands.registry import CommandError, Invocation

LOCAL_PATH_FRONTS = frozenset({"console", "cli"})


def input_file(inv: Invocation, path: str | None) -> Path:
    """Chat users hand files over as attachments; only the local console may name host paths."""
    if inv.attachments:
        return Path(inv.attachments[0])
    if not path:
        raise CommandError("Attach the video to the command, or give its path.")
    if inv.front not in LOCAL_PATH_FRONTS:
        raise CommandError("Attach the video to your message: paths on the bot's machine can only "
                           "be used from its console.")
    return Path(path).expanduser().resolve()
