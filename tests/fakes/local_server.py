"""The plumbing the publishing fakes share: a real HTTP server on 127.0.0.1 (or another loopback
address), port 0, in a thread.

A fake subclasses `LocalServer` and returns its request handler class from `handler()`; handlers
subclass `FakeHandler` for sending bodies and draining uploads without keeping them.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

BLOCK = 1024 * 1024


def serve(handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1") -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(body).encode(), "application/json; charset=UTF-8", headers)

    def drain(self, count: int) -> None:
        """Read and drop a request body, a block at a time."""
        while count:
            block = self.rfile.read(min(BLOCK, count))
            if not block:
                return
            count -= len(block)

    def log_message(self, *args: Any) -> None:
        return None


class LocalServer:
    _server: ThreadingHTTPServer | None = None
    host = "127.0.0.1"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://{self.host}:{self.port}/"

    @property
    def port(self) -> int:
        assert self._server is not None, "start the fake first"
        return int(self._server.server_address[1])

    def start(self) -> Self:
        self._server = serve(self.handler(), self.host)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
