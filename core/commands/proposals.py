"""Commands about proposals: list, approve, pick, reject, regenerate, rewrite, propose."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core import jobs, workspace_settings
from core.ai import limits
from core.commands.jobs import origin
from core.commands.registry import CommandError, Invocation, arg, command, option
from core.messages import Reply
from core.models import Job, Proposal, ProposalState, Render, Role, Workspace
from core.proposals import lifecycle, making
from core.proposals.content import without_attribution
from core.proposals.replies import decision_reply, list_reply, proposal_reply
from core.services import Services


def _proposal_arg() -> object:
    return arg("proposal", "the proposal number", type=int, lookup="proposal")


@command("proposals", arg("proposal", "show this one in full", type=int, required=False,
                          lookup="proposal"))
def proposals(inv: Invocation, svc: Services) -> Reply:
    """List the proposals waiting for a decision, or show one: /proposals 3."""
    with svc.db.session() as session:
        if inv["proposal"] is None:
            return list_reply(lifecycle.pending(session, inv.workspace_id))
        lifecycle.expire_due(session, inv.workspace_id)
        proposal = lifecycle.get(session, inv.workspace_id, inv["proposal"])
        return proposal_reply(proposal, session.get(Render, proposal.render_id))


@command("approve", _proposal_arg(), arg("option", "approve with this title option", type=int,
                                           required=False), role=Role.editor)
def approve(inv: Invocation, svc: Services) -> Reply:
    """Approve a proposal, optionally with title option N: /approve 3 2."""
    return _approve(inv, svc, inv["proposal"], inv["option"])


@command("pick", _proposal_arg(), arg("option", "the title option to publish", type=int),
         role=Role.editor)
def pick(inv: Invocation, svc: Services) -> Reply:
    """Pick title option N of a proposal and approve it: /pick 3 2."""
    return _approve(inv, svc, inv["proposal"], inv["option"])


@command("reject", _proposal_arg(), role=Role.editor)
def reject(inv: Invocation, svc: Services) -> Reply:
    """Reject a proposal; nothing is published."""
    _expire_due(svc, inv)
    with svc.db.session() as session:
        proposal = lifecycle.decide(session, inv.workspace_id, inv["proposal"], inv.member_id,
                                    ProposalState.rejected)
    return decision_reply(proposal)


@command("regenerate", _proposal_arg(), arg("hint", "what to change, e.g. \"more curious, less hype\"",
                                              required=False), role=Role.editor)
def regenerate(inv: Invocation, svc: Services) -> Reply:
    """Write new title options for a proposal, optionally with a hint."""
    _expire_due(svc, inv)
    with svc.db.session() as session:
        proposal = _open(session, inv)
        generation = proposal.generation + 1
        payload = {"proposal_id": proposal.id, "render_id": proposal.render_id,
                   "generation": generation, "hint": inv["hint"] or ""}
    job = jobs.start(svc, "propose", payload, origin(inv), queue=jobs.IO_QUEUE,
                     idempotency_key=f"regenerate:{proposal.id}:{generation}")
    return jobs.started_reply(job, f"new titles for proposal #{proposal.id}")


@command("title", _proposal_arg(), arg("title", "your own title, in quotes"), role=Role.editor)
def title(inv: Invocation, svc: Services) -> Reply:
    """Write your own title for a proposal: /title 3 "My better title"."""
    text = limits.clean_text(inv["title"])
    problem = limits.title_problem(text)
    if problem:
        raise CommandError(f"That title can't be used: {problem}.")
    _expire_due(svc, inv)
    with svc.db.session() as session:
        proposal = lifecycle.edit(session, inv.workspace_id, inv["proposal"], inv.member_id,
                                  "title", custom_title=text)
        render = session.get(Render, proposal.render_id)
    return proposal_reply(proposal, render, note=f"Title set. /approve {proposal.id} approves it.")


@command("describe", _proposal_arg(), arg("description", "the new description, in quotes"),
         option("hashtags", "new hashtags, e.g. hashtags=\"#cooking #tips\""), role=Role.editor)
def describe(inv: Invocation, svc: Services) -> Reply:
    """Rewrite a proposal's description (and hashtags); the CC BY credit always stays."""
    _expire_due(svc, inv)
    with svc.db.session() as session:
        proposal = _open(session, inv)
        text = without_attribution(inv["description"], proposal.attribution)
        if not text:
            raise CommandError("The description can't be empty.")
        tags = (limits.normalize_hashtags(inv["hashtags"].split()) if inv["hashtags"] is not None
                else list(proposal.hashtags))
        workspace = session.get_one(Workspace, inv.workspace_id)
        tiktok = workspace_settings.get(workspace, "publish_targets") in ("tiktok", "all")
        problem = limits.description_problem(text, tags, proposal.attribution, tiktok=tiktok)
        if problem:
            raise CommandError(f"That description is too long: {problem}.")
        proposal = lifecycle.edit(session, inv.workspace_id, proposal.id, inv.member_id, "describe",
                                  description=text, hashtags=tags)
        render = session.get(Render, proposal.render_id)
    return proposal_reply(proposal, render, note="Description updated.")


