"""The URL guard: only http(s), and never the host's own network unless configuration allows it.

Anyone in a chat can hand the bot a URL; without this check the bot could be used to
read services on its loopback interface, the LAN or a cloud metadata address.
`DOWNLOAD_ALLOW_PRIVATE=true` lifts the address check (e.g. a self-hosted media server).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from core.jobs import JobFailed


def check_url(url: str, *, allow_private: bool) -> str:
    """Return the URL if it may be fetched; raise JobFailed with the reason otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise JobFailed("Only http:// and https:// links can be downloaded.")
    if allow_private:
        return url.strip()
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise JobFailed(f"The host {parts.hostname} does not resolve: check the link.") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            raise JobFailed(
                f"{parts.hostname} points into a private network ({address}); the bot does not "
                "fetch from private, loopback or link-local addresses (DOWNLOAD_ALLOW_PRIVATE)."
            )
    return url.strip()
