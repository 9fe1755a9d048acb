"""The console front end to end: /probe through a real worker, real ffprobe."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.models import Job, JobState
from tests.support.console import run_script
from tests.support.media import video


def test_probe_shows_progress_and_the_stream_report(services, worker, tmp_path: Path) -> None:
    clip = video(tmp_path / "clip.mp4", seconds=2, size="320x240")
    out = run_script(services, [f"/probe {clip}"])
    assert "Started job #1" in out
    assert "Job #1 probe [" in out
    assert "video h264 320x240" in out
    assert "audio aac" in out


def test_probe_of_a_corrupt_file_fails_the_job_with_one_clear_line(services, worker, tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x01not a video at all" * 50)
    clip = video(tmp_path / "ok.mp4", seconds=1, size="160x120")
    out = run_script(services, [f"/probe {bad}", f"/probe {clip}"])
    failure = [line for line in out.splitlines() if "failed" in line]
    assert failure == [failure[0]] and "broken.mp4: not a readable media file" in failure[0]
    assert "video h264 160x120" in out, "the worker keeps working after a bad input"
    with services.db.session() as session:
        states = [job.state for job in session.scalars(select(Job).order_by(Job.id))]
    assert states == [JobState.failed, JobState.succeeded]


def test_probe_of_a_missing_file_says_so(services, worker, tmp_path: Path) -> None:
    out = run_script(services, [f"/probe {tmp_path / 'nowhere.mp4'}"])
    assert "nowhere.mp4: no such file." in out


def test_a_setting_changed_from_the_console_is_shown_back(services, worker, tmp_path: Path) -> None:
    out = run_script(services, ["/settings tone calm", "/settings tone"])
    assert "tone is now calm" in out
    assert "tone = calm" in out