@command("propose", arg("render", "the render number", type=int, lookup="render"), role=Role.editor)
def propose(inv: Invocation, svc: Services) -> Reply:
    """Write titles, a description and hashtags for a finished render."""
    with svc.db.session() as session:
        making.render_for(session, inv.workspace_id, inv["render"])
        existing = making.open_for_render(session, inv["render"])
        if existing is not None:
            return proposal_reply(existing, session.get(Render, existing.render_id),
                                  note=f"Render #{existing.render_id} already has this proposal.")
    job = jobs.start(svc, "propose", {"render_id": inv["render"]}, origin(inv), queue=jobs.IO_QUEUE)
    return jobs.started_reply(job, f"titles for render #{inv['render']}")


def _expire_due(svc: Services, inv: Invocation) -> None:
    """Record expiries in their own transaction, so a refused decision still leaves them marked."""
    with svc.db.session() as session:
        lifecycle.expire_due(session, inv.workspace_id)


def _open(session: Session, inv: Invocation) -> Proposal:
    """A proposal that can still be changed (pending, unexpired), or the reason it can't."""
    proposal = lifecycle.get(session, inv.workspace_id, inv["proposal"])
    if proposal.state != ProposalState.pending:
        raise CommandError(lifecycle.why_closed(session, inv.workspace_id, proposal.id))
    return proposal


def _approve(inv: Invocation, svc: Services, proposal_id: int, number: int | None) -> Reply:
    publish: Job | None = None
    _expire_due(svc, inv)
    with svc.db.session() as session:
        proposal = lifecycle.get(session, inv.workspace_id, proposal_id)
        values: dict[str, object] = {}
        if number is not None:
            if not 1 <= number <= len(proposal.options):
                raise CommandError(f"Proposal #{proposal_id} has title options 1 to "
                                   f"{len(proposal.options)}.")
            values = {"chosen_index": number - 1, "custom_title": None}
        elif proposal.chosen_index is None and not proposal.custom_title:
            values = {"chosen_index": 0}
        proposal = lifecycle.decide(session, inv.workspace_id, proposal_id, inv.member_id,
                                    ProposalState.approved, generation=proposal.generation, **values)
        workspace = session.get_one(Workspace, inv.workspace_id)
        if workspace_settings.get(workspace, "auto_publish"):
            publish = jobs.enqueue(session, "publish-approved", {"proposal_id": proposal_id}, origin(inv),
                                   queue=jobs.IO_QUEUE, idempotency_key=f"publish-approved:{proposal_id}",
                                   default_attempts=svc.settings.job_max_attempts)
    if publish is not None:
        jobs.dispatch(svc, publish)
    return decision_reply(proposal, publish_job_id=publish.id if publish else None)
