"""Ollama through its official client: `format` is the JSON schema, no streaming."""

from __future__ import annotations

import httpx
import ollama

from core.ai.backend import BackendAbsent, BackendUnavailable
from core.ai.model import JSON_SCHEMA
from core.config import Settings

TEMPERATURE = 0.8
PROBE_TIMEOUT_S = 2.0


class OllamaBackend:
    name = "ollama"

    def __init__(self, settings: Settings, *, optional: bool = False) -> None:
        self.model = settings.ollama_model
        self.host = settings.ollama_host
        self.label = f"Ollama {self.model}"
        self.timeout = settings.llm_timeout_s
        self.optional = optional
        self.client = ollama.Client(host=settings.ollama_host, timeout=settings.llm_timeout_s)
        self._probed = not optional

    def complete(self, messages: list[dict[str, str]]) -> str:
        if not self._probed:
            self._probe()
        try:
            response = self.client.chat(
                model=self.model,
                messages=messages,
                format=JSON_SCHEMA,
                stream=False,
                options={"temperature": TEMPERATURE},
            )
        except ollama.ResponseError as exc:
            raise BackendUnavailable(self._explain(exc)) from None
        except httpx.TimeoutException:
            raise BackendUnavailable(f"no answer within {self.timeout:g}s") from None
        except (ConnectionError, httpx.HTTPError):
            raise BackendUnavailable(f"not reachable at {self.host} (is `ollama serve` running?)") from None
        return response.message.content or ""

    def _probe(self) -> None:
        """Under LLM_BACKEND=auto Ollama is used only if it answers: ask quickly first."""
        try:
            ollama.Client(host=self.host, timeout=PROBE_TIMEOUT_S).list()
        except (ConnectionError, httpx.HTTPError, ollama.ResponseError):
            raise BackendAbsent(f"not running at {self.host}") from None
        self._probed = True

    def _explain(self, exc: ollama.ResponseError) -> str:
        if exc.status_code == 404:
            return f"has no model {self.model} (run `ollama pull {self.model}`)"
        if exc.status_code == 429:
            return "rate limited"
        return f"answered HTTP {exc.status_code}: {str(exc.error)[:120]}"
