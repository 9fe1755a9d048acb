"""Making and remaking a proposal: gather the brief, generate (outside any transaction), record.

Both are idempotent: a job that runs again finds the proposal (or generation) it already made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit, workspace_settings
from core.ai import Brief, Generated, generate, words_from
from core.ai.limits import attribution_line
from core.commands.registry import CommandError
from core.models import Proposal, ProposalState, Render, Source, Workspace, utcnow
from core.proposals.lifecycle import get, open_condition, why_closed
from core.services import Services

OPEN_STATES = (ProposalState.pending, ProposalState.approved)


@dataclass(frozen=True)
class ReplyTo:
    front: str | None
    chat: str | None


def propose(services: Services, workspace_id: int, render_id: int, reply_to: ReplyTo,
            *, member_id: int | None = None) -> Proposal:
    """The render's open proposal, or a new one written for it now."""
    with services.db.session() as session:
        render = render_for(session, workspace_id, render_id)
        existing = open_for_render(session, render_id)
        if existing is not None:
            return existing
        brief = brief_for(session, render)
    generated = generate(services.settings, brief)
    with services.db.session() as session:
        session.get(Render, render_id, with_for_update=True)
        existing = open_for_render(session, render_id)
        if existing is not None:
            return existing
        workspace = session.get_one(Workspace, workspace_id)
        proposal = Proposal(
            workspace_id=workspace_id,
            render_id=render_id,
            state=ProposalState.pending,
            attribution=brief.attribution,
            expires_at=_expiry(workspace),
            reply_front=reply_to.front,
            reply_chat=reply_to.chat,
            **_content(generated),
            data={"label": generated.label, "fallbacks": list(generated.fallbacks), "history": []},
        )
        session.add(proposal)
        session.flush()
        audit.record(session, "proposal.create", workspace_id=workspace_id, member_id=member_id,
                     subject=f"proposal:{proposal.id}", render_id=render_id, backend=generated.backend,
                     fallbacks=list(generated.fallbacks))
        return proposal


def regenerate(services: Services, workspace_id: int, proposal_id: int, generation: int, hint: str,
               *, member_id: int | None = None) -> Proposal:
    """Replace a pending proposal's options with new ones (generation `generation`), once."""
    with services.db.session() as session:
        proposal = get(session, workspace_id, proposal_id)
        if proposal.generation >= generation:
            return proposal
        if proposal.state != ProposalState.pending:
            raise CommandError(why_closed(session, workspace_id, proposal_id))
        history = [*proposal.data.get("history", []), list(proposal.options)]
        avoid = tuple(title for options in history for title in options)
        brief = brief_for(session, render_for(session, workspace_id, proposal.render_id),
                          hint=hint, avoid=avoid, generation=generation)
    generated = generate(services.settings, brief)
    with services.db.session() as session:
        workspace = session.get_one(Workspace, workspace_id)
        data = {**proposal.data, "label": generated.label, "fallbacks": list(generated.fallbacks),
                "history": history, "hint": hint}
        changed = session.execute(
            update(Proposal)
            .where(open_condition(proposal_id, workspace_id, utcnow()),
                   Proposal.generation == generation - 1)
            .values(generation=generation, chosen_index=None, custom_title=None,
                    expires_at=_expiry(workspace), data=data, **_content(generated))
            .execution_options(synchronize_session=False)
        ).rowcount
        proposal = get(session, workspace_id, proposal_id)
        session.refresh(proposal)
        if changed:
            audit.record(session, "proposal.regenerate", workspace_id=workspace_id,
                         member_id=member_id, subject=f"proposal:{proposal_id}",
                         generation=generation, hint=hint, backend=generated.backend)
        elif proposal.generation < generation:
            raise CommandError(why_closed(session, workspace_id, proposal_id))
        return proposal


def brief_for(session: Session, render: Render, *, hint: str = "", avoid: tuple[str, ...] = (),
              generation: int = 1) -> Brief:
    source = session.get_one(Source, render.source_id)
    workspace = session.get_one(Workspace, render.workspace_id)
    targets = workspace_settings.get(workspace, "publish_targets")
    return Brief(
        words=words_from(render.transcript),
        source_title=source.title,
        channel=source.channel,
        platforms=("youtube", "tiktok") if targets == "all" else (targets,),
        niche=workspace_settings.get(workspace, "niche"),
        tone=workspace_settings.get(workspace, "tone"),
        language=workspace_settings.get(workspace, "language"),
        attribution=attribution_line(source.attribution),
        duration_s=render.duration_s,
        hint=hint,
        avoid=avoid,
        generation=generation,
    )


def open_for_render(session: Session, render_id: int) -> Proposal | None:
    return session.scalar(
        select(Proposal)
        .where(Proposal.render_id == render_id, Proposal.state.in_(OPEN_STATES))
        .order_by(Proposal.id.desc())
        .limit(1)
    )


def render_for(session: Session, workspace_id: int, render_id: int) -> Render:
    render = session.get(Render, render_id)
    if render is None or render.workspace_id != workspace_id:
        raise CommandError(f"There is no render #{render_id} here.")
    if not render.output_path:
        raise CommandError(f"Render #{render_id} has not finished yet; its proposal follows when it does.")
    return render


def _expiry(workspace: Workspace) -> datetime | None:
    hours = workspace_settings.get(workspace, "proposal_expiry_hours")
    return utcnow() + timedelta(hours=hours) if hours and hours > 0 else None


def _content(generated: Generated) -> dict[str, object]:
    metadata = generated.metadata
    return {
        "options": list(metadata.titles),
        "description": metadata.description,
        "hashtags": list(metadata.hashtags),
        "hook": metadata.hook,
        "backend": generated.backend,
    }
