"""The small HTTP server: /healthz, and the routes capabilities add (OAuth callbacks, webhooks)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from core.services import Services

log = logging.getLogger(__name__)

RouteSetup = Callable[[web.Application], None]
SERVICES = web.AppKey("services", Services)


def build_app(services: Services, extra_routes: tuple[RouteSetup, ...] = ()) -> web.Application:
    """The app with /healthz and whatever routes the running fronts and capabilities add."""
    app = web.Application(client_max_size=1024**2)
    app[SERVICES] = services
    app.router.add_get("/healthz", healthz)
    for setup in extra_routes:
        setup(app)
    return app


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
