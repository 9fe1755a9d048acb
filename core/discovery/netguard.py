"""The URL guard: only http(s), and never the host's own network unless configuration allows it.

Anyone in a chat can hand the bot a URL; without this guard the bot could be used to read
services on its loopback interface, the LAN or a cloud metadata address.
`DOWNLOAD_ALLOW_PRIVATE=true` lifts the address check (e.g. a self-hosted media server).

The check happens where the connection is made (`NetGuard.connect`): a host name is resolved
once, every address it resolves to is checked, and the socket connects to one of those very
addresses. So DNS cannot give the check one answer and the connection another (rebinding),
and a redirect into a private network is refused before anything is sent: the connection to
it is never opened. `check_url` is the early check of a link, so a person hears at once
that a link points inside; the connection is what enforces it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core.jobs import JobFailed

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class PrivateAddress(OSError):
    """A connection refused because the host resolves into a private network; an OSError, so
    HTTP clients treat it as a connection that could not be made. The message is for people."""


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for a TCP connection to `host`:`port`."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


def is_private(address: Address) -> bool:
    """Loopback, private (RFC 1918, ULA), link-local, reserved, shared, multicast: anything not global."""
    return not address.is_global or address.is_multicast


@dataclass(frozen=True)
class NetGuard:
    """Where this process may connect to on a stranger's behalf.

    `resolve` and `refuses` are the resolver and the rule; the product uses the system
    resolver and `is_private`, tests substitute a fake resolver.
    """

    allow_private: bool
    resolve: Resolver = field(default=system_resolver)
    refuses: Callable[[Address], bool] = field(default=is_private)

    def addresses(self, host: str, port: int) -> list[Address]:
        """Every address `host` resolves to, each checked; raises PrivateAddress for one that is
        refused, OSError (socket.gaierror) when the name does not resolve."""
        found = [ipaddress.ip_address(text) for text in self.resolve(host, port)]
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} has no address")
        if not self.allow_private:
            for address in found:
                if self.refuses(address):
                    raise PrivateAddress(
                        f"{host} points into a private network ({address}); the bot does not fetch "
                        "from private, loopback or link-local addresses (DOWNLOAD_ALLOW_PRIVATE).")
        return found

    def connect(self, address: tuple[str, int], timeout: float | None = None,
                source_address: tuple[str, int] | None = None) -> socket.socket:
        """A TCP connection to one of the checked addresses of `address` (host, port): the same
        signature as `socket.create_connection`, which it replaces in HTTP clients."""
        host, port = address
        error: OSError | None = None
        for ip in self.addresses(host, port):
            family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                if timeout is not None:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect((str(ip), port))
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        assert error is not None
        raise error

    def check_url(self, url: str) -> str:
        """The URL if it may be fetched (http(s), and its host's addresses allowed); JobFailed otherwise."""
        parts = urlsplit(url.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise JobFailed("Only http:// and https:// links can be downloaded.")
        if self.allow_private:
            return url.strip()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            self.addresses(parts.hostname, port)
        except PrivateAddress as exc:
            raise JobFailed(str(exc)) from None
        except (OSError, UnicodeError):
            raise JobFailed(f"The host {parts.hostname} does not resolve: check the link.") from None
        return url.strip()
