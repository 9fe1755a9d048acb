"""Posting a prepared reply anywhere (channel, DM, interaction follow-up) and its reactions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.discord.choices import remember_reactions
from bot.discord.render import Prepared, UploadLimit, prepare
from core.messages import Reply
from core.services import Services

log = logging.getLogger(__name__)

CANNOT_DM = 50007
OPEN_DMS_HELP = (
    "I couldn't send you a direct message: your DMs are closed to me. To open them, click the "
    "server's name → Privacy Settings → turn on Direct Messages (or User Settings → Content & "
    "Social → allow DMs from server members). Nothing was lost: {again}"
)

Sender = Callable[..., Awaitable[discord.Message | None]]
# discord.py's default, what Discord takes in DMs and in servers below boost tier 2 (10 MiB)
DM_UPLOAD_LIMIT = UploadLimit(discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES, "a direct message's")


class DMClosed(Exception):
    """The person does not accept direct messages from the bot (Discord 403 / 50007)."""


def is_closed_dm(exc: discord.HTTPException) -> bool:
    return isinstance(exc, discord.Forbidden) and exc.code == CANNOT_DM


async def post(
    services: Services, send: Sender, reply: Reply, upload_limit: UploadLimit, *, reactions: bool = True
) -> discord.Message | None:
    """Render off the loop, send, then add the choices' emoji as reactions the bot understands."""
    prepared = await asyncio.to_thread(prepare, services, reply, upload_limit)
    return await post_prepared(services, send, prepared, reactions=reactions)


async def post_prepared(
    services: Services, send: Sender, prepared: Prepared, *, reactions: bool = True
) -> discord.Message | None:
    message = await send(**prepared.message())
    if message is not None and reactions:
        await add_reactions(services, message, prepared)
    return message


async def add_reactions(services: Services, message: discord.Message, prepared: Prepared) -> None:
    choices = prepared.reaction_choices
    if not choices:
        return
    await asyncio.to_thread(_remember, services, message.id, prepared)
    for choice in choices:
        try:
            await message.add_reaction(choice.emoji)
        except discord.HTTPException as exc:
            log.warning("could not add reaction %s to message %s: %s", choice.emoji, message.id, exc)


def _remember(services: Services, message_id: int, prepared: Prepared) -> None:
    with services.db.session() as session:
        remember_reactions(session, message_id, prepared.reaction_choices)


async def send_dm(services: Services, user: discord.abc.User, reply: Reply) -> discord.Message | None:
    """A direct message; raises DMClosed when the person's DMs are closed to the bot."""
    async def send(**kwargs: Any) -> discord.Message:
        return await user.send(**kwargs)

    try:
        return await post(services, send, reply, DM_UPLOAD_LIMIT)
    except discord.HTTPException as exc:
        if is_closed_dm(exc):
            raise DMClosed(str(exc)) from exc
        raise


def channel_upload_limit(channel: object) -> UploadLimit:
    """The server's limit as discord.py reports it from its boost tier (`Guild.filesize_limit`);
    10 MiB in a DM or a channel not in the cache."""
    guild = getattr(channel, "guild", None)
    if guild is not None:
        return UploadLimit(guild.filesize_limit, "this server's")
    if isinstance(channel, discord.DMChannel):
        return DM_UPLOAD_LIMIT
    return UploadLimit(discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES)


def interaction_upload_limit(interaction: discord.Interaction) -> UploadLimit:
    """What Discord says this interaction's answer may carry (`attachment_size_limit`)."""
    return UploadLimit(interaction.filesize_limit)
