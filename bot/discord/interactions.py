"""Slash commands, autocompletion and button clicks: acknowledged at once, answered by follow-up.

Every interaction is deferred before anything slow happens (Discord drops an interaction not
acknowledged within 3 seconds); the command then runs in a thread through `core.invoke`, as the
person who used it, so the core's role checks apply to clicks as much as to commands. An answer
ready after the interaction's token died (15 minutes: 401 / 50027, or 10015) goes through the
outbox instead: to the channel, or by DM when it was private. Autocompletion can't be deferred:
its lookup is bounded (bot/discord/lookups.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import discord

from bot.discord import lookups
from bot.discord.choices import command_for
from bot.discord.failures import token_gone
from bot.discord.identity import FRONT, interaction_caller
from bot.discord.posting import OPEN_DMS_HELP, DMClosed, interaction_upload_limit, post, send_dm
from bot.discord.seen import answered, remember
from bot.discord.slash import focused_option, given_options
from bot.discord.uploads import UploadError, download
from core import outbox
from core.commands.registry import get_command
from core.invoke import run_named, run_text
from core.messages import Reply
from core.models import OutboxKind
from core.services import Services

log = logging.getLogger(__name__)

EXPIRED = "This button no longer stands for anything I know; run the command again."


class InteractionHandler:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.suggester = lookups.Suggester(services)
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
            await self._answer_in_time(interaction, reply, f"/{name}", original=True)
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
            await self._answer_in_time(interaction, reply, "button press", original=False)
        finally:
            await asyncio.to_thread(self._answered, interaction)

    async def autocomplete(self, interaction: discord.Interaction) -> None:
        started = time.monotonic()
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        command = get_command(str(data.get("name", "")))
        name, typed = focused_option(data)
        param = command.param(name) if command else None
        found: list[tuple[str, Any]] = []
        if param is not None and param.lookup:
            caller = interaction_caller(interaction)
            budget = self.suggester.budget - (time.monotonic() - started)
            found = await self.suggester.suggest(caller.workspace_ref, param.lookup, typed,
                                                 param.type is not int, budget)
        try:
            await interaction.response.autocomplete(
                [discord.app_commands.Choice(name=label, value=value) for label, value in found])
        except discord.HTTPException as exc:
            log.warning("Discord refused autocomplete suggestions: %s", exc)

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

    async def _answer_in_time(
        self, interaction: discord.Interaction, reply: Reply, what: str, *, original: bool
    ) -> None:
        """Answer through the interaction, or through the outbox once its token has died."""
        try:
            await self._answer(interaction, reply, what, original=original)
        except discord.HTTPException as exc:
            if not token_gone(exc):
                raise
            log.info("the interaction for %s expired before its answer (%s); posting it instead",
                     what, exc.code)
            await asyncio.to_thread(self._answer_later, interaction, reply, what)

    def _answer_later(self, interaction: discord.Interaction, reply: Reply, what: str) -> None:
        """Public answers go to the channel, private ones (and errors) to the person by DM."""
        late = "it took longer than Discord waits for an answer"
        with self.services.db.session() as session:
            if reply.private or reply.ephemeral or reply.error:
                text = f"The answer to your {what} in <#{interaction.channel_id}> ({late}):\n\n{reply.text}"
                outbox.post(session, FRONT, str(interaction.user.id),
                            reply.model_copy(update={"text": text, "private": True}), kind=OutboxKind.direct)
            else:
                text = f"The answer to {interaction.user.mention}'s {what} ({late}):\n\n{reply.text}"
                outbox.post(session, FRONT, str(interaction.channel_id),
                            reply.model_copy(update={"text": text}))

    async def _answer(
        self, interaction: discord.Interaction, reply: Reply, what: str, *, original: bool
    ) -> None:
        """Public replies replace the 'thinking…' message; errors and notices go only to the person."""
        limit = interaction_upload_limit(interaction)
        if reply.private:
            try:
                await send_dm(self.services, interaction.user, reply)
            except DMClosed:
                again = f"run {what} again" if what.startswith("/") else "press the button again"
                await self._ephemeral(interaction, Reply(text=OPEN_DMS_HELP.format(again=again), error=True),
                                      original)
                return
            try:
                await self._ephemeral(interaction, Reply(text="I sent you the details in a direct message."),
                                      original)
            except discord.HTTPException as exc:
                if not token_gone(exc):
                    raise
        elif reply.ephemeral or reply.error:
            await self._ephemeral(interaction, reply, original)
        else:
            send = _edit_original(interaction) if original else _followup(interaction, ephemeral=False)
            await post(self.services, send, reply, limit)

    async def _ephemeral(self, interaction: discord.Interaction, reply: Reply, original: bool) -> None:
        if original:
            try:
                await interaction.delete_original_response()
            except discord.NotFound as exc:
                if token_gone(exc):
                    raise
                log.debug("the deferred answer of interaction %s was already gone", interaction.id)
        await post(self.services, _followup(interaction, ephemeral=True), reply,
                   interaction_upload_limit(interaction), reactions=False)


def _edit_original(interaction: discord.Interaction) -> Any:
    async def send(*, files: list[discord.File], **kwargs: Any) -> discord.Message:
        return await interaction.edit_original_response(attachments=files, **kwargs)
    return send


def _followup(interaction: discord.Interaction, *, ephemeral: bool) -> Any:
    async def send(**kwargs: Any) -> discord.Message:
        return await interaction.followup.send(ephemeral=ephemeral, wait=True, **kwargs)
    return send

