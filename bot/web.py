"""The small HTTP server: /healthz, and the routes capabilities add (OAuth callbacks, webhooks).

Every response carries the security headers of bot/web_page.py and no server version; the
home page and any unknown address get a short branded page instead of aiohttp's bare
"404: Not Found".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.web_page import SECURITY_HEADERS, Line, respond
from core.publish.oauth_types import LINK_MINUTES
from core.services import Services

log = logging.getLogger(__name__)

RouteSetup = Callable[[web.Application], None]
SERVICES = web.AppKey("services", Services)


def build_app(services: Services, extra_routes: tuple[RouteSetup, ...] = ()) -> web.Application:
    """The app with /healthz and whatever routes the running fronts and capabilities add."""
    app = web.Application(client_max_size=1024**2, middlewares=[branded_errors])
    app[SERVICES] = services
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/", home)
    app.router.add_get("/healthz", healthz)
    for setup in extra_routes:
        setup(app)
    return app


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def branded_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unknown addresses and wrong methods get a short page that says where to start."""
    try:
        return await handler(request)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
        return respond("Page not found", [
            Line("There is nothing at this address."),
            Line(f"The links the bot sends you work once, for {LINK_MINUTES} minutes. For a new one, "
                 "send /connect youtube or /connect tiktok to the bot in your Discord server or "
                 "Telegram chat.", "next"),
        ], status=exc.status)


async def home(request: web.Request) -> web.Response:
    return respond("ettametta", [
        Line("This address belongs to an ettametta bot. It finishes connecting YouTube and TikTok "
             "accounts to the bot; there is nothing else to see here."),
        Line("To connect an account, send /connect youtube or /connect tiktok to the bot in your "
             "Discord server or Telegram chat. It sends you a link by private message.", "next"),
    ])


async def healthz(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES]
    try:
        migrated = services.db.is_migrated()
    except Exception as exc:
        return web.json_response({"ok": False, "database": type(exc).__name__}, status=503)
    return web.json_response({"ok": migrated, "database": "migrated" if migrated else "not migrated"},
                             status=200 if migrated else 503)


class WebServer:
    def __init__(self, services: Services, extra_routes: tuple[RouteSetup, ...] = ()) -> None:
        self.services = services
        self.extra_routes = extra_routes
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> bool:
        settings = self.services.settings
        self._runner = web.AppRunner(build_app(self.services, self.extra_routes), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.web_host, settings.web_port)
        try:
            await site.start()
        except OSError as exc:
            log.warning("web server not started on %s:%s (%s): OAuth callbacks won't arrive; "
                        "set WEB_PORT to a free port", settings.web_host, settings.web_port, exc)
            await self._runner.cleanup()
            self._runner = None
            return False
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else settings.web_port
        return True

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
