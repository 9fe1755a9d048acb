"""yt-dlp whose every connection goes through the URL guard (core/discovery/netguard.py).

yt-dlp sends requests through request handlers (yt_dlp/networking). `GuardedYoutubeDL`
gives it one handler, `PinnedRH`: yt-dlp's own urllib handler whose HTTP connections are
opened by `NetGuard.connect` (http.client's `_create_connection` seam, the one yt-dlp itself
uses for source addresses). Every request (the page, an embedded player, each media
fragment) and every redirect opens its connection there: the host is resolved once, its
addresses checked, and the socket connects to a checked address — so a redirect into a
private network is refused before anything is sent, and DNS rebinding has no window.

Connections go direct: no HTTP(S)_PROXY, since through a proxy the proxy would resolve the
name and the check would prove nothing. With `DOWNLOAD_ALLOW_PRIVATE` yt-dlp's stock
networking is used (proxies included). Media is fetched only over protocols yt-dlp itself
downloads (http(s), HLS and DASH natively): an external program such as ffmpeg or rtmpdump
would open connections the guard never sees.
"""

from __future__ import annotations

import functools
import http.client
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from yt_dlp import YoutubeDL
from yt_dlp.networking._urllib import HTTPHandler, UrllibRH
from yt_dlp.networking.exceptions import RequestError

from core.discovery.netguard import NetGuard, PrivateAddress
from core.jobs import JobFailed

# Formats whose bytes yt-dlp downloads itself, through the guarded handler.
NATIVE_PROTOCOLS = "[protocol~='^(https?|m3u8_native|http_dash_segments)$']"


class PinnedHTTPHandler(HTTPHandler):
    """yt-dlp's urllib HTTP handler, its connections made by the guard."""

    def __init__(self, guard: NetGuard, stock: HTTPHandler) -> None:
        super().__init__(context=stock._context, source_address=stock._source_address,
                         debuglevel=stock._debuglevel)
        self._guard = guard

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(self._pinned(http.client.HTTPConnection), req)

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(self._pinned(http.client.HTTPSConnection), req, context=self._context)

    def _pinned(self, base: type[http.client.HTTPConnection]) -> Callable[..., http.client.HTTPConnection]:
        guard, source = self._guard, self._source_address

        def connection(host: str, **kwargs: Any) -> http.client.HTTPConnection:
            made = base(host, **kwargs)
            made._create_connection = guard.connect  # type: ignore[attr-defined]
            if source is not None:
                made.source_address = (source, 0)
            return made

        return connection


class PinnedRH(UrllibRH):
    """yt-dlp's urllib request handler with `PinnedHTTPHandler` in place of its HTTP handler;
    http(s) only, never through a proxy."""

    _SUPPORTED_URL_SCHEMES = ("http", "https")
    _SUPPORTED_PROXY_SCHEMES = ()

    def __init__(self, *, guard: NetGuard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._guard = guard

    def _create_instance(self, proxies: dict[str, str], cookiejar: Any,
                         legacy_ssl_support: bool | None = None) -> urllib.request.OpenerDirector:
        stock = super()._create_instance(proxies={}, cookiejar=cookiejar,
                                         legacy_ssl_support=legacy_ssl_support)
        opener = urllib.request.OpenerDirector()
        for handler in stock.handlers:
            pinned = PinnedHTTPHandler(self._guard, handler) if isinstance(handler, HTTPHandler) else handler
            opener.add_handler(pinned)
        opener.addheaders = []
        return opener


class GuardedYoutubeDL(YoutubeDL):
    """A YoutubeDL whose requests all pass the guard (see the module's docstring).

    `urlopen` raises JobFailed with the guard's message when a connection was refused.
    """

    def __init__(self, params: dict[str, Any], *, guard: NetGuard) -> None:
        self._guard = guard
        if not guard.allow_private:
            params = {**params, "proxy": ""}
        super().__init__(params)

    def build_request_director(self, handlers: Iterable[Any], preferences: Any = None) -> Any:
        if self._guard.allow_private:
            return super().build_request_director(handlers, preferences)
        return super().build_request_director([functools.partial(PinnedRH, guard=self._guard)])

    def urlopen(self, req: Any) -> Any:
        try:
            return super().urlopen(req)
        except RequestError as exc:
            refused = refusal(exc)
            if refused is None:
                raise
            raise JobFailed(str(refused)) from None


def refusal(error: BaseException) -> PrivateAddress | None:
    """The guard's refusal somewhere in an error's chain (causes, contexts, urllib's `reason`)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, PrivateAddress):
            return current
        seen.add(id(current))
        reason = getattr(current, "reason", None)
        current = reason if isinstance(reason, BaseException) else (current.__cause__ or current.__context__)
    return None
