"""Front-neutral messages: what a command answers and what workers report.

Each front turns these into its own kind of message (Discord embeds and buttons,
Telegram inline keyboards, numbered console prompts); nothing here knows which.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Choice(BaseModel):
    """Something a person can pick; picking it runs `command` as that person."""

    model_config = ConfigDict(frozen=True)

    label: str
    command: str
    emoji: str = ""


class Attachment(BaseModel):
    """A file to send along: `kind` is image, video or file; `fallback` replaces it if too big."""

    model_config = ConfigDict(frozen=True)

    path: str
    kind: str = "file"
    name: str = ""
    fallback: str | None = None


class Reply(BaseModel):
    """A command's answer, or a worker's result, in a form every front can show.

    `expires_at` marks a message worthless after that time (a one-time link): a front never
    delivers it later, and says to run `renew` (the command that makes a fresh one) instead.
    `one_time_secret` says the text carries a secret (an OAuth link): the outbox forgets the
    text once the message has left the queue, so the database keeps it no longer than that.
    """

    model_config = ConfigDict(frozen=True)

    text: str
    choices: list[Choice] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
    private: bool = False
    ephemeral: bool = False
    error: bool = False
    job_id: int | None = None
    subject: str = ""
    expires_at: datetime | None = None
    renew: str = ""
    one_time_secret: bool = False


class Progress(BaseModel):
    """How far a job has got; a front edits one message in place as these arrive."""

    model_config = ConfigDict(frozen=True)

    job_id: int
    kind: str
    percent: float
    text: str = ""
    eta_seconds: float | None = None

    def line(self) -> str:
        bar_width = 20
        filled = int(round(self.percent / 100 * bar_width))
        bar = "█" * filled + "░" * (bar_width - filled)
        eta = f" · about {format_duration(self.eta_seconds)} left" if self.eta_seconds else ""
        detail = f" · {self.text}" if self.text else ""
        return f"Job #{self.job_id} {self.kind} [{bar}] {self.percent:3.0f}%{detail}{eta}"


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
