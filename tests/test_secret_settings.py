"""Secret settings are secrets by type: never printed, always redacted from the logs."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from core.config import Settings
from core.logs import RedactSecrets
from tests.conftest import make_settings

# Settings whose names sound secret but are public identifiers (they appear in OAuth URLs).
PUBLIC_IDENTIFIERS = {"google_client_id", "tiktok_client_key", "s3_access_key_id"}
SECRET_WORDS = ("secret", "token", "key", "password")


def test_every_setting_named_like_a_secret_is_a_secret_string() -> None:
    annotations = {name: field.annotation for name, field in Settings.model_fields.items()}
    sounding = {name for name in annotations if any(word in name for word in SECRET_WORDS)
                and not name.endswith(("_url", "_uri"))}  # addresses: their passwords are redacted

    plain = {name for name in sounding - PUBLIC_IDENTIFIERS if annotations[name] is not SecretStr}
    assert plain == set(), "declare these as SecretStr so the logs redact them"


def test_secret_settings_never_show_in_the_settings_own_text(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, s3_secret_access_key="s3-very-secret",
                             telegram_webhook_secret="hook-very-secret")

    assert "s3-very-secret" not in repr(settings) and "hook-very-secret" not in str(settings)
    assert settings.s3_secret_access_key.get_secret_value() == "s3-very-secret"


def test_the_logs_redact_every_secret_setting_and_url_passwords(tmp_path: Path) -> None:
    secrets = {name: f"{name}-value-123" for name, field in Settings.model_fields.items()
               if field.annotation is SecretStr and name != "telegram_webhook_secret"}
    settings = make_settings(tmp_path, **secrets, telegram_webhook_secret="hook-very-secret",
                             queue_url="redis://:broker%2Fpass@redis:6379/0",
                             database_url="postgresql+psycopg://ettametta:db-pass-42@db/ettametta")
    redact = RedactSecrets(settings.secret_values()).redact

    line = (f"S3 said no to {secrets['s3_secret_access_key']}; webhook hook-very-secret; "
            f"broker redis://:broker/pass@redis; database db-pass-42; groq {secrets['groq_api_key']}")
    cleaned = redact(line)

    for value in [*secrets.values(), "hook-very-secret", "broker/pass", "db-pass-42"]:
        assert value not in cleaned
    assert cleaned.startswith("S3 said no to ***; webhook ***;")
