"""YouTube handles as people paste them: percent-encoded by the browser, in any script YouTube
allows, with its punctuation (`_` `-` `.` and the Latin middle dot)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.commands.registry import CommandError
from core.discovery.model import YOUTUBE_CHANNEL, YTDLP, parse_source
from core.discovery.scan import scan_watches
from core.identity import resolve
from core.invoke import run_text
from tests.fakes.youtube_api import FakeYouTube
from tests.support.discovery import caller, youtube_services

TOKAI = "@\u6771\u6d77\u30aa\u30f3\u30a8\u30a2"  # @東海オンエア


@pytest.mark.parametrize(("text", "ref"), [
    ("https://www.youtube.com/@%E6%9D%B1%E6%B5%B7%E3%82%AA%E3%83%B3%E3%82%A8%E3%82%A2", TOKAI),
    ("https://m.youtube.com/@%E6%9D%B1%E6%B5%B7%E3%82%AA%E3%83%B3%E3%82%A8%E3%82%A2/videos", TOKAI),
    (TOKAI, TOKAI),
    ("@l\u00b7lum", "@l\u00b7lum"),
    ("https://www.youtube.com/@l%C2%B7lum", "@l\u00b7lum"),
    ("https://youtube.com/@%D0%BA%D1%83%D1%85%D0%BD%D1%8F", "@\u043a\u0443\u0445\u043d\u044f"),
    ("@\u0939\u093f\u0928\u094d\u0926\u0940", "@\u0939\u093f\u0928\u094d\u0926\u0940"),
    ("@cook_with-ada.2", "@cook_with-ada.2"),
    ("https://www.youtube.com/@Cafe%CC%81", "@Caf\u00e9"),
])
def test_every_handle_youtube_allows_is_a_channel(text: str, ref: str) -> None:
    spec = parse_source(text)
    assert (spec.kind, spec.ref) == (YOUTUBE_CHANNEL, ref)


@pytest.mark.parametrize("url", [
    "https://www.youtube.com/@%ZZbad",
    "https://www.youtube.com/@%E6%9D",
    "https://www.youtube.com/@a%2Fb",
    "https://www.youtube.com/@%F0%9F%8E%AC",
])
def test_what_no_handle_can_be_is_left_to_the_page_reader(url: str) -> None:
    assert parse_source(url).kind == YTDLP


@pytest.mark.parametrize("text", ["@ab", "@...", "@a b"])
def test_a_bare_name_that_is_no_handle_is_refused(text: str) -> None:
    with pytest.raises(CommandError):
        parse_source(text)


def test_a_channel_pasted_with_an_encoded_handle_is_watched_and_scanned(tmp_path: Path) -> None:
    with FakeYouTube() as fake:
        fake.add_channel("Tokai On Air", handle=TOKAI, videos=2)
        services = youtube_services(tmp_path, fake)
        added = run_text(services, caller(), "/watch add "
                         "https://www.youtube.com/@%E6%9D%B1%E6%B5%B7%E3%82%AA%E3%83%B3%E3%82%A8%E3%82%A2")
        assert not added.error and f"YouTube channel {TOKAI}" in added.text, added.text
        with services.db.session() as session:
            workspace_id = resolve(session, caller()).workspace_id
        report = scan_watches(services, workspace_id, [1])
        services.db.dispose()
    assert report.errors == {} and report.videos == 2
