"""Is the configured LLM reachable? Used by `ettametta doctor`; proposals fall back regardless."""

from __future__ import annotations

import groq
import httpx
import ollama

from core.config import Settings

PROBE_TIMEOUT_S = 5.0


def groq_problem(settings: Settings) -> str | None:
    """None when Groq accepts the key and serves GROQ_MODEL; otherwise what is wrong."""
    client = groq.Groq(api_key=settings.groq_api_key.get_secret_value(), base_url=settings.groq_base_url,
                       max_retries=0, timeout=min(PROBE_TIMEOUT_S, settings.llm_timeout_s))
    try:
        models = {model.id for model in client.models.list().data}
    except groq.AuthenticationError:
        return "refused the API key"
    except groq.APIConnectionError:
        return f"not reachable at {settings.groq_base_url}"
    except groq.APIStatusError as exc:
        return f"answered HTTP {exc.status_code}"
    if settings.groq_model not in models:
        return f"has no model {settings.groq_model} (retired? set GROQ_MODEL to a current one)"
    return None


def ollama_problem(settings: Settings) -> str | None:
    """None when Ollama answers at OLLAMA_HOST and has OLLAMA_MODEL pulled."""
    try:
        listing = ollama.Client(host=settings.ollama_host,
                                timeout=min(PROBE_TIMEOUT_S, settings.llm_timeout_s)).list()
    except (ConnectionError, httpx.HTTPError, ollama.ResponseError):
        return f"not running at {settings.ollama_host}"
    names = {model.model for model in listing.models}
    if settings.ollama_model not in names and f"{settings.ollama_model}:latest" not in names:
        return f"has no model {settings.ollama_model} (run `ollama pull {settings.ollama_model}`)"
    return None
