"""Who is acting on Discord, as the core sees it: a Caller with ids as strings, no discord objects."""

from __future__ import annotations

import discord

from core.identity import Caller

FRONT = "discord"


def caller_for(
    user: discord.User | discord.Member, chat_id: int | None, *, channel_admin: bool = False
) -> Caller:
    """A guild is a workspace; a DM is the person's own workspace, where they are its owner.

    Guild administrators and the guild owner are ettametta owners by default; the member's role
    ids are matched against the workspace's `/role role:<id> …` mappings.
    """
    chat_ref = str(chat_id or user.id)
    if not isinstance(user, discord.Member):
        return Caller(
            front=FRONT,
            workspace_ref=f"dm:{user.id}",
            chat_ref=chat_ref,
            user_ref=str(user.id),
            user_name=user.display_name,
            workspace_name=f"DM with {user.name}",
            platform_admin=True,
        )
    guild = user.guild
    admin = channel_admin or guild.owner_id == user.id or user.guild_permissions.administrator
    return Caller(
        front=FRONT,
        workspace_ref=str(guild.id),
        chat_ref=chat_ref,
        user_ref=str(user.id),
        user_name=user.display_name,
        workspace_name=guild.name or "",
        platform_admin=admin,
        platform_roles=tuple(str(role.id) for role in user.roles if not role.is_default()),
    )


def interaction_caller(interaction: discord.Interaction) -> Caller:
    in_guild = interaction.guild_id is not None
    return caller_for(
        interaction.user,
        interaction.channel_id,
        channel_admin=in_guild and interaction.permissions.administrator,
    )
