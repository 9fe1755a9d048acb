"""Benchmark: peak memory while uploading a 250 MB file to the fake YouTube and TikTok servers.

Each upload runs in its own child process, which reports its peak resident memory. The
baseline is a child that imports the same code and opens the same file but sends nothing,
measured in the same run. The target: peak ≤ 2 × chunk size + 100 MB whatever the file size.

    .venv/bin/python bench/upload.py [--size-mb 250] [--chunk-mb 16]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import load_settings  # noqa: E402
from core.publish import tiktok, youtube  # noqa: E402
from core.publish.post import Post  # noqa: E402

MIB = 1024 * 1024


class _Quiet:
    def session_started(self, session: str) -> None: ...
    def session_lost(self) -> None: ...
    def sent(self, bytes_sent: int, total: int) -> None: ...
    def uploaded(self, remote_id: str, detail: dict) -> None: ...


def child(job: dict) -> None:
    """Runs in the child: one upload (or none, for the baseline); prints peak RSS in bytes."""
    settings = load_settings(data_dir=job["data_dir"], upload_chunk_mb=job["chunk_mb"], **job["settings"])
    path = Path(job["path"])
    size = path.stat().st_size
    if job["target"] == "youtube":
        post = Post(publication_id=1, workspace_id=1, account_id=1, platform="youtube", path=path, size=size,
                    title="bench", description="", tags=(), privacy="private", publish_at=None,
                    made_for_kids=False, synthetic_media=False, license="youtube", tiktok_mode="inbox",
                    tiktok_privacy="SELF_ONLY")
        youtube.upload(settings, job["token"], post, None, _Quiet())
    elif job["target"] == "tiktok":
        plan = tiktok.plan_chunks(size, job["chunk_mb"] * MIB)
        _, url = tiktok.init(settings, job["token"], "inbox", plan, {})
        tiktok.send_chunks(url, path, plan, 0, lambda done: None)
    else:
        with path.open("rb") as handle:
            handle.read(1)
    print(json.dumps({"peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def run_child(job: dict) -> tuple[int, float]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(job)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak"], time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=250)
    parser.add_argument("--chunk-mb", type=int, default=16)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return 0
    from tests.fakes.google_oauth import FakeGoogleOAuth
    from tests.fakes.tiktok_api import FakeTikTok
    from tests.fakes.youtube_upload import FakeYouTubeUploads

    with tempfile.TemporaryDirectory() as folder, FakeGoogleOAuth() as google, \
            FakeYouTubeUploads(google) as tube, FakeTikTok() as tok:
        path = Path(folder) / "big.mp4"
        with path.open("wb") as handle:
            handle.truncate(args.size_mb * MIB)
        channel = tube.add_my_channel("Bench")
        common = {"data_dir": folder, "path": str(path), "chunk_mb": args.chunk_mb}
        limit = 2 * args.chunk_mb * MIB + 100 * MIB
        baseline, _ = run_child({**common, "target": "baseline", "settings": {}, "token": ""})
        print(f"file {args.size_mb} MiB, chunk {args.chunk_mb} MiB, "
              f"limit 2×chunk+100 MiB = {limit / MIB:.0f} MiB")
        print(f"baseline (same imports, no upload): peak RSS {baseline / MIB:.1f} MiB")
        targets = {
            "youtube": {"settings": {"google_api_base_url": tube.url},
                        "token": google.grant_for(channel)["access_token"]},
            "tiktok": {"settings": {"tiktok_api_base_url": tok.url.rstrip("/")},
                       "token": tok.issue_tokens()["access_token"]},
        }
        worst = 0.0
        for name, extra in targets.items():
            peak, seconds = run_child({**common, "target": name, **extra})
            worst = max(worst, peak / limit)
            over = peak - baseline
            print(f"{name:8s} peak RSS {peak / MIB:6.1f} MiB  (+{over / MIB:5.1f} MiB over baseline, "
                  f"{peak / limit:.2f}× the limit, {over / (args.size_mb * MIB):.3f}× the file size)  "
                  f"{args.size_mb / seconds:6.0f} MiB/s")
        print("PASS" if worst <= 1.0 else "FAIL", f"worst peak/limit ratio {worst:.2f}")
        return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
