"""Which permission the bot lacks, and where, when Discord refuses a message (50013 / 50001).

Discord only says "Missing Permissions" (50013) or "Missing Access" (50001). The bot works out
which permission from what the message needed (Create Message: View Channel and Send Messages,
or Send Messages in Threads in a thread; Embed Links for an embed; Attach Files for files —
discord.com/developers/docs/resources/message#create-message) and what discord.py's cache
says it may do there (`permissions_for`, kept current by CHANNEL_UPDATE and role events).
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.discord.failures import MISSING_ACCESS

LABELS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
    "attach_files": "Attach Files",
}


@dataclass(frozen=True)
class MissingPermission:
    """What stops the bot posting in a channel: `where` ("#shorts"), the permissions it lacks
    there as its cache sees them (empty if the cache can't tell), and what the message needed."""

    where: str
    missing: tuple[str, ...]
    needed: tuple[str, ...]
    code: int

    @property
    def lacking(self) -> str:
        """"the Send Messages permission" — or what is needed, when the cache can't tell."""
        if self.missing:
            plural = "s" if len(self.missing) > 1 else ""
            return f"the {_and(self.missing)} permission{plural}"
        if self.code == MISSING_ACCESS:
            return "access to it (Discord says Missing Access: it may have removed the bot from the server)"
        return f"one of the permissions a message there needs ({_and(self.needed)})"

    @property
    def phrase(self) -> str:
        """For logs and /status: "the bot doesn't have the Attach Files permission in #shorts"."""
        return f"the bot doesn't have {self.lacking} in {self.where}"

    def fix(self, bot_name: str) -> str:
        return (f"A server admin can allow it for {bot_name} in the channel's settings "
                "(Edit Channel → Permissions) or in Server Settings → Roles.")


def explain(channel: object, code: int, *, embeds: bool, files: bool) -> MissingPermission:
    """Why Discord refused a message for `channel` with `code`, from the cached permissions."""
    needed = _needed(channel, embeds=embeds, files=files)
    guild = getattr(channel, "guild", None)
    me = guild.me if guild is not None else None
    missing: list[str] = []
    if me is not None and isinstance(channel, discord.abc.GuildChannel | discord.Thread):
        allowed = channel.permissions_for(me)
        missing = [name for name in needed if not getattr(allowed, name)]
        # Without View Channel, or Send Messages, discord.py (like Discord) denies what depends on
        # it too: the first one is the cause.
        missing = missing[:1] if missing and missing[0] in needed[:2] else missing
    return MissingPermission(where_is(channel), tuple(LABELS[n] for n in missing),
                             tuple(LABELS[n] for n in needed), code)


def _needed(channel: object, *, embeds: bool, files: bool) -> list[str]:
    send = "send_messages_in_threads" if isinstance(channel, discord.Thread) else "send_messages"
    return ["view_channel", send, *(["embed_links"] if embeds else []), *(["attach_files"] if files else [])]


def where_is(channel: object) -> str:
    name = getattr(channel, "name", None)
    return f"#{name}" if name else f"channel {getattr(channel, 'id', '?')}"


def _and(items: tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
