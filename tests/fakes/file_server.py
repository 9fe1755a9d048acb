"""A local HTTP server for yt-dlp tests: serves given bodies by path, 404 for anything else.

    with FileServer() as server:
        server.add("/clip.mp4", path.read_bytes(), "video/mp4")
        url = server.url("/clip.mp4")
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FileServer:
    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    def add(self, path: str, body: bytes, content_type: str) -> str:
        self.files[path] = (body, content_type)
        return self.url(path)

    def url(self, path: str) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def __enter__(self) -> FileServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self) -> None:  # noqa: N802
                self._answer(with_body=False)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(with_body=True)

            def _answer(self, *, with_body: bool) -> None:
                server.requests.append(self.path)
                found = server.files.get(self.path.split("?", 1)[0])
                body, kind = found if found else (b"<html><body>Not Found</body></html>", "text/html")
                start, end = 0, len(body) - 1
                ranged = self.headers.get("Range", "")
                if found and ranged.startswith("bytes="):
                    first, _, last = ranged[6:].partition("-")
                    start, end = int(first or 0), int(last) if last else len(body) - 1
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
                else:
                    self.send_response(200 if found else 404)
                chunk = body[start:end + 1]
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(chunk)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if with_body:
                    self.wfile.write(chunk)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
