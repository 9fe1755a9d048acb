"""Helpers for tests of the OAuth web site (its fixtures are in tests/support/oauth_fixtures.py)."""

from __future__ import annotations

import re
import socket

import httpx

from tests.support.publishing import messages


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dm_link(services, user: str = "alice") -> str:
    text = messages(services, user, "direct")[-1]
    return re.search(r"https?://\S+", text).group(0)


async def authorise(link: str) -> httpx.Response:
    """The person opens the link, allows access, and the browser follows the redirect back."""
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(link)
        assert consent.status_code == 302, consent.text
        return await browser.get(consent.headers["Location"], follow_redirects=True)
