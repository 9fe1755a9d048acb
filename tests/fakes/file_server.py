"""A local HTTP server for yt-dlp tests: serves given bodies by path (with ranges), redirects
given paths (302), 404 otherwise. It listens on 127.0.0.1, or on another loopback address.

    with FileServer() as server:
        url = server.add("/clip.mp4", path.read_bytes(), "video/mp4")
        server.redirect("/moved", "http://elsewhere.test/clip.mp4")
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from tests.fakes.local_server import FakeHandler, LocalServer

NOT_FOUND = b"<html><body>Not Found</body></html>"


class FileServer(LocalServer):
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.files: dict[str, tuple[bytes, str]] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[str] = []

    def add(self, path: str, body: bytes, content_type: str) -> str:
        self.files[path] = (body, content_type)
        return self.link(path)

    def redirect(self, path: str, location: str) -> None:
        self.redirects[path] = location

    def link(self, path: str) -> str:
        return self.url.rstrip("/") + path

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(FakeHandler):
            def do_HEAD(self) -> None:  # noqa: N802
                self._answer(with_body=False)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(with_body=True)

            def _answer(self, *, with_body: bool) -> None:
                server.requests.append(self.path)
                if self.path in server.redirects:
                    self.send(302, b"", "text/plain", {"Location": server.redirects[self.path]})
                    return
                found = server.files.get(self.path.split("?", 1)[0])
                if found is None:
                    self.send(404, NOT_FOUND if with_body else b"", "text/html")
                    return
                body, kind = found
                start, end, status, headers = 0, len(body) - 1, 200, {"Accept-Ranges": "bytes"}
                ranged = self.headers.get("Range", "")
                if ranged.startswith("bytes="):
                    first, _, last = ranged[6:].partition("-")
                    start, end, status = int(first or 0), int(last) if last else len(body) - 1, 206
                    headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
                chunk = body[start:end + 1]
                if with_body:
                    self.send(status, chunk, kind, headers)
                    return
                self.send_response(status)
                headers |= {"Content-Type": kind, "Content-Length": str(len(chunk))}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()

        return Handler
