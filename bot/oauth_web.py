"""The OAuth callback pages: `/oauth/{platform}/callback` finishes a connection and says how it went."""

from __future__ import annotations

import asyncio
import html

from aiohttp import web

from bot.web import SERVICES
from core.publish import oauth
from core.services import Services

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>ettametta</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>{heading}</h1><p>{message}</p></body></html>
"""


def oauth_routes(app: web.Application) -> None:
    app.router.add_get("/oauth/{platform}/callback", callback)


async def callback(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES]
    platform = request.match_info["platform"]
    if platform not in oauth.PROVIDERS:
        raise web.HTTPNotFound()
    outcome = await asyncio.to_thread(oauth.complete, services, platform, dict(request.query))
    heading = "Connected" if outcome.ok else "Not connected"
    body = PAGE.format(heading=heading, message=html.escape(outcome.message))
    return web.Response(text=body, content_type="text/html", status=200 if outcome.ok else 400,
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
