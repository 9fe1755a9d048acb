"""Download links for files too big for a chat: they open the file they name for 7 days, and
nothing else."""

from __future__ import annotations

import time
from pathlib import Path

from bot import downloads
from core.config import Settings


def _token(link: str) -> str:
    return link.split("/files/", 1)[1].split("/", 1)[0]


def test_a_link_opens_its_file_for_seven_days_and_then_no_more(settings: Settings) -> None:
    video = settings.data_dir / "renders" / "7" / "render-7.mp4"
    video.parent.mkdir(parents=True)
    video.write_bytes(b"\x00" * 64)
    link = downloads.link_for(settings, video, "render-7.mp4")
    assert link is not None and link.startswith(f"{settings.public_url}/files/")
    assert link.endswith("/render-7.mp4")
    assert downloads.file_for(settings, _token(link)) == video.resolve()
    eight_days_ago = int(time.time()) - 8 * 24 * 3600
    old = downloads.sealer(settings).seal(b"renders/7/render-7.mp4", at=eight_days_ago).decode()
    assert downloads.file_for(settings, old) is None


def test_only_files_inside_the_data_folder_are_linked_or_served(settings: Settings, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.mp4"
    outside.write_bytes(b"\x00")
    assert downloads.link_for(settings, outside, "elsewhere.mp4") is None
    escaping = downloads.sealer(settings).seal(b"../elsewhere.mp4").decode()
    assert downloads.file_for(settings, escaping) is None, "even a genuine token can't leave DATA_DIR"
    assert downloads.file_for(settings, "not-a-token") is None
