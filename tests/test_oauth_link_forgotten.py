"""The one-time OAuth link lives in the chat, not in the database: the outbox forgets it once sent."""

from __future__ import annotations

import asyncio
import json
import re

from sqlalchemy import select

from core import outbox
from core.messages import Reply
from core.models import Account, Member, OutboxEvent
from tests.support.console import run_script
from tests.support.oauth_site import authorise
from tests.support.publishing import person

pytest_plugins = ("tests.support.oauth_fixtures",)


def stored_payloads(services) -> str:
    with services.db.session() as session:
        return json.dumps([event.payload for event in session.scalars(select(OutboxEvent))])


async def test_a_delivered_connect_link_is_not_kept_and_still_works(site, fakes) -> None:
    services = site
    printed = await asyncio.to_thread(run_script, services, ["/connect youtube"], user="alice")
    link = re.search(r"https?://\S+", printed).group(0)
    state = re.search(r"[?&]state=([^&\s]+)", link).group(1)

    assert state not in stored_payloads(services), "the delivered DM no longer holds the link"
    assert outbox.SECRET_FORGOTTEN in stored_payloads(services)
    page = await authorise(link)
    assert page.status_code == 200 and "You can close this tab" in page.text, page.text
    with services.db.session() as session:
        assert session.scalar(select(Account.name)) == "Cooking With Ada"


def test_a_link_that_can_never_be_delivered_is_forgotten_too(site) -> None:
    services = site
    _, member_id = person(services, "bob")
    with services.db.session() as session:
        secret = outbox.direct(session, session.get_one(Member, member_id),
                               Reply(text="Open https://example.test/?state=abc123", one_time_secret=True))
        plain = outbox.direct(session, session.get_one(Member, member_id), Reply(text="Connected #1"))
        session.flush()
        ids = secret.id, plain.id
    with services.db.session() as session:
        outbox.end_undelivered(session, ids[0], outbox.Undeliverable.blocked, "403 blocked")
        outbox.mark_delivered(session, ids[1], "m-2")

    with services.db.session() as session:
        texts = [session.get_one(OutboxEvent, event_id).payload["text"] for event_id in ids]
    assert texts == [outbox.SECRET_FORGOTTEN, "Connected #1"], "only messages marked secret are forgotten"
