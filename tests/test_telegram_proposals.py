"""Proposals on Telegram: the keyboard decides them as the person who pressed, once."""

from __future__ import annotations

from core.models import Proposal, ProposalState
from tests.support.telegram import EDITOR, GROUP, VIEWER, Running, post_proposal, telegram_front


def state(tg: Running, proposal_id: int) -> tuple[str, int | None]:
    with tg.services.db.session() as session:
        proposal = session.get_one(Proposal, proposal_id)
        return proposal.state, proposal.chosen_index


async def alert(tg: Running, count: int) -> dict[str, str]:
    answers = await tg.fake.wait_for(lambda: tg.fake.sent("answerCallbackQuery")[count - 1:])
    return answers[-1].params


async def test_an_editor_picks_a_title_and_a_viewer_is_refused(services, tmp_path) -> None:
    async with telegram_front(services) as tg:
        proposal_id, message_id, buttons = await post_proposal(tg, tmp_path)
        media = [c.method for c in tg.fake.sent(chat_id=GROUP) if c.method in ("sendVideo", "sendPhoto")]
        assert media == ["sendVideo", "sendPhoto"]
        approve, pick_two = buttons["✅ Approve"], next(k for t, k in buttons.items() if t.startswith("2️⃣"))

        tg.fake.press(GROUP, VIEWER, message_id, approve)
        refused = await alert(tg, 1)
        assert "Only editors and owners can run /approve" in refused["text"]
        assert refused["show_alert"] == "true"
        assert state(tg, proposal_id) == (ProposalState.pending, None)

        tg.fake.press(GROUP, EDITOR, message_id, pick_two)
        await tg.said(GROUP, f"Approved proposal #{proposal_id}")
        assert state(tg, proposal_id) == (ProposalState.approved, 1)

        tg.fake.press(GROUP, EDITOR, message_id, approve)
        again = await alert(tg, 3)
        assert f"Proposal #{proposal_id} was already approved by user{EDITOR}" in again["text"]
        assert state(tg, proposal_id) == (ProposalState.approved, 1)
