"""Commands to connect accounts and publish approved proposals: /connect /accounts /disconnect /publish."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from core import audit, jobs, outbox, workspace_settings
from core.commands.jobs import origin
from core.commands.registry import CommandError, Invocation, arg, command, option
from core.messages import Reply
from core.models import Account, Member, Publication, Role, Workspace, utcnow
from core.publish import moderation, oauth, publications, tokens
from core.publish.oauth_types import STATE_TTL, ConnectFailed
from core.services import Services

AT_FORMAT = "%Y-%m-%d %H:%M"


@command("connect", arg("platform", "where to connect", choices=("youtube", "tiktok")), role=Role.editor)
def connect(inv: Invocation, svc: Services) -> Reply:
    """Connect a YouTube channel or TikTok account: I send you a one-time link by DM."""
    platform = inv["platform"]
    with svc.db.session() as session:
        try:
            link = oauth.begin(session, svc.settings, platform, inv.workspace_id, inv.member_id)
        except ConnectFailed as exc:
            raise CommandError(str(exc)) from None
        member = session.get_one(Member, inv.member_id)
        outbox.direct(session, member, Reply(text=(
            f"Open this link to connect {oauth.LABELS[platform]} (it works once, for 10 minutes):\n{link}\n"
            "When you have allowed access, the page says so and I confirm here."),
            expires_at=utcnow() + STATE_TTL, renew=f"/connect {platform}", one_time_secret=True))
    return Reply(text=f"Check your DMs: I sent you a link to connect {oauth.LABELS[platform]}.")


@command("accounts")
def accounts(inv: Invocation, svc: Services) -> Reply:
    """List the workspace's connected accounts: name, permissions, token health."""
    with svc.db.session() as session:
        rows = session.scalars(select(Account).where(Account.workspace_id == inv.workspace_id)
                               .order_by(Account.platform, Account.id)).all()
        names = {m.id: m.display_name or m.user_ref for m in session.scalars(
            select(Member).where(Member.workspace_id == inv.workspace_id))}
    if not rows:
        return Reply(text="No accounts connected yet. /connect youtube or /connect tiktok.")
    lines = ["Connected accounts:"]
    for account in rows:
        health = "ok" if account.healthy else f"needs reconnecting ({account.health_note})"
        expiry = f", token renews {account.expires_at:%Y-%m-%d %H:%M} UTC" if account.expires_at else ""
        scopes = ", ".join(s.rsplit("/", 1)[-1] for s in account.scopes or []) or "unknown"
        who = names.get(account.connected_by or 0, "someone who left")
        lines.append(f"#{account.id} {oauth.LABELS.get(account.platform, account.platform)} "
                     f"\u201c{account.name}\u201d — {health}{expiry}; permissions: {scopes}; "
                     f"connected by {who}")
    return Reply(text="\n".join(lines))


@command("disconnect", arg("account", "the account number (see /accounts)", type=int, lookup="account"),
         role=Role.editor)
def disconnect(inv: Invocation, svc: Services) -> Reply:
    """Disconnect an account: revoke its access and forget its tokens (who connected it, or an owner)."""
    with svc.db.session() as session:
        account = session.get(Account, inv["account"])
        if account is None or account.workspace_id != inv.workspace_id:
            raise CommandError(f"There is no account #{inv['account']} here. /accounts lists them.")
        if account.connected_by != inv.member_id and inv.role < Role.owner:
            raise CommandError(f"Account #{account.id} was connected by someone else; only they or an "
                               "owner can disconnect it.")
    revoked = oauth.revoke(svc.settings, account)
    with svc.db.session() as session:
        row = session.get(Account, account.id)
        if row is not None:
            session.delete(row)
        audit.record(session, "account.disconnect", workspace_id=inv.workspace_id, member_id=inv.member_id,
                     subject=f"account:{account.id}", platform=account.platform, revoked=revoked)
    label = f"{oauth.LABELS.get(account.platform, account.platform)} {tokens.describe(account)}"
    if revoked:
        return Reply(text=f"Disconnected {label}: its access is revoked and its tokens are deleted.")
    return Reply(text=f"Disconnected {label} and deleted its tokens, but the platform could not be "
                      "reached to revoke access: remove the app in the account's security settings too.")


@command(
    "publish",
    arg("proposal", "the approved proposal", type=int, lookup="proposal"),
    arg("target", "where to publish", required=False, choices=("youtube", "tiktok", "all"), default="all"),
    option("at", 'when, in the workspace time zone: "2026-12-01 18:00"'),
    role=Role.editor,
)
def publish(inv: Invocation, svc: Services) -> Reply:
    """Publish an approved proposal to YouTube, TikTok or all connected accounts, now or at a time."""
    target = inv["target"] or "all"
    with svc.db.session() as session:
        proposal = publications.approved_proposal(session, inv.workspace_id, inv["proposal"])
        workspace = session.get_one(Workspace, inv.workspace_id)
        timezone = str(workspace_settings.get(workspace, "timezone"))
        publish_at = _when(inv["at"], timezone) if inv["at"] else None
        targets = publications.accounts_for(session, inv.workspace_id, target)
        if not targets:
            raise CommandError(f"No {'' if target == 'all' else target + ' '}account is connected here: "
                               "/connect youtube or /connect tiktok first.")
        where = publications.reply_origin(proposal, origin(inv))
        started, lines = [], []
        for account in targets:
            publication = publications.prepare(session, proposal, account, publish_at)
            lines.append(_line(account, publication))
            if publication.state not in publications.FINISHED:
                started.append(publications.enqueue(session, publication, where))
        audit.record(session, "publish.request", workspace_id=inv.workspace_id, member_id=inv.member_id,
                     subject=f"proposal:{proposal.id}", target=target,
                     at=publish_at.isoformat() if publish_at else None)
    for job in started:
        jobs.dispatch(svc, job)
    return Reply(text=f"Publishing proposal #{inv['proposal']}:\n" + "\n".join(lines))


def _line(account: Account, publication: Publication) -> str:
    label = f"{oauth.LABELS[account.platform]} \u201c{account.name}\u201d"
    if publication.state in ("published", "inbox"):
        return f"{label}: already done — {publication.url or publication.state}"
    if moderation.is_waiting(publication):
        return (f"{label}: TikTok has the whole video and is still checking it (publication "
                f"#{publication.id}); asking again, never uploading it twice")
    when = f", at {publication.publish_at:%Y-%m-%d %H:%M} UTC" if publication.publish_at else ""
    health = "" if account.healthy else " (the account needs reconnecting first: /connect)"
    return f"{label}: queued as publication #{publication.id}{when}{health}"


def _when(text: str, timezone: str) -> datetime:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(f"The workspace time zone {timezone!r} is not valid: /settings timezone "
                           "Europe/Paris (an IANA name).") from None
    try:
        local = datetime.strptime(text.strip(), AT_FORMAT).replace(tzinfo=zone)
    except ValueError:
        raise CommandError(f'at= takes a time like "2026-12-01 18:00", not {text!r}.') from None
    if local <= utcnow():
        raise CommandError(f"{text} ({timezone}) is in the past.")
    return local.astimezone(ZoneInfo("UTC"))
