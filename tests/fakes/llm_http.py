"""A small scripted HTTP server on 127.0.0.1 (port 0) that the LLM fakes build on.

Each request takes the next scripted step (an answer text, or a Step with a status, headers
and a delay); when the script is empty the fake gives a good answer. Requests are recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Step:
    """One scripted reply: a model answer `content`, or an HTTP error `status` with `body`."""

    content: str | None = None
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float


def good_answer(titles: list[str] | None = None, **overrides: Any) -> str:
    data = {
        "titles": titles or ["Cold brew, explained in 30 seconds", "Why cold brew tastes smoother",
                             "The twelve-hour coffee trick"],
        "description": "Cold brew steeps for twelve hours in cold water, so it comes out smooth.",
        "hashtags": ["#coffee", "cold brew", "#Shorts"],
        "hook": "Your coffee is too bitter. Here's why.",
    }
    data.update(overrides)
    return json.dumps(data)


class FakeLLMServer:
    def __init__(self) -> None:
        self.script: deque[Step | str] = deque()
        self.requests: list[Seen] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeLLMServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def then(self, *steps: Step | str) -> FakeLLMServer:
        self.script.extend(steps)
        return self

    def calls(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    def next_step(self) -> Step:
        step = self.script.popleft() if self.script else good_answer()
        return Step(content=step) if isinstance(step, str) else step

    def route(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any, dict]:
        raise NotImplementedError

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        headers = {k.lower(): v for k, v in handler.headers.items()}
        path = handler.path.split("?", 1)[0]
        self.requests.append(Seen(method, path, headers, body, time.monotonic()))
        status, payload, extra = self.route(method, path, body, headers)
        data = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
