"""Connecting an account: one-time links sent by DM, and the callback that stores the tokens.

A link's `state` is random, single-use, bound to the person and workspace that asked for
it, and dies after ten minutes. Only its SHA-256 is stored, with the PKCE verifier
encrypted next to it. A replayed, foreign or expired state is refused and logged — the
state value itself never reaches a log line — and the person who asked for an expired or
reused link is told by DM as well as on the page. How it ended is an `Outcome` of reason
codes and names (core.publish.oauth_words words it); provider text is never passed on.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from types import ModuleType

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit, outbox
from core.config import Settings, new_token
from core.messages import Reply
from core.models import Account, Member, OAuthState, OutboxEvent, Workspace, utcnow
from core.publish import oauth_google, oauth_tiktok, tokens
from core.publish.oauth_types import LINK_MINUTES, STATE_TTL, ConnectFailed, RemoteIdentity
from core.publish.oauth_words import LABELS, explain, known_reason, next_step, place
from core.services import Services

log = logging.getLogger(__name__)

ACCOUNT_NAME_SHOWN = 100
PROVIDERS: dict[str, ModuleType] = {"youtube": oauth_google, "tiktok": oauth_tiktok}
CONFIG_NAMES = {"youtube": "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET",
                "tiktok": "TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET"}


@dataclass(frozen=True)
class Pending:
    """A consumed state: who asked, where, and the PKCE verifier to finish with."""

    platform: str
    workspace_id: int
    member_id: int
    verifier: str
    redirect_uri: str


@dataclass(frozen=True)
class Outcome:
    """How a callback ended: `reason` is a failure's code (oauth_words.REASONS); `place` says
    where the link was asked for; `account` is the connected account's name."""

    ok: bool
    platform: str
    reason: str = ""
    place: str = ""
    account: str = ""
    front: str = ""


class StaleLink(ConnectFailed):
    """A link we issued that can't be used any more (expired or used); `member_id` asked for it."""

    def __init__(self, message: str, reason: str, state_id: int, member_id: int, workspace_id: int) -> None:
        super().__init__(message, reason)
        self.state_id, self.member_id, self.workspace_id = state_id, member_id, workspace_id


def provider(platform: str) -> ModuleType:
    found = PROVIDERS.get(platform)
    if found is None:
        raise ConnectFailed(f"I can connect youtube or tiktok, not {platform!r}.")
    return found


def redirect_uri(settings: Settings, platform: str) -> str:
    return f"{settings.public_url.rstrip('/')}/oauth/{platform}/callback"


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def begin(session: Session, settings: Settings, platform: str, workspace_id: int, member_id: int) -> str:
    """Record a pending authorisation and return the link the person should open."""
    source = provider(platform)
    if not source.configured(settings):
        raise ConnectFailed(f"{LABELS[platform]} is not set up on this bot: its operator must set "
                            f"{CONFIG_NAMES[platform]} (see docs/publishing.md).")
    state, verifier = new_token(32), new_token(48)
    redirect = redirect_uri(settings, platform)
    url = source.authorization_url(settings, redirect, state, verifier)
    session.add(OAuthState(
        state=_digest(state), platform=platform, workspace_id=workspace_id, member_id=member_id,
        code_verifier_blob=tokens.cipher(settings).seal(verifier.encode()),
        redirect_uri=redirect, expires_at=utcnow() + STATE_TTL,
    ))
    return url


def consume(session: Session, settings: Settings, platform: str, state: str) -> Pending:
    """Use a state once; anything else (unknown, other platform, used, expired) is refused."""
    row = session.scalar(select(OAuthState).where(OAuthState.state == _digest(state))) if state else None
    if row is None or row.platform != platform:
        log.warning("refused a %s OAuth callback: the state was not issued for it", platform)
        raise ConnectFailed("This link is not one I issued for this.", "link_unknown")
    if row.used_at is not None:
        log.warning("refused a %s OAuth callback: state #%s was already used", platform, row.id)
        raise StaleLink("This link was already used.", "link_used", row.id, row.member_id, row.workspace_id)
    if row.expires_at <= utcnow():
        log.warning("refused a %s OAuth callback: state #%s expired", platform, row.id)
        raise StaleLink("This link expired.", "link_expired", row.id, row.member_id, row.workspace_id)
    taken = session.execute(update(OAuthState).where(OAuthState.id == row.id, OAuthState.used_at.is_(None))
                            .values(used_at=utcnow())).rowcount
    if not taken:
        log.warning("refused a %s OAuth callback: state #%s was used concurrently", platform, row.id)
        raise StaleLink("This link was already used.", "link_used", row.id, row.member_id, row.workspace_id)
    verifier = tokens.cipher(settings).open(row.code_verifier_blob or b"").decode()
    return Pending(platform, row.workspace_id, row.member_id, verifier, row.redirect_uri)


