"""The URL guard decides at the connection: redirects inside are refused before they are sent,
and DNS cannot answer the check one address and the connection another (rebinding).

The machine has no public address to test with, so in these tests "the internet" is
127.0.0.1 and "the private network" is 127.0.0.2 (a second loopback address with its own
server), and host names come from a fake resolver.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from itertools import cycle

import pytest
from yt_dlp.utils import DownloadError

from core.discovery.download import FORMAT
from core.discovery.guarded_ytdlp import GuardedYoutubeDL
from core.discovery.netguard import Address, NetGuard
from core.discovery.ytdlp_source import ydl_options
from core.jobs import JobFailed
from tests.fakes.file_server import FileServer

PUBLIC, INSIDE = "127.0.0.1", "127.0.0.2"
BODY = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000


def only_public_is_allowed(address: Address) -> bool:
    return address != ipaddress.ip_address(PUBLIC)


class FakeResolver:
    """Answers from a table; a name with several answers gives them in turn, as a rebinding DNS does."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self._answers = {name: cycle(answers) for name, answers in table.items()}
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return [next(self._answers[host])]


@pytest.fixture
def servers() -> Iterator[tuple[FileServer, FileServer]]:
    with FileServer(PUBLIC) as public, FileServer(INSIDE) as inside:
        for server in (public, inside):
            server.add("/clip.mp4", BODY, "video/mp4")
        yield public, inside


def test_a_redirect_into_a_private_network_is_refused_before_it_is_sent(servers) -> None:
    public, inside = servers
    resolver = FakeResolver({"media.test": [PUBLIC], "metadata.test": [INSIDE]})
    public.redirect("/moved", f"http://metadata.test:{inside.port}/clip.mp4")
    guard = NetGuard(False, resolve=resolver, refuses=only_public_is_allowed)

    with GuardedYoutubeDL(ydl_options(), guard=guard) as ydl, \
            pytest.raises(JobFailed, match=r"metadata.test points into a private network \(127.0.0.2\)"):
        ydl.urlopen(f"http://media.test:{public.port}/moved")

    assert public.requests == ["/moved"]
    assert inside.requests == [], "nothing was sent to the private address"


def test_the_connection_goes_to_the_address_that_was_checked(servers) -> None:
    public, inside = servers
    rebinding = FakeResolver({"rebind.test": [PUBLIC, INSIDE]})
    guard = NetGuard(False, resolve=rebinding, refuses=only_public_is_allowed)
    url = f"http://rebind.test:{public.port}/clip.mp4"

    with GuardedYoutubeDL(ydl_options(), guard=guard) as ydl:
        assert ydl.urlopen(url).read() == BODY
        with pytest.raises(JobFailed, match="private network"):
            ydl.urlopen(url)

    assert rebinding.asked == ["rebind.test", "rebind.test"], "one answer per connection, checked and used"
    assert public.requests == ["/clip.mp4"] and inside.requests == []


def test_a_download_through_a_rebinding_name_never_reaches_inside(servers, tmp_path) -> None:
    public, inside = servers
    rebinding = FakeResolver({"rebind.test": [PUBLIC, INSIDE]})
    guard = NetGuard(False, resolve=rebinding, refuses=only_public_is_allowed)
    options = ydl_options(skip_download=False, outtmpl={"default": str(tmp_path / "v.%(ext)s")})

    with GuardedYoutubeDL(options, guard=guard) as ydl, pytest.raises((DownloadError, JobFailed)):
        ydl.extract_info(f"http://rebind.test:{public.port}/clip.mp4", download=True)

    assert inside.requests == [] and public.requests, "the answers that pointed inside were refused"


def test_media_is_only_taken_over_protocols_yt_dlp_fetches_itself() -> None:
    formats = [
        {"format_id": "rtmp", "url": "rtmp://media.test/live", "protocol": "rtmp", "ext": "mp4",
         "height": 1080, "vcodec": "h264", "acodec": "aac"},
        {"format_id": "ffmpeg-hls", "url": "https://media.test/a.m3u8", "protocol": "m3u8", "ext": "mp4",
         "height": 1080, "vcodec": "h264", "acodec": "aac"},
        {"format_id": "web", "url": "https://media.test/a.mp4", "protocol": "https", "ext": "mp4",
         "height": 360, "vcodec": "h264", "acodec": "aac"},
    ]
    info = {"id": "x", "title": "x", "extractor": "generic", "extractor_key": "Generic",
            "webpage_url": "https://media.test/", "formats": formats}

    with GuardedYoutubeDL(ydl_options(format=FORMAT), guard=NetGuard(False)) as ydl:
        chosen = ydl.process_ie_result(info, download=False)

    assert chosen["format_id"] == "web"
