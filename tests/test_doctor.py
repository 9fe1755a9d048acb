"""`ettametta doctor` tells the truth about this machine and says what to fix."""

from __future__ import annotations

from bot.cli import main
from core.db import upgrade
from core.doctor import Level, check_database, check_queue, check_whisper


def test_doctor_reports_each_check_and_passes_on_a_prepared_machine(settings, monkeypatch, capsys) -> None:
    upgrade(settings)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name in ("ffmpeg", "x264 encoder", "caption font", "whisper model", "database", "queue"):
        assert f"✓ {name}:" in out
    assert "All essential checks passed." in out


def test_an_unmigrated_database_is_reported_with_the_fix(settings) -> None:
    [finding] = check_database(settings)
    assert finding.level is Level.warn and "ettametta db upgrade" in finding.fix


def test_an_unreachable_database_is_a_failure(settings) -> None:
    broken = settings.model_copy(update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    [finding] = check_database(broken)
    assert finding.level is Level.fail and "DATABASE_URL" in finding.fix


def test_a_missing_whisper_model_path_is_a_failure(settings) -> None:
    missing = settings.model_copy(update={"whisper_model": "/nowhere/model"})
    [finding] = check_whisper(missing)
    assert finding.level is Level.fail


def test_no_local_workers_is_a_warning(settings) -> None:
    [finding] = check_queue(settings.model_copy(update={"workers": 0}))
    assert finding.level is Level.warn and "WORKERS" in finding.fix
