"""Slash commands, autocompletion and button clicks: acknowledged at once, answered by follow-up.

Every interaction is deferred before anything slow happens (Discord drops an interaction not
acknowledged within 3 seconds); the command then runs in a thread through `core.invoke`, as the
person who used it, so the core's role checks apply to clicks as much as to commands.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import discord

from bot.discord import lookups
from bot.discord.choices import command_for
from bot.discord.identity import interaction_caller
from bot.discord.posting import OPEN_DMS_HELP, DMClosed, post, send_dm
from bot.discord.seen import answered, remember
from bot.discord.slash import focused_option, given_options
from bot.discord.uploads import UploadError, download
from core.commands.registry import get_command
from core.invoke import run_named, run_text
from core.messages import Reply
from core.services import Services

log = logging.getLogger(__name__)

EXPIRED = "This button no longer stands for anything I know; run the command again."


class InteractionHandler:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def slash(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        name = str(data.get("name", ""))
        caller = interaction_caller(interaction)
        try:
            raw, paths = await self._arguments(data)
        except UploadError as exc:
            reply = Reply(text=str(exc), error=True, ephemeral=True)
        else:
            reply = await asyncio.to_thread(self._run, interaction, lambda: run_named(
                self.services, caller, name, raw, paths))
        try:
            await self._answer(interaction, reply, f"run /{name} again", original=True)
        finally:
            await asyncio.to_thread(self._answered, interaction)

    async def click(self, interaction: discord.Interaction, mode: str, value: str) -> None:
        await interaction.response.defer()
        text = await asyncio.to_thread(self._command_for, mode, value)
        if text is None:
            reply = Reply(text=EXPIRED, error=True, ephemeral=True)
        else:
            caller = interaction_caller(interaction)
            reply = await asyncio.to_thread(self._run, interaction, lambda: run_text(
                self.services, caller, text))
        try:
            await self._answer(interaction, reply, "press the button again", original=False)
        finally:
            await asyncio.to_thread(self._answered, interaction)

    async def autocomplete(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        command = get_command(str(data.get("name", "")))
        name, typed = focused_option(data)
        param = command.param(name) if command else None
        found: list[tuple[str, Any]] = []
        if param is not None and param.lookup:
            caller = interaction_caller(interaction)
            found = await asyncio.to_thread(lookups.suggestions, self.services, caller.workspace_ref,
                                            param.lookup, typed, param.type is not int)
        await interaction.response.autocomplete(
            [discord.app_commands.Choice(name=label, value=value) for label, value in found])

    def _run(self, interaction: discord.Interaction, command: Callable[[], Reply]) -> Reply:
        """Note where the person is (for a DM that may bounce), then run the command."""
        with self.services.db.session() as session:
            remember(session, str(interaction.user.id), str(interaction.channel_id), interaction.token)
        return command()

    def _answered(self, interaction: discord.Interaction) -> None:
        with self.services.db.session() as session:
            answered(session, str(interaction.user.id))

    def _command_for(self, mode: str, value: str) -> str | None:
        with self.services.db.session() as session:
            return command_for(session, mode, value)

    async def _arguments(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Typed options by name; attached files are downloaded and passed as local paths."""
        values, files = given_options(data)
        paths: list[str] = []
        for attachment in files:
            if not attachment.get("url"):
                raise UploadError("Discord did not include the attached file; attach it again.")
            paths.append(str(await self._download(attachment)))
        return values, paths

    async def _download(self, attachment: dict[str, Any]) -> Path:
        settings = self.services.settings
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return await download(self._http, attachment["url"], attachment.get("filename", "file"),
                              int(attachment.get("size", 0)), settings.data_dir / "uploads",
                              settings.max_input_mb * 1024 * 1024)

    async def _answer(
        self, interaction: discord.Interaction, reply: Reply, again: str, *, original: bool
    ) -> None:
        """Public replies replace the 'thinking…' message; errors and notices go only to the person."""
        if reply.private:
            try:
                await send_dm(self.services, interaction.user, reply)
            except DMClosed:
                notice = Reply(text=OPEN_DMS_HELP.format(again=again), error=True)
            else:
                notice = Reply(text="I sent you the details in a direct message.")
            await self._ephemeral(interaction, notice, original)
        elif reply.ephemeral or reply.error:
            await self._ephemeral(interaction, reply, original)
        else:
            send = _edit_original(interaction) if original else _followup(interaction, ephemeral=False)
            await post(self.services, send, reply, interaction.filesize_limit)

    async def _ephemeral(self, interaction: discord.Interaction, reply: Reply, original: bool) -> None:
        if original:
            try:
                await interaction.delete_original_response()
            except discord.NotFound:
                log.debug("the deferred answer of interaction %s was already gone", interaction.id)
        await post(self.services, _followup(interaction, ephemeral=True), reply, interaction.filesize_limit,
                   reactions=False)


def _edit_original(interaction: discord.Interaction) -> Any:
    async def send(*, files: list[discord.File], **kwargs: Any) -> discord.Message:
        return await interaction.edit_original_response(attachments=files, **kwargs)
    return send


def _followup(interaction: discord.Interaction, *, ephemeral: bool) -> Any:
    async def send(**kwargs: Any) -> discord.Message:
        return await interaction.followup.send(ephemeral=ephemeral, wait=True, **kwargs)
    return send

