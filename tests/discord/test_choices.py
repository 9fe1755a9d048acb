"""Proposals on Discord: buttons and reactions decide them as the person who clicked, across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core import outbox
from core.identity import Caller, resolve
from core.messages import Choice, Reply
from core.models import Job, JobState, Proposal, ProposalState, Render, Role, RoleMapping
from core.proposals.making import ReplyTo, propose
from core.proposals.replies import proposal_reply
from core.services import Services
from tests.fakes.discord_server import (
    CHANNEL_ID,
    EDITOR_ROLE_ID,
    EPHEMERAL,
    GUILD_ID,
    FakeDiscord,
    FakeUser,
)
from tests.support.discord import running_front
from tests.support.media import video
from tests.support.proposals import make_render


@pytest.fixture
def people(fake: FakeDiscord) -> tuple[FakeUser, FakeUser]:
    return fake.add_user("eddie", roles=(EDITOR_ROLE_ID,)), fake.add_user("vera")


def guild_workspace(services: Services) -> int:
    """The guild as a workspace whose 'editors' Discord role maps to ettametta editors."""
    caller = Caller(front="discord", workspace_ref=str(GUILD_ID), chat_ref=str(CHANNEL_ID),
                    user_ref="1", workspace_name="Creators", platform_admin=True)
    with services.db.session() as session:
        workspace_id = resolve(session, caller).workspace_id
        session.add(RoleMapping(workspace_id=workspace_id, platform_role=str(EDITOR_ROLE_ID),
                                role=int(Role.editor)))
    return workspace_id


def post_proposal(services: Services, tmp_path: Path) -> int:
    """A real proposal (offline writer) posted to the channel the way the proposal task posts it."""
    workspace_id = guild_workspace(services)
    preview = video(tmp_path / "preview.mp4", seconds=1, size="160x284")
    thumbnail = tmp_path / "thumbnail.png"
    thumbnail.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    render_id = make_render(services, workspace_id, "Cold brew takes twelve hours. Here is why it works.",
                            preview_path=str(preview), thumbnail_path=str(thumbnail))
    proposal = propose(services, workspace_id, render_id, ReplyTo("discord", str(CHANNEL_ID)))
    with services.db.session() as session:
        reply = proposal_reply(proposal, session.get(Render, render_id))
        outbox.post(session, "discord", str(CHANNEL_ID), reply, workspace_id=workspace_id)
    return proposal.id


def proposal_state(services: Services, proposal_id: int) -> str:
    with services.db.session() as session:
        return session.get_one(Proposal, proposal_id).state


async def posted(fake: FakeDiscord, marker: str) -> dict:
    found = await fake.wait_for(lambda: [m for m in fake.channel_messages() if marker in fake.text(m)])
    return found[0]


async def test_a_proposal_shows_media_buttons_and_reactions(
    fake: FakeDiscord, services: Services, tmp_path: Path
) -> None:
    proposal_id = post_proposal(services, tmp_path)
    async with running_front(services):
        message = await posted(fake, f"Proposal #{proposal_id}")
        await fake.wait_for(lambda: len(fake.reactions.get(int(message["id"]), [])) >= 4)
    assert {a["filename"] for a in message["attachments"]} == {"preview.mp4", "thumbnail.png"}
    assert message["embeds"][0]["image"]["url"] == "attachment://thumbnail.png"
    assert f"ett:c:/approve {proposal_id}" in fake.custom_ids(message)
    assert f"ett:c:/pick {proposal_id} 1" in fake.custom_ids(message)
    emoji = [e for e, _ in fake.reactions[int(message["id"])]]
    assert "1️⃣" in emoji and emoji[-3:] == ["✅", "❌", "🔁"]


async def test_an_editor_approves_by_button(
    fake: FakeDiscord, services: Services, tmp_path: Path, people: tuple[FakeUser, FakeUser]
) -> None:
    editor, _ = people
    proposal_id = post_proposal(services, tmp_path)
    async with running_front(services):
        message = await posted(fake, f"Proposal #{proposal_id}")
        click = await fake.click(int(message["id"]), f"ett:c:/approve {proposal_id}", user=editor)
        answer = await fake.wait_for(lambda: fake.followups(click))
        late = await fake.click(int(message["id"]), f"ett:c:/reject {proposal_id}", user=editor)
        refusal = await fake.wait_for(lambda: fake.followups(late))
    assert click.acknowledged == 6 and fake.late == []
    assert f"Approved proposal #{proposal_id}" in fake.text(answer[0])
    assert not int(answer[0]["flags"]) & EPHEMERAL
    assert proposal_state(services, proposal_id) == ProposalState.approved
    assert int(refusal[0]["flags"]) & EPHEMERAL and "already" in fake.text(refusal[0]).lower()


async def test_a_viewer_is_refused_by_button_privately(
    fake: FakeDiscord, services: Services, tmp_path: Path, people: tuple[FakeUser, FakeUser]
) -> None:
    _, viewer = people
    proposal_id = post_proposal(services, tmp_path)
    async with running_front(services):
        message = await posted(fake, f"Proposal #{proposal_id}")
        click = await fake.click(int(message["id"]), f"ett:c:/approve {proposal_id}", user=viewer)
        answer = await fake.wait_for(lambda: fake.followups(click))
    assert "Only editors and owners can run /approve" in fake.text(answer[0])
    assert int(answer[0]["flags"]) & EPHEMERAL
    assert proposal_state(services, proposal_id) == ProposalState.pending


async def test_a_reaction_by_an_editor_approves_and_one_by_a_viewer_is_removed(
    fake: FakeDiscord, services: Services, tmp_path: Path, people: tuple[FakeUser, FakeUser]
) -> None:
    editor, viewer = people
    proposal_id = post_proposal(services, tmp_path)
    async with running_front(services):
        message = await posted(fake, f"Proposal #{proposal_id}")
        message_id = int(message["id"])
        await fake.wait_for(lambda: ("🔁", fake.bot.id) in fake.reactions.get(message_id, []))
        await fake.react(message_id, "❌", user=viewer)
        await fake.wait_for(lambda: ("❌", viewer.id) not in fake.reactions[message_id])
        assert proposal_state(services, proposal_id) == ProposalState.pending
        await fake.react(message_id, "2️⃣", user=editor)
        await posted(fake, f"Approved proposal #{proposal_id}")
    with services.db.session() as session:
        proposal = session.get_one(Proposal, proposal_id)
        assert proposal.state == ProposalState.approved and proposal.chosen_index == 1


async def test_buttons_still_work_after_the_bot_restarts(
    fake: FakeDiscord, services: Services, tmp_path: Path, people: tuple[FakeUser, FakeUser]
) -> None:
    editor, _ = people
    workspace_id = guild_workspace(services)
    as_editor = Caller(front="discord", workspace_ref=str(GUILD_ID), chat_ref=str(CHANNEL_ID),
                       user_ref=str(editor.id))
    with services.db.session() as session:
        job = Job(kind="render", workspace_id=workspace_id, reply_front="discord", reply_chat=str(CHANNEL_ID),
                  requested_by=resolve(session, as_editor).member_id)
        session.add(job)
        session.flush()
        hint = "warmer, " * 15
        choices = [Choice(label="Cancel", command=f"/cancel {job.id}", emoji="🛑"),
                   Choice(label="Long", command=f'/help "{hint}"')]
        outbox.reply_to_job(session, job, Reply(text="Rendering soon.", choices=choices))
    async with running_front(services):
        message = await posted(fake, "Rendering soon.")
    ids = fake.custom_ids(message)
    assert ids[0] == f"ett:c:/cancel {job.id}" and ids[1].startswith("ett:k:") and len(ids[1]) <= 100
    async with running_front(services) as second:
        assert fake.identified == 2 and second.client.is_ready()
        long_click = await fake.click(int(message["id"]), ids[1], user=editor)
        long_answer = await fake.wait_for(lambda: fake.followups(long_click))
        click = await fake.click(int(message["id"]), ids[0], user=editor)
        await fake.wait_for(lambda: fake.followups(click))
    assert f"There is no /{hint} command" in fake.text(long_answer[0]), "the long command came back whole"
    with services.db.session() as session:
        assert session.scalar(select(Job.state).where(Job.id == job.id)) == JobState.cancelled
