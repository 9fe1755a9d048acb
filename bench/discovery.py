"""Benchmark: scanning 1000 watched channels (~30 new videos each) against the fake YouTube API.

Every API call takes 50 ms (the fake's latency). Prints quota units per video scanned and the
wall time for the uploads-playlist path ettametta uses, against two baselines measured in the
same run: a search-based scan (search.list per channel at Google's 100 units a call, then
videos.list) and the same path run sequentially (one call at a time).

    .venv/bin/python bench/discovery.py [--channels 1000] [--videos 30] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
import urllib.request
from multiprocessing.connection import Connection
from pathlib import Path

# The repo root replaces this script's folder on the path: other benchmarks here are named like
# standard modules (bench/queue.py) and would shadow them.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from core.config import Settings  # noqa: E402
from core.db import upgrade  # noqa: E402
from core.discovery.scan import scan_watches  # noqa: E402
from core.discovery.youtube_api import YouTubeApi  # noqa: E402
from core.models import Watch, Workspace  # noqa: E402
from core.services import Services  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.fakes.youtube_api import FakeYouTube  # noqa: E402
from workers.bootstrap import build_services  # noqa: E402
from workers.local import LocalDispatcher  # noqa: E402

SEARCH_UNITS = 100
BUDGET = 10**9


class RemoteFake:
    """The fake YouTube in its own process, as a real API would be: its JSON work does not
    compete with the scan for this process's interpreter lock."""

    def __init__(self, channels: int, videos: int, latency: float) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(target=serve_fake, args=(child, channels, videos, latency),
                                                daemon=True)
        self._process.start()
        self.url, self.key, self.channel_ids = self._conn.recv()

    @property
    def units(self) -> int:
        with urllib.request.urlopen(self.url + "_fake/stats", timeout=10) as response:
            return json.load(response)["units"]

    def stop(self) -> None:
        self._conn.send("stop")
        self._process.join(10)


def serve_fake(conn: Connection, channels: int, videos: int, latency: float) -> None:
    with FakeYouTube(latency=latency) as fake:
        ids = [fake.add_channel(f"Channel {i}", videos=videos).id for i in range(channels)]
        conn.send((fake.url, fake.key, ids))
        conn.recv()


def services_for(folder: Path, fake: RemoteFake, concurrency: int) -> Services:
    settings = make_settings(folder, google_api_base_url=fake.url, youtube_api_key=fake.key,
                             discovery_concurrency=concurrency)
    upgrade(settings)
    return build_services(settings, LocalDispatcher())


def add_watches(services: Services, channel_ids: list[str]) -> tuple[int, list[int]]:
    with services.db.session() as session:
        workspace = Workspace(front="console", external_id="bench",
                              settings={"quota_budget": BUDGET, "search_budget": BUDGET})
        session.add(workspace)
        session.flush()
        rows = [Watch(workspace_id=workspace.id, source_kind="youtube-channel", source_ref=c,
                      min_score=101, options={}) for c in channel_ids]
        session.add_all(rows)
        session.flush()
        return workspace.id, [r.id for r in rows]


def timed_scan(services: Services, fake: RemoteFake, channel_ids: list[str]) -> tuple[float, int, int]:
    workspace_id, watch_ids = add_watches(services, channel_ids)
    before = fake.units
    started = time.perf_counter()
    report = scan_watches(services, workspace_id, watch_ids)
    elapsed = time.perf_counter() - started
    if report.errors:
        raise SystemExit(f"scan had errors: {list(report.errors.values())[:3]}")
    return elapsed, fake.units - before, report.videos


def search_based(services: Services, fake: RemoteFake, channel_ids: list[str]) -> tuple[float, int]:
    """The naive way: search.list per channel (100 units), then videos.list for the results."""
    api = YouTubeApi(services, None)
    units = videos = 0
    for channel_id in channel_ids:
        body = api.call("bench-search", lambda c, cid=channel_id: c.search().list(
            part="id", channelId=cid, type="video", order="date", maxResults=50))
        ids = [item["id"]["videoId"] for item in body["items"]]
        api.videos(ids)
        units += SEARCH_UNITS + 1
        videos += len(ids)
    return units / videos, videos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--videos", type=int, default=30)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int,
                        default=Settings.model_fields["discovery_concurrency"].default,
                        help="YouTube calls in flight (default: DISCOVERY_CONCURRENCY's default)")
    parser.add_argument("--sample", type=int, default=40, help="channels in the baseline runs")
    args = parser.parse_args()
    fake = RemoteFake(args.channels, args.videos, args.latency)
    with tempfile.TemporaryDirectory() as tmp:
        channels = fake.channel_ids
        ours = services_for(Path(tmp) / "ours", fake, args.concurrency)
        elapsed, units, videos = timed_scan(ours, fake, channels)
        again_elapsed, again_units, again_videos = timed_scan_again(ours, fake)
        sample = channels[:args.sample]
        sequential = services_for(Path(tmp) / "sequential", fake, 1)
        seq_elapsed, _, seq_videos = timed_scan(sequential, fake, sample)
        search_units, _ = search_based(sequential, fake, sample[:10])
    per_video = units / videos
    seq_projected = seq_elapsed / seq_videos * videos
    print(f"channels={args.channels} videos={videos} latency={args.latency * 1000:.0f}ms "
          f"concurrency={args.concurrency}")
    print(f"first scan:  {elapsed:6.1f} s  {units} units  {per_video:.4f} units/video")
    print(f"second scan: {again_elapsed:6.1f} s  {again_units} units  "
          f"{again_units / again_videos:.4f} units/video (uploads playlists remembered)")
    print(f"baseline search-based: {search_units:.2f} units/video -> ours uses "
          f"{per_video / search_units:.4f}x ({search_units / per_video:.0f}x fewer units)")
    print(f"baseline sequential:   {seq_projected:6.1f} s projected for {videos} videos -> ours takes "
          f"{elapsed / seq_projected:.3f}x ({seq_projected / elapsed:.1f}x faster)")
    print(f"targets: <= 0.06 units/video: {'met' if per_video <= 0.06 else 'MISSED'}; "
          f"<= 60 s: {'met' if elapsed <= 60 else 'MISSED'}")
    ours.db.dispose()
    sequential.db.dispose()
    fake.stop()


def timed_scan_again(services: Services, fake: FakeYouTube) -> tuple[float, int, int]:
    with services.db.session() as session:
        ids = [w.id for w in session.query(Watch).all()]
        workspace_id = session.query(Workspace.id).scalar()
    before = fake.units
    started = time.perf_counter()
    report = scan_watches(services, workspace_id, ids)
    return time.perf_counter() - started, fake.units - before, report.videos


if __name__ == "__main__":
    main()
