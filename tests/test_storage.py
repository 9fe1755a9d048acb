"""The media store shared between machines: a local directory, or S3 (moto's real S3 server)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.config import ConfigError, Settings
from core.storage import LocalStore, S3Store, StoreError, open_store, s3_client
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server_module = pytest.importorskip("moto.server", reason="moto[server] (dev extra) is not installed")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _s3_settings(tmp_path: Path, endpoint: str, bucket: str, machine: str) -> Settings:
    return make_settings(tmp_path / machine, media_store=f"s3://{bucket}/team-a", s3_endpoint_url=endpoint,
                         s3_access_key_id="test-key", s3_secret_access_key="test-secret")


@pytest.fixture(params=["local", "s3"])
def two_machines(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Settings, Settings]:
    """Settings of a worker machine and a bot machine that share one media store."""
    if request.param == "local":
        shared = tmp_path / "nfs-media"
        return (make_settings(tmp_path / "worker", media_store=str(shared)),
                make_settings(tmp_path / "bot", media_store=str(shared)))
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"media-{uuid.uuid4().hex[:8]}"
    worker = _s3_settings(tmp_path, endpoint, bucket, "worker")
    s3_client(worker).create_bucket(Bucket=bucket)
    return worker, _s3_settings(tmp_path, endpoint, bucket, "bot")


def test_a_render_stored_by_a_worker_is_fetched_on_the_bot_machine(
    two_machines: tuple[Settings, Settings], tmp_path: Path,
) -> None:
    worker, bot = (open_store(s) for s in two_machines)
    render = tmp_path / "final.mp4"
    render.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)

    key = worker.put(render, "renders/42/final.mp4")
    fetched = bot.fetch(key)

    assert key == "renders/42/final.mp4"
    assert fetched.read_bytes() == render.read_bytes()
    assert bot.exists(key) and worker.check()
    bot.delete(key)
    assert not worker.exists(key)
    with pytest.raises(StoreError, match="renders/42/final.mp4"):
        open_store(two_machines[1]).fetch(key)


def test_an_s3_link_is_a_signed_url_a_front_can_download(s3_endpoint: str, tmp_path: Path) -> None:
    bucket = f"media-{uuid.uuid4().hex[:8]}"
    settings = _s3_settings(tmp_path, s3_endpoint, bucket, "bot")
    s3_client(settings).create_bucket(Bucket=bucket)
    store = open_store(settings)
    assert isinstance(store, S3Store)
    source = tmp_path / "preview.jpg"
    source.write_bytes(b"\xff\xd8preview")
    store.put(source, "previews/7.jpg")

    url = store.link("previews/7.jpg", expires_s=60)

    assert "Signature" in url or "X-Amz-Signature" in url
    assert httpx.get(url).content == b"\xff\xd8preview"


def test_a_missing_bucket_is_reported_by_name(s3_endpoint: str, tmp_path: Path) -> None:
    store = open_store(_s3_settings(tmp_path, s3_endpoint, "nobody-made-this", "bot"))

    with pytest.raises(StoreError, match="bucket nobody-made-this is not usable"):
        store.check()


def test_keys_cannot_leave_the_store(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "media")
    source = tmp_path / "x.mp4"
    source.write_bytes(b"x")

    for bad in ("../etc/passwd", "/abs/path.mp4", "a//b.mp4", ""):
        with pytest.raises(ValueError, match="invalid media key"):
            store.put(source, bad)


def test_the_default_store_is_the_media_directory(settings: Settings) -> None:
    store = open_store(settings)

    assert isinstance(store, LocalStore) and store.root == settings.media_dir


def test_a_media_store_url_of_another_kind_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MEDIA_STORE: must be a local directory or s3://bucket/prefix"):
        make_settings(tmp_path, media_store="ftp://files.example/media")
