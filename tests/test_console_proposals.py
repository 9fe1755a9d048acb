"""Proposals through the console front and a real worker: propose, pick by number, regenerate."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import upgrade
from core.models import Proposal, ProposalState, Render
from core.proposals.content import title_of
from tests.conftest import ThreadWorker, make_settings
from tests.fakes.groq_server import FakeGroq, rate_limited
from tests.support.console import run_script
from tests.support.media import video
from tests.support.proposals import make_render, workspace_with_members
from workers.bootstrap import build_services
from workers.local import LocalDispatcher

SPEECH = ("Did you know cold brew coffee has less acid? It steeps for twelve hours in cold water. "
          "The result is smooth and sweet.")


def only_proposal(services) -> Proposal:
    with services.db.session() as session:
        return session.scalars(select(Proposal)).one()


def test_propose_then_answer_2_approves_option_two(services, worker) -> None:
    render_id = make_render(services, workspace_with_members(services), SPEECH, title="Cold Brew at Home")
    out = run_script(services, [f"/propose {render_id}", "2"])
    proposal = only_proposal(services)
    assert "Proposal #1 for render #1" in out and "1) 1: " in out
    assert "Written by the offline generator." in out
    assert "> /pick 1 2" in out
    assert proposal.state == ProposalState.approved and title_of(proposal) == proposal.options[1]
    assert f"Approved proposal #1: “{proposal.options[1]}”" in out


def test_regenerate_with_a_hint_brings_new_titles(services, worker) -> None:
    render_id = make_render(services, workspace_with_members(services), SPEECH)
    run_script(services, [f"/propose {render_id}"])
    first = only_proposal(services).options
    out = run_script(services, ['/regenerate 1 "more curious, less hype"'])
    second = only_proposal(services)
    assert "take 2" in out and second.generation == 2 and second.data["hint"] == "more curious, less hype"
    assert not {t.lower() for t in first} & {t.lower() for t in second.options}
    assert any(t.endswith("?") for t in second.options)


def test_the_proposal_says_groq_wrote_it_and_why_a_fallback_happened(tmp_path: Path) -> None:
    with FakeGroq() as fake:
        fake.then(rate_limited(30))
        settings = make_settings(tmp_path, llm_backend="groq", groq_api_key=fake.api_key,
                                 groq_base_url=fake.url, llm_max_retries=0)
        upgrade(settings)
        services = build_services(settings, LocalDispatcher())
        try:
            render_id = make_render(services, workspace_with_members(services), SPEECH)
            with ThreadWorker(services):
                out = run_script(services, [f"/propose {render_id}", "/regenerate 1"])
        finally:
            services.db.dispose()
    assert "Passed over: groq rate limited (asked to retry after 30s)." in out
    assert "Written by Groq openai/gpt-oss-20b." in out
    assert "Cold brew, explained in 30 seconds" in out


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("core.commands.render") is None,
                    reason="needs the render engine (core/commands/render.py, issue 3)")
def test_render_a_clip_with_speech_then_pick_option_two(services, worker, tmp_path: Path) -> None:
    clip = video(tmp_path / "coffee.mp4", seconds=6, size="640x360",
                 speech="Cold brew coffee steeps for twelve hours. It tastes smooth and sweet.")
    out = run_script(services, [f"/render {clip}"])
    assert "Proposal #1 for render #1" in out, out[-3000:]
    with services.db.session() as session:
        render = session.scalars(select(Render)).one()
    words = " ".join(w["word"] for w in render.transcript).lower()
    assert "coffee" in words or "brew" in words
    out = run_script(services, ["/proposals 1", "2"])
    proposal = only_proposal(services)
    assert proposal.state == ProposalState.approved and title_of(proposal) == proposal.options[1]
    assert re.search(r"Approved proposal #1: “.+”", out)
    assert "[video]" in out and "[image]" in out
