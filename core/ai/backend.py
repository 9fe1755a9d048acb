"""The port every LLM backend implements: send chat messages, get the model's text back."""

from __future__ import annotations

from typing import Protocol


class BackendUnavailable(Exception):
    """This backend can't produce a proposal now; the message says why, in words for the user."""


class BackendAbsent(BackendUnavailable):
    """An optional backend (Ollama under LLM_BACKEND=auto) is not running: skip it silently."""


class ChatBackend(Protocol):
    name: str
    label: str

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The model's answer text; raises BackendUnavailable for transport or service problems."""
        ...
