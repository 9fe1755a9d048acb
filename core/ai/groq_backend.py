"""Groq through its official client: JSON output, schema-constrained when the model supports it."""

from __future__ import annotations

import logging
from typing import Any

import groq

from core.ai.backend import BackendUnavailable
from core.ai.model import JSON_SCHEMA
from core.config import Settings

log = logging.getLogger(__name__)

TEMPERATURE = 0.8


class GroqBackend:
    name = "groq"

    def __init__(self, settings: Settings) -> None:
        if not settings.groq_api_key:
            raise BackendUnavailable("GROQ_API_KEY is not set")
        self.model = settings.groq_model
        self.label = f"Groq {self.model}"
        self.timeout = settings.llm_timeout_s
        self.client = groq.Groq(
            api_key=settings.groq_api_key.get_secret_value(),
            base_url=settings.groq_base_url,
            max_retries=settings.llm_max_retries,
            timeout=settings.llm_timeout_s,
        )
        self._schema_supported = True

    def complete(self, messages: list[dict[str, str]]) -> str:
        try:
            response = self._create(messages)
        except groq.RateLimitError as exc:
            wait = exc.response.headers.get("retry-after")
            raise BackendUnavailable(
                "rate limited" + (f" (asked to retry after {wait}s)" if wait else "")) from None
        except groq.APITimeoutError:
            raise BackendUnavailable(f"no answer within {self.timeout:g}s") from None
        except groq.APIConnectionError:
            raise BackendUnavailable("not reachable (check GROQ_BASE_URL and the network)") from None
        except groq.AuthenticationError:
            raise BackendUnavailable("refused the API key (check GROQ_API_KEY)") from None
        except groq.APIStatusError as exc:
            raise BackendUnavailable(f"answered HTTP {exc.status_code}") from None
        if not response.choices:
            return ""
        return response.choices[0].message.content or ""

    def _create(self, messages: list[dict[str, str]]) -> Any:
        """Ask for schema-constrained JSON; models without it get JSON mode from then on."""
        if self._schema_supported:
            try:
                return self._request(messages, {
                    "type": "json_schema",
                    "json_schema": {"name": "proposal", "schema": JSON_SCHEMA},
                })
            except groq.BadRequestError as exc:
                if "json_schema" not in str(exc) and "response_format" not in str(exc):
                    raise
                log.info("%s does not take a JSON schema; using JSON mode", self.model)
                self._schema_supported = False
        return self._request(messages, {"type": "json_object"})

    def _request(self, messages: list[dict[str, str]], response_format: dict[str, Any]) -> Any:
        return self.client.chat.completions.create(
            model=self.model,
            messages=messages,  # type: ignore[arg-type]
            response_format=response_format,  # type: ignore[arg-type]
            temperature=TEMPERATURE,
        )
