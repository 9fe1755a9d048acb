"""What an upload records as it goes, so a retry or a crash never uploads the same video twice."""

from __future__ import annotations

from typing import Any, Protocol


class Journal(Protocol):
    """Each call is durable when it returns; uploaders call them in this order."""

    def session_started(self, session: str) -> None:
        """An upload session exists on the platform (resumable URI, TikTok publish id)."""

    def session_lost(self) -> None:
        """The platform forgot the session before it completed; a new one may be started."""

    def sent(self, bytes_sent: int, total: int) -> None:
        """Bytes the platform acknowledged; also where cancellation is noticed."""

    def uploaded(self, remote_id: str, detail: dict[str, Any]) -> None:
        """The platform has the whole file; from here on, only status and reporting remain."""
