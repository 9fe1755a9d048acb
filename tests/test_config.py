"""Configuration: every invalid value stops start-up with a message naming the variable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.cli import main
from core.config import ConfigError, load_settings


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DATABASE_URL", "not a url", "DATABASE_URL: is not a SQLAlchemy URL"),
        ("WORKERS", "-1", "WORKERS: must be 0 or more"),
        ("WORKERS", "many", "WORKERS: Input should be a valid integer"),
        ("QUEUE_URL", "kafka://x", "QUEUE_URL: must be 'local' or a broker URL"),
        ("WEB_PORT", "70000", "WEB_PORT: must be a TCP port"),
        ("VIDEO_ENCODER", "quicksync", "VIDEO_ENCODER: Input should be 'auto', 'nvenc' or 'x264'"),
        ("LLM_BACKEND", "gpt", "LLM_BACKEND: Input should be"),
        ("DISCORD_GUILD_IDS", "123,abc", "DISCORD_GUILD_IDS: must be a comma-separated list"),
    ],
)
def test_an_invalid_value_names_its_variable(monkeypatch, variable, value, expected) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert expected in str(error.value)


def test_the_command_line_reports_bad_configuration_and_exits_2(monkeypatch, capsys) -> None:
    monkeypatch.setenv("WORKERS", "-3")
    assert main(["doctor"]) == 2
    assert "WORKERS: must be 0 or more" in capsys.readouterr().err


def test_defaults_need_no_configuration(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.db_url == f"sqlite:///{tmp_path / 'ettametta.db'}"
    assert settings.queue_url == "local"
    assert settings.workers >= 1
    assert settings.llm_backend == "offline"  # set by the test environment; the default is auto


def test_a_generated_secret_key_is_private_and_stable(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    key = settings.secret_material()
    path = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.secret_material() == key


def test_a_configured_secret_key_is_used_instead_of_a_file(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, secret_key="correct horse battery staple")
    assert settings.secret_material() == b"correct horse battery staple"
    assert not (tmp_path / "secret.key").exists()
