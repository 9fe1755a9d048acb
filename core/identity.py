"""Chat identities become workspaces and members on first contact; roles are resolved here."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Member, Role, RoleMapping, Workspace, utcnow


@dataclass(frozen=True)
class Caller:
    """Who wrote to the bot, as a front describes them (ids as strings, no platform objects).

    `platform_admin` (a guild or group administrator, the console's user) makes the person an
    owner; `platform_roles` are matched against the workspace's role mappings.
    """

    front: str
    workspace_ref: str
    chat_ref: str
    user_ref: str
    user_name: str = ""
    workspace_name: str = ""
    platform_admin: bool = False
    platform_roles: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Identity:
    workspace_id: int
    member_id: int
    role: Role


def resolve(session: Session, caller: Caller) -> Identity:
    workspace = session.scalar(
        select(Workspace).where(
            Workspace.front == caller.front, Workspace.external_id == caller.workspace_ref
        )
    )
    if workspace is None:
        workspace = Workspace(
            front=caller.front, external_id=caller.workspace_ref, name=caller.workspace_name
        )
        session.add(workspace)
        session.flush()
    member = session.scalar(
        select(Member).where(Member.workspace_id == workspace.id, Member.user_ref == caller.user_ref)
    )
    if member is None:
        member = Member(
            workspace_id=workspace.id,
            user_ref=caller.user_ref,
            display_name=caller.user_name,
            role=int(Role.owner if caller.platform_admin else Role.viewer),
        )
        session.add(member)
        session.flush()
    else:
        member.last_seen_at = utcnow()
        if caller.user_name and member.display_name != caller.user_name:
            member.display_name = caller.user_name
    return Identity(workspace.id, member.id, effective_role(session, member, caller))


def effective_role(session: Session, member: Member, caller: Caller) -> Role:
    role = Role(member.role)
    if caller.platform_admin:
        role = Role.owner
    if caller.platform_roles:
        mapped = session.scalars(
            select(RoleMapping.role).where(
                RoleMapping.workspace_id == member.workspace_id,
                RoleMapping.platform_role.in_(caller.platform_roles),
            )
        ).all()
        role = max([role, *(Role(r) for r in mapped)])
    return role


def find_member(session: Session, workspace_id: int, who: str) -> Member | None:
    """A member by user id, @mention, or display name (case-insensitive)."""
    ref = who.strip().removeprefix("<@").removeprefix("!").removesuffix(">").lstrip("@")
    members = session.scalars(select(Member).where(Member.workspace_id == workspace_id)).all()
    for member in members:
        if member.user_ref == ref:
            return member
    lowered = ref.lower()
    return next((m for m in members if m.display_name.lower() == lowered), None)
