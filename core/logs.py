"""Logging set-up: a file in DATA_DIR, warnings on stderr, and secrets redacted everywhere."""

from __future__ import annotations

import logging
import logging.handlers
import re

from core.config import Settings

TOKEN_PATTERNS = (
    re.compile(r"(bot)\d{5,}:[\w-]{20,}"),
    re.compile(r"((?:access|refresh)_token[\"']?\s*[:=]\s*[\"']?)[\w.\-/+=]{8,}", re.I),
    re.compile(r"(Bearer\s+)[\w.\-/+=]{8,}", re.I),
    re.compile(r"((?:code|state|code_verifier)=)[\w.\-%]{8,}"),
)


class RedactSecrets(logging.Filter):
    """Replace configured secrets and anything shaped like a token with '***'."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if len(s) >= 6]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        for pattern in TOKEN_PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + "***", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure(settings: Settings, *, console_level: int = logging.WARNING) -> None:
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    redact = RedactSecrets(settings.secret_values())
    file_handler = logging.handlers.RotatingFileHandler(
        log_dir / "ettametta.log", maxBytes=5_000_000, backupCount=3, encoding="utf-8"
    )
    file_handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s")
    )
    stderr = logging.StreamHandler()
    stderr.setLevel(console_level)
    stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = []
    for handler in (file_handler, stderr):
        handler.addFilter(redact)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("httpx", "httpcore", "urllib3", "discord.gateway", "apscheduler", "faster_whisper"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
