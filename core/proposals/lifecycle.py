"""Deciding and editing proposals with conditional updates (never read-then-write)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from core import audit
from core.commands.registry import CommandError
from core.messages import format_duration
from core.models import Member, Proposal, ProposalState, utcnow


def open_condition(proposal_id: int, workspace_id: int, now: datetime) -> ColumnElement[bool]:
    """The row may still be decided: pending and not past its expiry."""
    return and_(
        Proposal.id == proposal_id,
        Proposal.workspace_id == workspace_id,
        Proposal.state == ProposalState.pending,
        or_(Proposal.expires_at.is_(None), Proposal.expires_at > now),
    )


def get(session: Session, workspace_id: int, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.workspace_id != workspace_id:
        raise CommandError(f"There is no proposal #{proposal_id} here. /proposals lists the open ones.")
    return proposal


def decide(
    session: Session,
    workspace_id: int,
    proposal_id: int,
    member_id: int,
    state: ProposalState,
    *,
    generation: int | None = None,
    **values: Any,
) -> Proposal:
    """Approve or reject in one conditional UPDATE; exactly one of concurrent deciders wins.

    With `generation`, the decision holds only if the options are still the ones the person
    saw (a regeneration in between makes them look again).
    """
    now = utcnow()
    seen = (Proposal.generation == generation,) if generation is not None else ()
    proposal = _update_open(session, workspace_id, proposal_id, now, *seen,
                            state=state, decided_by=member_id, decided_at=now, **values)
    verb = "approve" if state is ProposalState.approved else "reject"
    audit.record(session, f"proposal.{verb}", workspace_id=workspace_id, member_id=member_id,
                 subject=f"proposal:{proposal_id}", render_id=proposal.render_id,
                 chosen_index=proposal.chosen_index, custom_title=proposal.custom_title)
    return proposal


def edit(session: Session, workspace_id: int, proposal_id: int, member_id: int, action: str,
         **values: Any) -> Proposal:
    """Change a pending proposal (custom title, description); refused once it is decided."""
    proposal = _update_open(session, workspace_id, proposal_id, utcnow(), **values)
    audit.record(session, f"proposal.{action}", workspace_id=workspace_id, member_id=member_id,
                 subject=f"proposal:{proposal_id}", **{k: v for k, v in values.items() if k != "data"})
    return proposal


def _update_open(session: Session, workspace_id: int, proposal_id: int, now: datetime,
                 *conditions: ColumnElement[bool], **values: Any) -> Proposal:
    """One conditional UPDATE; if the row was no longer open, the person is told why."""
    changed = session.execute(
        update(Proposal)
        .where(open_condition(proposal_id, workspace_id, now), *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise CommandError(why_closed(session, workspace_id, proposal_id))
    proposal = get(session, workspace_id, proposal_id)
    session.refresh(proposal)
    return proposal


def why_closed(session: Session, workspace_id: int, proposal_id: int) -> str:
    """Why a decision found nothing to change: unknown, already decided, or expired."""
    proposal = get(session, workspace_id, proposal_id)
    session.refresh(proposal)
    if proposal.state == ProposalState.pending:
        expire_due(session, workspace_id)
        session.refresh(proposal)
    if proposal.state == ProposalState.expired:
        return (f"Proposal #{proposal.id} expired{_when(proposal.expires_at)} without a decision. "
                f"/propose {proposal.render_id} makes a new one.")
    if proposal.state == ProposalState.pending:
        return (f"Proposal #{proposal.id} got new titles while you were deciding; look again with "
                f"/proposals {proposal.id}.")
    who = session.get(Member, proposal.decided_by) if proposal.decided_by else None
    name = (who.display_name or who.user_ref) if who else "someone"
    return f"Proposal #{proposal.id} was already {proposal.state} by {name}{_when(proposal.decided_at)}."


def expire_due(session: Session, workspace_id: int) -> int:
    """Mark pending proposals past their expiry as expired (conditional, so a race is harmless)."""
    now = utcnow()
    due = session.scalars(
        select(Proposal.id).where(
            Proposal.workspace_id == workspace_id,
            Proposal.state == ProposalState.pending,
            Proposal.expires_at.is_not(None),
            Proposal.expires_at <= now,
        )
    ).all()
    expired = 0
    for proposal_id in due:
        changed = session.execute(
            update(Proposal)
            .where(Proposal.id == proposal_id, Proposal.state == ProposalState.pending,
                   Proposal.expires_at <= now)
            .values(state=ProposalState.expired, decided_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            audit.record(session, "proposal.expire", workspace_id=workspace_id, member_id=None,
                         subject=f"proposal:{proposal_id}")
        expired += changed
    return expired


def pending(session: Session, workspace_id: int) -> list[Proposal]:
    expire_due(session, workspace_id)
    return list(session.scalars(
        select(Proposal)
        .where(Proposal.workspace_id == workspace_id, Proposal.state == ProposalState.pending)
        .order_by(Proposal.id)
    ))


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    ago = (utcnow() - moment).total_seconds()
    if ago < 0:
        return ""
    return " just now" if ago < 5 else f" {format_duration(ago)} ago"
