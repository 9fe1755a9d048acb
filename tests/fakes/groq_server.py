"""A fake Groq API (OpenAI-compatible `/openai/v1/chat/completions`) for the real `groq` client.

It checks the bearer key, the model and the messages, refuses `json_schema` response formats
when told the model lacks them (as Groq does for most models), and answers with the scripted
steps: good or bad JSON, 429 with retry-after, slow answers that trip the client's timeout.
"""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.llm_http import FakeLLMServer, Step

CHAT = "/openai/v1/chat/completions"
MODELS = "/openai/v1/models"


class FakeGroq(FakeLLMServer):
    def __init__(self, api_key: str = "gsk_test", model: str = "openai/gpt-oss-20b",
                 *, json_schema: bool = True) -> None:
        super().__init__()
        self.api_key = api_key
        self.model = model
        self.json_schema = json_schema

    def route(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any, dict]:
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, _error("Invalid API Key", "invalid_request_error", "invalid_api_key"), {}
        if method == "GET" and path == MODELS:
            return 200, {"object": "list", "data": [{"id": self.model, "object": "model",
                                                     "owned_by": "fake", "created": 0}]}, {}
        if method != "POST" or path != CHAT:
            return 404, _error(f"Unknown request URL: {method} {path}", "invalid_request_error"), {}
        if not isinstance(body, dict) or not body.get("messages"):
            return 400, _error("'messages' : property 'messages' is missing", "invalid_request_error"), {}
        if body.get("model") != self.model:
            return 404, _error(f"The model `{body.get('model')}` does not exist", "invalid_request_error",
                               "model_not_found"), {}
        kind = (body.get("response_format") or {}).get("type")
        if kind == "json_schema" and not self.json_schema:
            return 400, _error("This model does not support response format `json_schema`. "
                               "See supported models at https://console.groq.com/docs/structured-outputs",
                               "invalid_request_error"), {}
        step = self.next_step()
        if step.delay:
            time.sleep(step.delay)
        if step.status != 200:
            return step.status, step.body or _error("Rate limit reached", "tokens",
                                                    "rate_limit_exceeded"), step.headers
        return 200, self._completion(step.content or ""), step.headers

    def _completion(self, content: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
        }


def rate_limited(retry_after: float) -> Step:
    return Step(status=429, headers={"retry-after": f"{retry_after:g}"},
                body=_error("Rate limit reached for model. Please try again later.", "tokens",
                            "rate_limit_exceeded"))


def _error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code}}
