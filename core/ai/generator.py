"""The generator: the configured backends in order, each answer validated, offline last.

An invalid or truncated answer is retried once on the same backend with the problem quoted
to the model; a second bad answer, a timeout or a rate limit moves on to the next backend.
The offline generator always answers, so a proposal is always made, and the result says
which backend produced it and why earlier ones were passed over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from core.ai import offline
from core.ai.backend import BackendAbsent, BackendUnavailable, ChatBackend
from core.ai.groq_backend import GroqBackend
from core.ai.model import Brief, Metadata
from core.ai.ollama_backend import OllamaBackend
from core.ai.prompt import InvalidAnswer, correction, messages, parse
from core.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Generated:
    metadata: Metadata
    backend: str
    label: str
    fallbacks: tuple[str, ...] = ()


BackendFactory = Callable[[], ChatBackend]


def backend_plan(settings: Settings) -> list[tuple[str, BackendFactory]]:
    """The LLM backends to try, in order, before the offline generator (LLM_BACKEND)."""
    groq_first = ("groq", lambda: GroqBackend(settings))
    ollama = ("ollama", lambda: OllamaBackend(settings))
    if settings.llm_backend == "groq":
        return [groq_first]
    if settings.llm_backend == "ollama":
        return [ollama]
    if settings.llm_backend == "offline":
        return []
    plan = [groq_first] if settings.groq_api_key else []
    return [*plan, ("ollama", lambda: OllamaBackend(settings, optional=True))]


def describe_plan(settings: Settings) -> str:
    """The order in words, for /status: no network calls."""
    names = {
        "groq": f"Groq {settings.groq_model}",
        "ollama": f"Ollama {settings.ollama_model} at {settings.ollama_host}"
        + (" if it answers" if settings.llm_backend == "auto" else ""),
    }
    steps = [names[name] for name, _ in backend_plan(settings)]
    if settings.llm_backend == "groq" and not settings.groq_api_key:
        steps = ["Groq (GROQ_API_KEY is not set)"]
    return " → ".join([*steps, "offline"]) + f" (LLM_BACKEND={settings.llm_backend})"


def generate(settings: Settings, brief: Brief) -> Generated:
    fallbacks: list[str] = []
    for name, make in backend_plan(settings):
        try:
            backend = make()
            metadata = ask(backend, brief)
        except BackendAbsent:
            continue
        except BackendUnavailable as exc:
            log.warning("LLM backend %s passed over: %s", name, exc)
            fallbacks.append(f"{name} {exc}")
            continue
        return Generated(metadata, backend.name, backend.label, tuple(fallbacks))
    return Generated(offline.generate(brief), offline.NAME, offline.LABEL, tuple(fallbacks))


def ask(backend: ChatBackend, brief: Brief) -> Metadata:
    """One request, and one retry that quotes the problem, before giving up on this backend."""
    conversation = messages(brief)
    answer = backend.complete(conversation)
    try:
        return parse(answer, brief)
    except InvalidAnswer as first:
        log.info("%s gave an unusable answer (%s); asking again", backend.name, first)
        conversation += correction(answer, str(first))
    answer = backend.complete(conversation)
    try:
        return parse(answer, brief)
    except InvalidAnswer as second:
        raise BackendUnavailable(f"gave an unusable answer twice ({second})") from None
