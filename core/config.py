"""All configuration, read from the environment (and an optional `.env`) in this one place.

Every URL, key and path the product uses comes from here, so users can point any
service at a proxy or a self-hosted server and tests can point them at local fakes.
"""

from __future__ import annotations

import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(RuntimeError):
    """Start-up stops with this: the message names the variable and what is wrong."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False,
        env_ignore_empty=True,
    )

    data_dir: Path = Path("./data")
    database_url: str = ""
    queue_url: str = "local"
    redis_url: str = ""
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1)

    discord_token: SecretStr = SecretStr("")
    discord_guild_ids: str = ""
    telegram_token: SecretStr = SecretStr("")
    telegram_api_base_url: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_secret: SecretStr = SecretStr("")
    telegram_link_url: str = "https://t.me"

    public_url: str = "http://localhost:8080"
    web_host: str = "127.0.0.1"
    web_port: int = 8080

    google_client_id: str = ""
    google_client_secret: SecretStr = SecretStr("")
    youtube_api_key: SecretStr = SecretStr("")
    google_api_base_url: str = "https://www.googleapis.com"
    google_auth_uri: str = "https://accounts.google.com/o/oauth2/auth"
    google_token_uri: str = "https://oauth2.googleapis.com/token"
    google_revoke_uri: str = "https://oauth2.googleapis.com/revoke"
    youtube_video_url: str = "https://www.youtube.com/shorts/{id}"
    youtube_watch_url: str = "https://www.youtube.com/watch?v={id}"
    youtube_analytics_base_url: str = "https://youtubeanalytics.googleapis.com"

    tiktok_client_key: str = ""
    tiktok_client_secret: SecretStr = SecretStr("")
    tiktok_api_base_url: str = "https://open.tiktokapis.com"
    tiktok_auth_url: str = "https://www.tiktok.com/v2/auth/authorize/"
    tiktok_video_url: str = "https://www.tiktok.com/@{username}/video/{id}"
    tiktok_app_audited: bool = False
    upload_chunk_mb: int = Field(default=16, ge=5, le=64)

    llm_backend: Literal["auto", "groq", "ollama", "offline"] = "auto"
    groq_api_key: SecretStr = SecretStr("")
    groq_model: str = "openai/gpt-oss-20b"
    groq_base_url: str = "https://api.groq.com"
    ollama_host: str = "http://localhost:11434"
    ollama_model: str = "qwen3:4b"
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0)

    whisper_model: str = ""
    video_encoder: Literal["auto", "nvenc", "x264"] = "auto"
    gpu_slots: int = Field(default=2, ge=1)
    x264_preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                         "slower", "veryslow"] = "veryfast"
    x264_crf: int = Field(default=21, ge=0, le=51)
    secret_key: SecretStr = SecretStr("")

    job_lease_seconds: int = Field(default=60, ge=1)
    job_max_attempts: int = Field(default=3, ge=1)
    job_retry_base_seconds: float = Field(default=5.0, ge=0)
    max_input_mb: int = Field(default=2048, ge=1)
    max_input_minutes: int = Field(default=60, ge=1)

    media_store: str = ""
    s3_endpoint_url: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")
    s3_region: str = "us-east-1"
    media_retention_days: int = Field(default=30, ge=0)
    uploads_retention_days: int | None = Field(default=None, ge=0)
    downloads_retention_days: int | None = Field(default=None, ge=0)
    renders_retention_days: int | None = Field(default=None, ge=0)
    previews_retention_days: int | None = Field(default=None, ge=0)
    charts_retention_days: int | None = Field(default=None, ge=0)
    published_retention_days: int = Field(default=180, ge=0)
    scratch_retention_hours: int = Field(default=24, ge=6)
    storage_warning_free_gb: float = Field(default=5.0, ge=0)
    render_min_free_gb: float = Field(default=1.0, ge=0)
    celery_visibility_timeout: int = Field(default=7200, ge=60)
    celery_queue_prefix: str = ""

    discovery_concurrency: int = Field(default=16, ge=1, le=64)
    discovery_max_per_channel: int = Field(default=50, ge=1, le=500)
    trending_cache_seconds: int = Field(default=1800, ge=0)
    ytdlp_min_interval_seconds: float = Field(default=1.0, ge=0)
    download_allow_private: bool = False
    scheduler_lease_seconds: int = Field(default=30, ge=2)
    scan_gather_seconds: float = Field(default=10.0, ge=0)
    analytics_recent_hours: int = Field(default=48, ge=1)
    analytics_recent_every_minutes: int = Field(default=60, ge=5)
    analytics_daily_every_hours: int = Field(default=24, ge=1)

    @field_validator("workers")
    @classmethod
    def _workers_not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 or more (0 runs no local worker processes)")
        return value

    @field_validator("web_port")
    @classmethod
    def _port_in_range(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise ValueError("must be a TCP port between 0 and 65535")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_parses(cls, value: str) -> str:
        if value:
            try:
                make_url(value)
            except ArgumentError as exc:
                raise ValueError(
                    "is not a SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db"
                ) from exc
        return value

    @field_validator("queue_url")
    @classmethod
    def _queue_url_known(cls, value: str) -> str:
        if value != "local" and not value.startswith(("redis://", "rediss://", "amqp://", "amqps://")):
            raise ValueError("must be 'local' or a broker URL starting redis:// or amqp://")
        return value

    @field_validator("media_store")
    @classmethod
    def _media_store_known(cls, value: str) -> str:
        if "://" in value and not value.startswith("s3://"):
            raise ValueError("must be a local directory or s3://bucket/prefix")
        if value.startswith("s3://") and not value.removeprefix("s3://").split("/", 1)[0]:
            raise ValueError("s3:// needs a bucket name, e.g. s3://ettametta-media/prod")
        return value

    @field_validator("discord_guild_ids")
    @classmethod
    def _guild_ids_numeric(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            if not part.isdigit():
                raise ValueError("must be a comma-separated list of numeric guild ids")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret_charset(cls, value: SecretStr) -> SecretStr:
        if value and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @model_validator(mode="after")
    def _absolute_data_dir(self) -> Settings:
        self.data_dir = self.data_dir.expanduser().resolve()
        return self

    @property
    def db_url(self) -> str:
        """The database to use: `DATABASE_URL`, else a SQLite file in `DATA_DIR`."""
        return self.database_url or f"sqlite:///{self.data_dir / 'ettametta.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def guild_ids(self) -> list[int]:
        return [int(p) for p in self.discord_guild_ids.split(",") if p.strip()]

    def secret_values(self) -> list[str]:
        """Every secret this configuration holds: each `SecretStr` setting, and the password inside
        any URL setting (`DATABASE_URL`, `QUEUE_URL`, `REDIS_URL`…); the logs redact them all."""
        found = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                found.append(value.get_secret_value())
            elif isinstance(value, str) and "://" in value:
                found.append(unquote(urlsplit(value).password or ""))
        return [secret for secret in found if secret]

    def secret_material(self) -> bytes:
        """The secret every key is derived from (core/keys.py): `SECRET_KEY`, or a random key
        generated once into `DATA_DIR/secret.key` (mode 0600)."""
        if self.secret_key:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            from cryptography.fernet import Fernet

            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
        return path.read_bytes().strip()


def load_settings(**overrides: object) -> Settings:
    """Read the configuration; an invalid value becomes a ConfigError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "configuration"
            problems.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise ConfigError("Invalid configuration — " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def new_token(nbytes: int = 24) -> str:
    """A URL-safe random token (OAuth states, one-time codes)."""
    return secrets.token_urlsafe(nbytes)
