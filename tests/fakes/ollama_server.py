"""A fake Ollama server (`/api/chat`, `/api/tags`, `/api/version`) for the real `ollama` client.

It insists on `stream: false` and a `format`, knows one model (others get Ollama's 404), and
answers with the scripted steps shared with the Groq fake.
"""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.llm_http import FakeLLMServer

CHAT = "/api/chat"


class FakeOllama(FakeLLMServer):
    def __init__(self, model: str = "qwen3:4b") -> None:
        super().__init__()
        self.model = model

    def route(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any, dict]:
        if method == "GET" and path == "/api/version":
            return 200, {"version": "0.12.0"}, {}
        if method == "GET" and path == "/api/tags":
            return 200, {"models": [{"name": self.model, "model": self.model, "size": 1,
                                     "digest": "0" * 64, "modified_at": "2026-11-01T00:00:00Z"}]}, {}
        if method != "POST" or path != CHAT:
            return 404, b"404 page not found", {}
        if not isinstance(body, dict) or not body.get("messages"):
            return 400, {"error": "messages are required"}, {}
        if body.get("model") != self.model:
            return 404, {"error": f"model '{body.get('model')}' not found"}, {}
        if body.get("stream") is not False:
            return 400, {"error": "this fake only answers stream: false"}, {}
        if not body.get("format"):
            return 400, {"error": "this fake expects a format (a JSON schema)"}, {}
        step = self.next_step()
        if step.delay:
            time.sleep(step.delay)
        if step.status != 200:
            return step.status, step.body or {"error": "server busy"}, step.headers
        return 200, {
            "model": self.model,
            "created_at": "2026-11-24T12:00:00Z",
            "message": {"role": "assistant", "content": step.content or ""},
            "done": True,
            "done_reason": "stop",
            "total_duration": 1000,
        }, step.headers
