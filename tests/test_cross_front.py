"""One database behind both fronts: a proposal decided on Telegram stays decided on Discord.

Both fronts run at once on one event loop, as `ettametta run` has them. A Telegram group and
a Discord guild are separate workspaces, so Discord refuses the buttons of a proposal that
belongs to the Telegram group (a second decision in the same workspace is refused as "already
approved": tests/test_telegram_proposals.py); either way the Telegram decision stands.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core import outbox
from core.models import Proposal, ProposalState, Render
from core.proposals.replies import proposal_reply
from core.services import Services
from tests.fakes.discord_server import ADMIN_ROLE_ID, CHANNEL_ID, EPHEMERAL, FakeDiscord
from tests.support.discord import discord_services, discord_settings, point_discord_py_at, running_front
from tests.support.telegram import GROUP, telegram_front
from tests.test_telegram_proposals import EDITOR, post_proposal


@pytest.fixture
async def discord_fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    point_discord_py_at(server, monkeypatch)
    yield server
    await server.stop()


@pytest.fixture
def both(tmp_path: Path) -> Iterator[Services]:
    built = discord_services(discord_settings(tmp_path))
    yield built
    built.db.dispose()


async def test_a_proposal_approved_on_telegram_cannot_be_decided_again_on_discord(
    discord_fake: FakeDiscord, both: Services, tmp_path: Path
) -> None:
    guild_admin = discord_fake.add_user("ada", roles=(ADMIN_ROLE_ID,))
    async with telegram_front(both) as tg, running_front(both):
        proposal_id, message_id, buttons = await post_proposal(tg, tmp_path)
        with both.db.session() as session:
            proposal = session.get_one(Proposal, proposal_id)
            shown = proposal_reply(proposal, session.get(Render, proposal.render_id))
            outbox.post(session, "discord", str(CHANNEL_ID), shown)
        on_discord = (await discord_fake.wait_for(lambda: [
            m for m in discord_fake.channel_messages()
            if f"Proposal #{proposal_id}" in discord_fake.text(m)]))[0]

        tg.fake.press(GROUP, EDITOR, message_id, buttons["✅ Approve"])
        await tg.said(GROUP, f"Approved proposal #{proposal_id}")
        decided = _decision(both, proposal_id)

        for custom_id in (f"ett:c:/reject {proposal_id}", f"ett:c:/pick {proposal_id} 2"):
            click = await discord_fake.click(int(on_discord["id"]), custom_id, user=guild_admin)
            answer = (await discord_fake.wait_for(lambda c=click: discord_fake.followups(c)))[0]
            text = discord_fake.text(answer)
            assert int(answer["flags"]) & EPHEMERAL, text
            assert f"proposal #{proposal_id}" in text.lower()
            assert "Approved proposal" not in text and "Rejected proposal" not in text

    assert _decision(both, proposal_id) == decided
    assert decided[0] == ProposalState.approved


def _decision(services: Services, proposal_id: int) -> tuple:
    with services.db.session() as session:
        proposal = session.get_one(Proposal, proposal_id)
        return proposal.state, proposal.decided_by, proposal.decided_at, proposal.chosen_index