def complete(services: Services, platform: str, query: dict[str, str]) -> Outcome:
    """The callback: check the state, exchange the code, learn the channel, store, confirm by DM.

    `query` is the callback's query string as sent; its `error_description` is never used.
    """
    settings = services.settings
    try:
        source = provider(platform)
        with services.db.session() as session:
            pending = consume(session, settings, platform, query.get("state", ""))
    except StaleLink as exc:
        where = _place(services, exc.workspace_id)
        _tell_stale(services, platform, exc, where)
        return Outcome(False, platform, exc.reason, where[0], front=where[1])
    except ConnectFailed as exc:
        return Outcome(False, platform, exc.reason)
    where = _place(services, pending.workspace_id)
    try:
        if query.get("error"):
            raise ConnectFailed("the platform sent an error back", known_reason(query["error"]))
        if not query.get("code"):
            raise ConnectFailed("the platform sent no authorisation code", "no_code")
        granted = source.exchange(settings, pending.redirect_uri, query.get("state", ""), pending.verifier,
                                  query["code"])
        identity = source.identify(settings, granted["access_token"])
    except ConnectFailed as exc:
        log.info("connecting %s for member %s failed: %s", platform, pending.member_id, exc.reason)
        _tell(services, pending.member_id, Reply(text=_failure_dm(platform, exc.reason, where[0])))
        return Outcome(False, platform, exc.reason, where[0], front=where[1])
    account_id = _store(services, pending, identity, granted)
    missing = sorted(set(source.SCOPES) - set(granted.get("scope") or source.SCOPES))
    note = (f" Some permissions were not granted ({', '.join(missing)}): publishing may fail until you "
            f"/connect {platform} again and allow them all.") if missing else ""
    _tell(services, pending.member_id, Reply(
        text=f"Connected {LABELS[platform]} \u201c{identity.name}\u201d as account #{account_id}.{note} "
             "/accounts lists the workspace's accounts.", subject=f"account:{account_id}"))
    return Outcome(True, platform, place=where[0], account=identity.name[:ACCOUNT_NAME_SHOWN], front=where[1])


def _failure_dm(platform: str, reason: str, where: str) -> str:
    return (f"Connecting {LABELS[platform]} failed: {explain(reason, platform).words} "
            f"{next_step(reason, platform, where)}")


def _place(services: Services, workspace_id: int) -> tuple[str, str]:
    """Where the link was asked for, in words, and the front it belongs to."""
    with services.db.session() as session:
        workspace = session.get(Workspace, workspace_id)
        return place(workspace), workspace.front if workspace else ""


def _tell_stale(services: Services, platform: str, stale: StaleLink, where: tuple[str, str]) -> None:
    """Tell whoever asked for an expired or reused link, once per link and reason."""
    key = f"oauth:{stale.state_id}:{stale.reason}"
    if stale.reason == "link_used":
        text = (f"Your {LABELS[platform]} link was opened again after it had been used; nothing "
                f"changed. /accounts in {where[0]} shows what is connected.")
    else:
        text = (f"Your {LABELS[platform]} link expired before it was used (links work for {LINK_MINUTES} "
                f"minutes). Send /connect {platform} in {where[0]} for a new one.")
    with services.db.session() as session:
        member = session.get(Member, stale.member_id)
        if member is None or session.scalar(select(OutboxEvent.id).where(OutboxEvent.key == key)):
            return
        outbox.direct(session, member, Reply(text=text), key=key)


def _store(services: Services, pending: Pending, identity: RemoteIdentity, granted: dict) -> int:
    with services.db.session() as session:
        account = session.scalar(select(Account).where(
            Account.workspace_id == pending.workspace_id, Account.platform == pending.platform,
            Account.external_id == identity.external_id))
        if account is None:
            account = Account(workspace_id=pending.workspace_id, platform=pending.platform,
                              external_id=identity.external_id)
            session.add(account)
        account.name = identity.name[:200]
        account.scopes = list(granted.get("scope") or [])
        account.connected_by = pending.member_id
        tokens.store_tokens(session, account, granted)
        session.flush()
        audit.record(session, "account.connect", workspace_id=pending.workspace_id,
                     member_id=pending.member_id, subject=f"account:{account.id}",
                     platform=pending.platform, name=account.name)
        return account.id


def _tell(services: Services, member_id: int, reply: Reply) -> None:
    with services.db.session() as session:
        member = session.get(Member, member_id)
        if member is not None:
            outbox.direct(session, member, reply)


def revoke(settings: Settings, account: Account) -> bool:
    """Ask the platform to forget the grant; False when it could not be reached (delete anyway)."""
    try:
        provider(account.platform).revoke(settings, tokens.load_tokens(settings, account))
    except Exception as exc:
        log.warning("revoking account %s at %s failed: %s", account.id, account.platform, type(exc).__name__)
        return False
    return True
