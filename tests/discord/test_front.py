"""The Discord front with a real discord.py client: start-up, slash commands, answers, roles."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.commands import registry
from core.commands.registry import Command, Invocation, all_commands
from core.messages import Reply
from core.services import Services
from tests.fakes.discord_server import ADMIN_ROLE_ID, EDITOR_ROLE_ID, EPHEMERAL, GUILD_ID, FakeDiscord
from tests.support.discord import (
    bot_services,
    discord_services,
    discord_settings,
    running_front,
)


async def test_the_bot_connects_and_registers_every_command_once(
    fake: FakeDiscord, services: Services
) -> None:
    async with running_front(services) as front:
        assert front.client.is_ready()
        assert fake.identified == 1
    scope, commands = fake.command_syncs[0]
    assert scope == "global"
    assert {c["name"] for c in commands} == {c.name for c in all_commands()}
    async with running_front(services):
        pass
    assert len(fake.command_syncs) == 1, "unchanged definitions are not synced again"


async def test_guild_ids_sync_per_guild_and_empty_the_global_commands(
    fake: FakeDiscord, services: Services, tmp_path: Path
) -> None:
    async with running_front(services):
        pass
    built = discord_services(discord_settings(tmp_path, discord_guild_ids=str(GUILD_ID)))
    async with running_front(built):
        pass
    built.db.dispose()
    assert [(scope, len(commands)) for scope, commands in fake.command_syncs[1:]] == [
        ("global", 0), (f"guild:{GUILD_ID}", len(all_commands()))]


async def test_help_is_deferred_then_answered(fake: FakeDiscord, services: Services) -> None:
    someone = fake.add_user("sam")
    async with running_front(services):
        interaction = await fake.slash("help", user=someone)
        answer = await fake.wait_for(lambda: (m := fake.original(interaction)) and m.get("embeds") and m)
    assert interaction.acknowledged == 5, "a slash command is deferred (thinking) first"
    assert interaction.acknowledged_after is not None and interaction.acknowledged_after < 3
    assert "/probe" in fake.text(answer) and "/help" in fake.text(answer)
    assert not int(answer["flags"]) & EPHEMERAL
    assert fake.late == []


async def test_a_viewer_is_refused_an_editor_command_privately(fake: FakeDiscord, services: Services) -> None:
    viewer = fake.add_user("vic")
    async with running_front(services):
        interaction = await fake.slash("cancel", {"job": 1}, user=viewer)
        refusal = await fake.wait_for(lambda: fake.followups(interaction))
    assert "Only editors and owners can run /cancel" in fake.text(refusal[0])
    assert int(refusal[0]["flags"]) & EPHEMERAL
    assert fake.original(interaction)["deleted"], "the public 'thinking…' message is removed"


async def test_an_owner_maps_a_discord_role_and_its_members_become_editors(
    fake: FakeDiscord, services: Services
) -> None:
    admin = fake.add_user("ada", roles=(ADMIN_ROLE_ID,))
    editor = fake.add_user("eve", roles=(EDITOR_ROLE_ID,))
    async with running_front(services):
        mapped = await fake.slash("role", {"user": f"role:{EDITOR_ROLE_ID}", "role": "editor"}, user=admin)
        await fake.wait_for(lambda: (m := fake.original(mapped)) and m.get("embeds"))
        asked = await fake.slash("cancel", {"job": 99}, user=editor)
        answer = await fake.wait_for(lambda: fake.followups(asked))
    assert "Everyone with that role is now at least editor" in fake.text(fake.original(mapped))
    assert "There is no job #99 here" in fake.text(answer[0]), "the editor got past the role check"


async def test_job_ids_autocomplete(fake: FakeDiscord, services: Services, tmp_path: Path) -> None:
    editor = fake.add_user("ed", roles=(ADMIN_ROLE_ID,))
    async with running_front(services):
        started = await fake.slash("probe", {}, user=editor,
                                   attachments={"path": ("a.mp4", b"not really a video")})
        await fake.wait_for(lambda: (m := fake.original(started)) and m.get("embeds"))
        asked = await fake.autocomplete("cancel", "job", "", user=editor)
        await fake.wait_for(lambda: asked.acknowledged)
    assert asked.acknowledged == 8
    assert [c["value"] for c in asked.choices] == [1]
    assert asked.choices[0]["name"].startswith("#1 probe")


def test_parameters_become_typed_options(fake: FakeDiscord) -> None:
    from bot.discord.slash import ATTACHMENT, BOOLEAN, INTEGER, definitions

    by_name = {c["name"]: {o["name"]: o for o in c["options"]} for c in definitions()}
    assert by_name["cancel"]["job"] == {"name": "job", "description": "the job number", "required": True,
                                        "type": INTEGER, "autocomplete": True}
    assert by_name["queue"]["all"]["type"] == BOOLEAN and not by_name["queue"]["all"]["required"]
    assert by_name["probe"]["path"]["type"] == ATTACHMENT
    assert by_name["render"]["file"]["type"] == ATTACHMENT, "a command that says 'attach it' takes a file"
    assert "file" not in by_name["queue"]
    assert [c["value"] for c in by_name["role"]["role"]["choices"]] == ["viewer", "editor", "owner"]



async def test_a_slow_command_is_acknowledged_before_it_finishes(
    fake: FakeDiscord, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def slow(inv: Invocation, svc: Services) -> Reply:
        """Take a while (test command)."""
        release.wait(10)
        return Reply(text="Finally done.")

    monkeypatch.setitem(registry._COMMANDS, "slow", Command("slow", "Take a while.", slow))
    async with running_front(services):
        asked = await fake.slash("slow", user=fake.add_user("sam"))
        await fake.wait_for(lambda: asked.acknowledged)
        assert not release.is_set(), "acknowledged while the command was still running"
        release.set()
        answer = await fake.wait_for(lambda: (m := fake.original(asked)) and m.get("embeds") and m)
    assert "Finally done." in fake.text(answer) and fake.late == []


async def test_run_starts_the_discord_front_and_reports_a_refused_token(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.app import _start_fronts

    with bot_services(tmp_path) as good:
        started = await _start_fronts(good)
        assert [front.front for front in started] == ["discord"]
        await started[0].stop()
    with bot_services(tmp_path / "bad", discord_token="revoked") as bad:
        assert await _start_fronts(bad) == []
    assert "discord front could not start: Discord refused DISCORD_TOKEN" in caplog.text
    assert fake.identified == 1, "the refused token never reached the gateway"
