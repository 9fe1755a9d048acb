"""Commands about the workspace: its settings and who may do what."""

from __future__ import annotations

from sqlalchemy import select

from core import audit, workspace_settings
from core.commands.registry import CommandError, Invocation, arg, command
from core.identity import find_member
from core.messages import Reply
from core.models import Member, Role, RoleMapping, Workspace
from core.services import Services


@command(
    "settings",
    arg("name", "the setting to change", required=False),
    arg("value", "its new value", required=False),
)
def settings(inv: Invocation, svc: Services) -> Reply:
    """Show the workspace's settings, or change one (owners): /settings tone calm."""
    with svc.db.session() as session:
        workspace = session.get_one(Workspace, inv.workspace_id)
        name = inv["name"]
        if name and inv["value"] is not None:
            if inv.role < Role.owner:
                raise CommandError("Only owners can change settings.")
            value = workspace_settings.set_value(workspace, name.lower(), inv["value"])
            audit.record(session, "settings.change", workspace_id=workspace.id,
                         member_id=inv.member_id, subject=name.lower(), value=value)
            return Reply(text=f"{name.lower()} is now {_show(value)}.")
        specs = workspace_settings.SETTINGS.values()
        if name:
            spec = workspace_settings.SETTINGS.get(name.lower())
            if spec is None:
                raise CommandError(f"There is no setting {name!r}. /settings lists them.")
            specs = [spec]
        lines = [f"Settings of {workspace.name or 'this workspace'} (/settings NAME VALUE):"]
        for spec in specs:
            value = workspace_settings.get(workspace, spec.name)
            choices = f" ({'|'.join(spec.choices)})" if spec.choices else ""
            lines.append(f"  {spec.name} = {_show(value)}{choices} — {spec.help}")
    return Reply(text="\n".join(lines))


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value) if value != "" else "(not set)"


@command(
    "role",
    arg("user", "a member (mention, id or name) or a platform role (role:ID)"),
    arg("role", "the role to give", choices=("viewer", "editor", "owner")),
    role=Role.owner,
)
def role(inv: Invocation, svc: Services) -> Reply:
    """Give a member, or everyone with a platform role, a role: viewer, editor or owner."""
    new_role = Role.parse(inv["role"])
    who: str = inv["user"]
    with svc.db.session() as session:
        if who.startswith(("role:", "<@&")):
            platform_role = who.removeprefix("role:").removeprefix("<@&").removesuffix(">")
            mapping = session.scalar(select(RoleMapping).where(
                RoleMapping.workspace_id == inv.workspace_id,
                RoleMapping.platform_role == platform_role))
            if mapping is None:
                mapping = RoleMapping(workspace_id=inv.workspace_id, platform_role=platform_role)
                session.add(mapping)
            mapping.role = int(new_role)
            audit.record(session, "role.map", workspace_id=inv.workspace_id,
                         member_id=inv.member_id, subject=f"role:{platform_role}",
                         role=new_role.name)
            return Reply(text=f"Everyone with that role is now at least {new_role.name}.")
        member: Member | None = find_member(session, inv.workspace_id, who)
        if member is None:
            raise CommandError(f"I don't know {who!r} here yet: they need to write to me once.")
        if member.id == inv.member_id and new_role < Role.owner:
            raise CommandError("You can't lower your own role; ask another owner.")
        member.role = int(new_role)
        audit.record(session, "role.set", workspace_id=inv.workspace_id,
                     member_id=inv.member_id, subject=f"member:{member.id}", role=new_role.name)
        name = member.display_name or member.user_ref
    return Reply(text=f"{name} is now {new_role.name}.")
