"""Who may connect, disconnect and publish, and what /publish, /accounts and auto-publish do."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core import jobs
from core.db import upgrade
from core.models import Account, AuditEntry, Job, Proposal, Publication, Role
from core.publish import publish_tiktok
from tests.conftest import ThreadWorker, make_settings
from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.tiktok_api import FakeTikTok
from tests.support.media import video
from tests.support.publishing import CHANNEL, account, approved_proposal, messages, person, run, wait_for_jobs
from workers.bootstrap import build_services
from workers.local import LocalDispatcher


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(publish_tiktok, "POLL_INTERVAL_S", 0.01)
    with FakeGoogleOAuth() as google, FakeTikTok() as tok:
        settings = make_settings(tmp_path, **google.settings(), **tok.settings())
        upgrade(settings)
        services = build_services(settings, LocalDispatcher())
        yield services, google, tok
        services.db.dispose()


def clip(tmp_path: Path) -> Path:
    return video(tmp_path / "short.mp4", seconds=1, size="360x640")


def test_a_viewer_cannot_publish_or_connect(world, tmp_path) -> None:
    services, *_ = world
    workspace_id, member_id = person(services, "vic", Role.viewer)
    proposal_id = approved_proposal(services, workspace_id, clip(tmp_path))
    for line in (f"/publish {proposal_id}", "/connect youtube"):
        reply = run(services, line, user="vic")
        assert reply.error and "Only editors and owners" in reply.text
    assert "No accounts connected" in run(services, "/accounts", user="vic").text


def test_only_the_connector_or_an_owner_can_disconnect(world, tmp_path) -> None:
    services, google, tok = world
    workspace_id, alice = person(services, "alice", Role.editor)
    person(services, "bob", Role.editor)
    person(services, "olga", Role.owner)
    first = account(services, workspace_id, alice, "tiktok", tok.issue_tokens(), external_id="a")
    second = account(services, workspace_id, alice, "youtube", google.grant_for("UC1"), external_id="b")
    refused = run(services, f"/disconnect {first}", user="bob")
    assert refused.error and "only they or an owner" in refused.text
    assert "revoked" in run(services, f"/disconnect {first}", user="alice").text
    assert "revoked" in run(services, f"/disconnect {second}", user="olga").text
    assert all(grant.revoked for grant in google.grants.values())
    assert not tok.access_tokens
    with services.db.session() as session:
        assert session.scalar(select(Account)) is None
        actions = session.scalars(select(AuditEntry.action)).all()
    assert actions.count("account.disconnect") == 2


def test_publish_needs_an_approved_proposal_and_a_connected_account(world, tmp_path) -> None:
    services, _, tok = world
    workspace_id, member_id = person(services, "alice")
    proposal_id = approved_proposal(services, workspace_id, clip(tmp_path))
    assert "No tiktok account is connected" in run(services, f"/publish {proposal_id} tiktok").text
    with services.db.session() as session:
        session.get_one(Proposal, proposal_id).state = "pending"
    account(services, workspace_id, member_id, "tiktok", tok.issue_tokens())
    assert "only an approved proposal is published" in run(services, f"/publish {proposal_id}").text
    assert "There is no proposal #99" in run(services, "/publish 99").text


def test_publish_at_a_time_is_read_in_the_workspace_time_zone(world, tmp_path) -> None:
    services, _, tok = world
    workspace_id, member_id = person(services, "alice", Role.owner)
    run(services, "/settings timezone Europe/Paris")
    proposal_id = approved_proposal(services, workspace_id, clip(tmp_path))
    account(services, workspace_id, member_id, "tiktok", tok.issue_tokens())
    assert "in the past" in run(services, f'/publish {proposal_id} tiktok at="2020-01-01 10:00"').text
    assert "takes a time like" in run(services, f"/publish {proposal_id} tiktok at=tomorrow").text
    reply = run(services, f'/publish {proposal_id} tiktok at="2099-07-01 18:00"')
    assert "at 2099-07-01 16:00 UTC" in reply.text
    with services.db.session() as session:
        job = session.scalar(select(Job))
    assert job.run_after.isoformat().startswith("2099-07-01T16:00")


def test_auto_publish_creates_one_publication_per_target_account(world, tmp_path) -> None:
    services, _, tok = world
    workspace_id, member_id = person(services, "alice", Role.owner)
    run(services, "/settings publish_targets tiktok")
    proposal_id = approved_proposal(services, workspace_id, clip(tmp_path))
    account(services, workspace_id, member_id, "tiktok", tok.issue_tokens(), name="Creator")
    with ThreadWorker(services):
        jobs.start(services, "publish-approved", {"proposal_id": proposal_id},
                   jobs.Origin(workspace_id, member_id, "console", CHANNEL), queue=jobs.IO_QUEUE)
        wait_for_jobs(services)
        jobs.start(services, "publish-approved", {"proposal_id": proposal_id},
                   jobs.Origin(workspace_id, member_id, "console", CHANNEL), queue=jobs.IO_QUEUE)
        wait_for_jobs(services)
    with services.db.session() as session:
        publications = session.scalars(select(Publication)).all()
    assert [p.state for p in publications] == ["inbox"] and len(tok.uploads) == 1
    assert "inbox as a draft" in "\n".join(messages(services, CHANNEL))


def test_doctor_names_the_redirect_uris_and_warns_about_plain_http(tmp_path) -> None:
    from core.doctor import Level, check_publishing

    public = make_settings(tmp_path, google_client_id="x", public_url="http://bot.example.com")
    [finding] = check_publishing(public)
    assert finding.level is Level.warn and "http://bot.example.com/oauth/youtube/callback" in finding.detail
    local = check_publishing(make_settings(tmp_path, tiktok_client_key="k"))
    assert local[0].level is Level.ok and "/oauth/tiktok/callback" in local[0].detail
    assert "inboxes" in local[1].detail
