"""What ettametta creates is its user's alone: DATA_DIR, the database (and SQLite's -wal and -shm),
logs and media are 0700 folders and 0600 files, even in a DATA_DIR an older version left open."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import load_settings
from core.owner_only import restrict, tighten
from tests.support.media import video
from tests.support.waiting import wait_for


def loose(top: Path) -> list[str]:
    """Every path under `top` (itself included) that its group or others may use."""
    paths = [top, *top.rglob("*")]
    return [f"{p.relative_to(top.parent)} {stat.S_IMODE(p.lstat().st_mode):o}" for p in paths
            if stat.S_IMODE(p.lstat().st_mode) & 0o077]


def test_a_running_bot_creates_only_owner_only_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)  # as an earlier version left it
    clip = video(tmp_path / "clip.mp4", seconds=1, size="160x120")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DATA_DIR": str(data), "WORKERS": "1",
           "WEB_PORT": "0", "LLM_BACKEND": "offline", "X264_PRESET": "ultrafast"}
    bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--console"], cwd=tmp_path, env=env,
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, start_new_session=True)
    try:
        bot.stdin.write(f"/render {clip} no-captions\n")
        bot.stdin.flush()
        renders = data / "media" / "renders"
        assert wait_for(lambda: any(renders.glob("*/thumbnail.png")), timeout=240), bot.stderr
        database = data / "ettametta.db"
        assert wait_for(lambda: Path(f"{database}-wal").exists() and Path(f"{database}-shm").exists())

        assert (data / "logs" / "ettametta.log").exists()
        assert loose(data) == []
    finally:
        bot.stdin.close()
        bot.wait(timeout=120)


def test_start_up_tightens_a_loose_data_dir_and_media_store(tmp_path: Path) -> None:
    data, store = tmp_path / "data", tmp_path / "shared-media"
    for folder in (data, store):
        folder.mkdir()
        folder.chmod(0o755)
    settings = load_settings(data_dir=data, media_store=str(store))
    umask = os.umask(0o022)
    try:
        restrict(settings)
        assert os.umask(0o022) == 0o077, "files made from now on are owner-only"
    finally:
        os.umask(umask)

    assert stat.S_IMODE(data.stat().st_mode) == 0o700 and stat.S_IMODE(store.stat().st_mode) == 0o700


@pytest.mark.skipif(os.getuid() != 0, reason="giving a folder to another user needs root")
def test_a_folder_owned_by_someone_else_is_left_alone(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    theirs.chmod(0o755)
    os.chown(theirs, 65534, 65534)

    tighten(theirs)

    assert stat.S_IMODE(theirs.stat().st_mode) == 0o755
