"""An account whose access the platform refuses is marked, and its connector gets a reconnect link.

TikTok answers `access_token_invalid` (401) and YouTube 401 for a token it no longer honours.
The publisher refreshes once; when the refresh is refused (`invalid_grant`) or the fresh token
is refused too, the account needs reconnecting and whoever connected it is told by DM, once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core.models import Account, Publication
from core.publish import publish_tiktok, youtube
from tests.conftest import ThreadWorker
from tests.support.publishing import CHANNEL, messages, publishing_world, run, wait_for_jobs


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setattr(youtube, "RETRY_BASE_S", 0.01)
    monkeypatch.setattr(publish_tiktok, "POLL_INTERVAL_S", 0.01)
    with publishing_world(tmp_path) as made:
        yield made.services, made.proposal_id, made.google, made.tube, made.tok


def _publish(services, proposal_id: int, platform: str) -> tuple[Account, Publication]:
    with ThreadWorker(services):
        run(services, f"/publish {proposal_id} {platform}")
        wait_for_jobs(services)
    with services.db.session() as session:
        return (session.scalar(select(Account).where(Account.platform == platform)),
                session.scalar(select(Publication).where(Publication.platform == platform)))


def _reconnect_dms(services) -> list[str]:
    return [t for t in messages(services, "alice", "direct") if "can no longer use" in t]


def test_a_tiktok_token_refused_mid_life_is_refreshed_once_and_the_upload_goes_on(world) -> None:
    services, proposal_id, _, _, tok = world
    tok.access_tokens.clear()
    account_row, publication = _publish(services, proposal_id, "tiktok")
    assert account_row.healthy and publication.state == "inbox"
    assert len(tok.uploads) == 1 and not _reconnect_dms(services)


@pytest.mark.parametrize("platform", ["youtube", "tiktok"])
@pytest.mark.parametrize("how", ["refresh refused", "fresh token refused"])
def test_a_refused_token_marks_the_account_and_dms_a_reconnect_link(world, platform: str, how: str) -> None:
    """TikTok `access_token_invalid` / YouTube 401, then `invalid_grant` or the fresh token refused too."""
    services, proposal_id, google, tube, tok = world
    if how == "refresh refused":
        (google if platform == "youtube" else tok).revoke_all()
    else:
        (tube if platform == "youtube" else tok).reject_access = True
    account_row, publication = _publish(services, proposal_id, platform)
    assert not account_row.healthy and publication.state == "failed"
    assert ("refused the refresh" if how == "refresh refused" else "even after a refresh") \
        in account_row.health_note
    dms = _reconnect_dms(services)
    assert len(dms) == 1, "one DM"
    link = "/o/oauth2/auth" if platform == "youtube" else "/v2/auth/authorize/"
    assert link in dms[0], "with a fresh link"
    label = {"youtube": "YouTube", "tiktok": "TikTok"}[platform]
    said = "\n".join(messages(services, CHANNEL))
    assert f"the {label} account needs reconnecting" in said and "has a DM with a link" in said
    assert not tube.uploaded and not tok.uploads
    assert "needs reconnecting" in run(services, "/accounts").text
