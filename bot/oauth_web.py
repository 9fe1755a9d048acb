"""The OAuth pages: `/oauth/{platform}/callback` finishes a connection, then shows how it went.

Post/Redirect/Get: the callback does the work once and redirects (303) to `/oauth/result?r=…`,
whose token is the outcome sealed with a key derived from SECRET_KEY (core/keys.py). Reloading
the result, or going Back and Forward to it, shows the same outcome again instead of running
the used link a second time. The page says what happened in plain words, where to go back to
(the Discord server or Telegram chat the link came from) and which command to send; nothing the
provider or the URL carried is echoed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta

from aiohttp import web
from cryptography.fernet import InvalidToken

from bot.web import SERVICES
from bot.web_page import Line, respond
from core.keys import Purpose, Sealer
from core.publish import oauth
from core.publish.oauth_words import LABELS, REASONS, explain, next_step, private_place
from core.services import Services

RESULT_PATH = "/oauth/result"
RESULT_TTL = timedelta(days=7)
ACCOUNT_KIND = {"youtube": "channel", "tiktok": "account"}


def oauth_routes(app: web.Application) -> None:
    app.router.add_get("/oauth/{platform}/callback", callback)
    app.router.add_get(RESULT_PATH, result)


async def callback(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES]
    platform = request.match_info["platform"]
    if platform not in oauth.PROVIDERS:
        raise web.HTTPNotFound()
    outcome = await asyncio.to_thread(oauth.complete, services, platform, dict(request.query))
    sealed = result_sealer(services).seal(json.dumps(dataclasses.asdict(outcome)).encode())
    raise web.HTTPSeeOther(f"{RESULT_PATH}?r={sealed.decode()}", headers={"Cache-Control": "no-store"})


async def result(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES]
    outcome = _unseal(services, request.query.get("r", ""))
    if outcome is None:
        return respond("Page expired", [
            Line("This page is too old to show, or its address was changed."),
            Line("If you were connecting an account, /accounts in your Discord server or Telegram "
                 "chat shows what is connected; /connect youtube or /connect tiktok sends a new link.",
                 "next"),
        ], status=404)
    if outcome.ok:
        return _connected(outcome)
    return _not_connected(outcome)


def result_sealer(services: Services) -> Sealer:
    return Sealer(services.settings, Purpose.oauth_result_page)


def _unseal(services: Services, token: str) -> oauth.Outcome | None:
    try:
        plain = result_sealer(services).open(token.encode(), ttl=int(RESULT_TTL.total_seconds()))
        fields = json.loads(plain)
        outcome = oauth.Outcome(**fields)
    except (InvalidToken, ValueError, TypeError):
        return None
    return outcome if outcome.platform in LABELS and (outcome.ok or outcome.reason in REASONS) else None


def _connected(outcome: oauth.Outcome) -> web.Response:
    label = LABELS[outcome.platform]
    what = f"{label} {ACCOUNT_KIND[outcome.platform]} \u201c{outcome.account}\u201d"
    return respond("Connected", [
        Line(f"{what} is now connected to ettametta for {outcome.place}."),
        Line(f"The bot has confirmed it to you in {private_place(outcome.front)}. You can publish to it "
             f"once a proposal is approved; /accounts lists the connected accounts.", "next"),
        Line("You can close this tab.", "small"),
    ], tone="ok")


def _not_connected(outcome: oauth.Outcome) -> web.Response:
    where = outcome.place or "the Discord server or Telegram chat where you asked for the link"
    lines = [Line(explain(outcome.reason, outcome.platform).words),
             Line(next_step(outcome.reason, outcome.platform, where), "next")]
    if outcome.reason in ("link_used", "link_expired") and outcome.front:
        lines.append(Line(f"The bot has also told you in {private_place(outcome.front)}.", "small"))
    lines.append(Line("Nothing changed." if outcome.reason == "link_used" else "Nothing was connected.",
                      "small"))
    return respond("Not connected", lines, tone="bad", status=400)
