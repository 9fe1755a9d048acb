"""The proposal lifecycle: who may decide, one decision only, expiry, edits and hand-over."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.ai import limits
from core.models import AuditEntry, Job, Proposal, ProposalState, Workspace, utcnow
from core.proposals.content import approved_content
from tests.support.proposals import (
    CC_ATTRIBUTION,
    EDITOR,
    OWNER,
    VIEWER,
    make_proposal,
    make_render,
    say,
    workspace_with_members,
)

SPEECH = ("Did you know cold brew coffee has less acid? It steeps for twelve hours in cold water. "
          "The result is smooth and sweet.")


@pytest.fixture
def proposal(services) -> int:
    workspace_id = workspace_with_members(services)
    render_id = make_render(services, workspace_id, SPEECH, title="Cold Brew at Home",
                            preview_path="/media/r1/preview.mp4", thumbnail_path="/media/r1/thumb.png")
    return make_proposal(services, workspace_id, render_id)


def row(services, proposal_id: int) -> Proposal:
    with services.db.session() as session:
        return session.get_one(Proposal, proposal_id)


def test_the_proposal_reply_numbers_the_options_and_offers_front_neutral_choices(services, proposal) -> None:
    reply = say(services, VIEWER, f"/proposals {proposal}")
    stored = row(services, proposal)
    assert "1. " + stored.options[0] in reply.text and "Written by the offline generator." in reply.text
    assert [c.command for c in reply.choices] == [
        *(f"/pick {proposal} {n}" for n in range(1, len(stored.options) + 1)),
        f"/approve {proposal}", f"/reject {proposal}", f"/regenerate {proposal}"]
    assert reply.choices[0].emoji == "1️⃣" and reply.choices[-3].emoji == "✅"
    assert all(len(c.command.encode()) <= 64 for c in reply.choices)
    assert [(a.kind, a.path) for a in reply.attachments] == [
        ("video", "/media/r1/preview.mp4"), ("image", "/media/r1/thumb.png")]
    assert stored.expires_at is not None and stored.reply_front == "console"


def test_a_viewer_cannot_decide_or_edit_and_is_told_why(services, proposal) -> None:
    for line in (f"/approve {proposal}", f"/pick {proposal} 2", f"/reject {proposal}",
                 f"/regenerate {proposal}", f'/title {proposal} "Mine"', f'/describe {proposal} "Text"',
                 "/propose 1"):
        reply = say(services, VIEWER, line)
        assert reply.error and "you are a viewer" in reply.text, line
    assert row(services, proposal).state == ProposalState.pending


def test_an_editor_picks_option_two_and_it_is_approved_with_that_title(services, proposal) -> None:
    reply = say(services, EDITOR, f"/pick {proposal} 2")
    stored = row(services, proposal)
    assert stored.state == ProposalState.approved and stored.chosen_index == 1
    assert approved_content(stored).title == stored.options[1]
    assert f"“{stored.options[1]}”" in reply.text and f"/publish {proposal}" in reply.text
    with services.db.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.approve"))
    assert entry.subject == f"proposal:{proposal}" and entry.member_id == stored.decided_by


def test_approving_twice_resolves_to_the_first_decision(services, proposal) -> None:
    assert not say(services, EDITOR, f"/approve {proposal} 3").error
    second = say(services, OWNER, f"/reject {proposal}")
    assert second.error and "already approved by eddie" in second.text
    assert row(services, proposal).chosen_index == 2


def test_an_option_number_out_of_range_is_refused(services, proposal) -> None:
    reply = say(services, EDITOR, f"/approve {proposal} 9")
    assert reply.error and "title options 1 to" in reply.text


def race(services, proposal_id: int, lines: list[str]) -> list:
    barrier = threading.Barrier(len(lines))
    replies: list = [None] * len(lines)

    def decide(index: int, line: str) -> None:
        barrier.wait()
        replies[index] = say(services, EDITOR if index % 2 else OWNER, line)

    threads = [threading.Thread(target=decide, args=(i, line)) for i, line in enumerate(lines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return replies


def test_concurrent_approvals_have_exactly_one_winner(services, proposal) -> None:
    replies = race(services, proposal, [f"/approve {proposal} {n % 3 + 1}" for n in range(6)])
    winners = [r for r in replies if not r.error]
    assert len(winners) == 1
    assert all("already approved" in r.text for r in replies if r.error)
    with services.db.session() as session:
        approvals = session.scalars(select(AuditEntry).where(AuditEntry.action == "proposal.approve")).all()
    assert len(approvals) == 1


@pytest.mark.postgres
def test_concurrent_decisions_on_postgres_have_exactly_one_winner(pg_services) -> None:
    workspace_id = workspace_with_members(pg_services)
    proposal_id = make_proposal(pg_services, workspace_id, make_render(pg_services, workspace_id, SPEECH))
    lines = [f"/approve {proposal_id}", f"/reject {proposal_id}"] * 4
    replies = race(pg_services, proposal_id, lines)
    assert len([r for r in replies if not r.error]) == 1
    assert row(pg_services, proposal_id).state in (ProposalState.approved, ProposalState.rejected)


def test_an_expired_proposal_cannot_be_approved(services, proposal) -> None:
    with services.db.session() as session:
        session.execute(update(Proposal).values(expires_at=utcnow() - timedelta(minutes=5)))
    reply = say(services, EDITOR, f"/approve {proposal}")
    assert reply.error and f"Proposal #{proposal} expired" in reply.text and "/propose 1" in reply.text
    assert row(services, proposal).state == ProposalState.expired
    assert "No proposals are waiting" in say(services, VIEWER, "/proposals").text


def test_a_custom_title_is_validated_then_approved(services, proposal) -> None:
    too_long = say(services, EDITOR, f'/title {proposal} "{"x" * 101}"')
    assert too_long.error and "at most 100 characters" in too_long.text
    brackets = say(services, EDITOR, f'/title {proposal} "Best <ever>"')
    assert brackets.error and "can't contain < or >" in brackets.text
    assert not say(services, EDITOR, f'/title {proposal} "My own cold brew title"').error
    say(services, EDITOR, f"/approve {proposal}")
    assert approved_content(row(services, proposal)).title == "My own cold brew title"


def test_the_cc_by_credit_survives_a_description_rewrite(services) -> None:
    workspace_id = workspace_with_members(services)
    render_id = make_render(services, workspace_id, SPEECH, title="Cold Brew at Home", channel="Bean Lab",
                            attribution=CC_ATTRIBUTION)
    proposal_id = make_proposal(services, workspace_id, render_id)
    credit = row(services, proposal_id).attribution
    assert "Bean Lab" in credit and CC_ATTRIBUTION["url"] in credit and "CC BY 3.0" in credit
    reply = say(services, EDITOR, f'/describe {proposal_id} "Just my words." hashtags="#coffee tips"')
    assert not reply.error and credit in reply.text
    content = approved_content(row(services, proposal_id))
    assert content.description == f"Just my words.\n\n#coffee #tips\n\n{credit}"
    assert content.tags == ("coffee", "tips")
    pasted = say(services, EDITOR, f'/describe {proposal_id} "Again. {credit}"')
    assert approved_content(row(services, proposal_id)).description.count(credit) == 1, pasted.text


def test_an_over_long_description_is_refused(services, proposal) -> None:
    reply = say(services, EDITOR, f'/describe {proposal} "{"word " * 1200}"')
    assert reply.error and "too long" in reply.text
    assert len(approved_content(row(services, proposal)).description.encode()) <= limits.DESCRIPTION_MAX_BYTES


def test_auto_publish_hands_over_in_the_same_transaction(services, proposal) -> None:
    with services.db.session() as session:
        workspace = session.scalars(select(Workspace)).one()
        workspace.settings = {**workspace.settings, "auto_publish": True}
    reply = say(services, EDITOR, f"/approve {proposal}")
    with services.db.session() as session:
        job = session.scalar(select(Job).where(Job.kind == "publish-approved"))
    assert job.payload == {"proposal_id": proposal} and job.queue == "io"
    assert job.idempotency_key == f"publish-approved:{proposal}"
    assert f"Publishing now (job #{job.id})" in reply.text


def test_proposing_again_for_the_same_render_returns_the_open_proposal(services, proposal) -> None:
    with services.db.session() as session:
        render_id = session.get_one(Proposal, proposal).render_id
        workspace_id = session.get_one(Proposal, proposal).workspace_id
    assert make_proposal(services, workspace_id, render_id) == proposal
    reply = say(services, EDITOR, f"/propose {render_id}")
    assert "already has this proposal" in reply.text and reply.choices


def test_a_render_that_has_not_finished_cannot_be_proposed(services) -> None:
    workspace_id = workspace_with_members(services)
    render_id = make_render(services, workspace_id, SPEECH, output_path=None)
    reply = say(services, EDITOR, f"/propose {render_id}")
    assert reply.error and "has not finished yet" in reply.text


def test_a_regeneration_job_that_runs_twice_regenerates_once(services, proposal) -> None:
    from core.proposals import making

    with services.db.session() as session:
        workspace_id = session.get_one(Proposal, proposal).workspace_id
    first = making.regenerate(services, workspace_id, proposal, 2, "")
    again = making.regenerate(services, workspace_id, proposal, 2, "")
    assert first.generation == again.generation == 2 and first.options == again.options
    with services.db.session() as session:
        regenerations = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "proposal.regenerate")).all()
    assert len(regenerations) == 1


def test_a_decided_proposal_cannot_be_regenerated(services, proposal) -> None:
    say(services, EDITOR, f"/reject {proposal}")
    reply = say(services, EDITOR, f"/regenerate {proposal}")
    assert reply.error and "already rejected by eddie" in reply.text


def test_picking_an_option_after_new_titles_arrived_asks_to_look_again(services, proposal) -> None:
    from core.commands.registry import CommandError
    from core.proposals import lifecycle

    with services.db.session() as session:
        workspace_id = session.get_one(Proposal, proposal).workspace_id
        session.execute(update(Proposal).values(generation=2))
    with pytest.raises(CommandError, match="got new titles while you were deciding"), \
            services.db.session() as session:
        lifecycle.decide(session, workspace_id, proposal, 1, ProposalState.approved, generation=1)
    assert row(services, proposal).state == ProposalState.pending
