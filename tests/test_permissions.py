"""Roles: who may run what, decided in one place for every front."""

from __future__ import annotations

from core.identity import Caller
from core.invoke import run_text
from core.models import Role


def caller(user: str, *, admin: bool = False, roles: tuple[str, ...] = ()) -> Caller:
    return Caller(front="discord", workspace_ref="guild-1", chat_ref="chan-1", user_ref=user,
                  user_name=user, platform_admin=admin, platform_roles=roles)


def test_a_viewer_cannot_run_an_editor_command_and_is_told_why(services) -> None:
    reply = run_text(services, caller("viewer-1"), "/probe")
    assert reply.error
    assert "Only editors and owners can run /probe; you are a viewer." in reply.text
    assert "/role <you> editor" in reply.text


def test_a_platform_administrator_is_an_owner(services) -> None:
    reply = run_text(services, caller("admin-1", admin=True), "/settings tone calm")
    assert reply.text == "tone is now calm."


def test_an_owner_can_give_a_member_the_editor_role(services) -> None:
    run_text(services, caller("ann"), "/help")
    assert run_text(services, caller("boss", admin=True), "/role ann editor").text == "ann is now editor."
    reply = run_text(services, caller("ann"), "/settings tone calm")
    assert reply.error and "Only owners can change settings." in reply.text


def test_a_platform_role_can_be_mapped_to_an_ettametta_role(services) -> None:
    run_text(services, caller("boss", admin=True), "/role role:555 editor")
    reply = run_text(services, caller("cid", roles=("555",)), "/cancel 99")
    assert "There is no job #99 here." in reply.text


def test_a_viewer_cannot_hand_out_roles(services) -> None:
    reply = run_text(services, caller("eve"), "/role eve owner")
    assert reply.error and "Only owners can run /role" in reply.text


def test_members_of_one_workspace_are_unknown_in_another(services) -> None:
    run_text(services, caller("ann"), "/help")
    other = Caller(front="discord", workspace_ref="guild-2", chat_ref="c", user_ref="boss",
                   platform_admin=True)
    reply = run_text(services, other, "/role ann editor")
    assert "I don't know 'ann' here yet" in reply.text
    assert Role.owner > Role.editor > Role.viewer
