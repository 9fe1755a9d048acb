"""Where media lives when several machines share the work: `MEDIA_STORE`.

A local directory (the default, `DATA_DIR/media`) on one machine, or an S3-compatible bucket
(`s3://bucket/prefix`, with `S3_ENDPOINT_URL` for MinIO and the like) when workers and the
bot run on different machines. Work reads and writes local files; the store moves them:
`put` publishes a finished file under a key, `fetch` brings a key to a local path (cached),
and `link` gives what a front can upload from or hand out (a path, or a signed URL).
Keys are relative POSIX paths such as `media/renders/42/render.mp4`. `share` and `ensure_local`
are what the rest of the code calls: after writing a file, and before reading one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from core.config import Settings


class StoreError(Exception):
    """A key is missing or the store cannot be reached; the message says which and why."""


@dataclass(frozen=True)
class Entry:
    """One stored file: its key, size in bytes, and when it was last written (UTC)."""

    key: str
    size: int
    modified: datetime


class MediaStore(Protocol):
    description: str

    def put(self, local: Path, key: str) -> str:
        """Store a local file under `key`; returns the key."""

    def fetch(self, key: str) -> Path:
        """A local path holding the key's bytes (downloaded once into the cache)."""

    def link(self, key: str, expires_s: int = 3600) -> str:
        """A path (local store) or a signed URL (S3) that a front can upload from."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def entries(self, prefix: str) -> Iterator[Entry]:
        """Every stored file whose key starts with `prefix` (e.g. "media/"), in no set order."""

    def check(self) -> str:
        """Raise StoreError when the store is unusable; otherwise a short description."""


def clean_key(key: str) -> str:
    """Keys stay inside the store: relative, no `..`, no empty parts."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"invalid media key {key!r}: use a relative path like renders/42/final.mp4")
    return str(path)


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.description = f"local directory {root}"

    def _path(self, key: str) -> Path:
        return self.root / clean_key(key)

    def put(self, local: Path, key: str) -> str:
        target = self._path(key)
        if local.resolve() != target.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            _atomic_copy(local, target)
        return clean_key(key)

    def fetch(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise StoreError(f"{key} is not in the media store ({self.root})")
        return path

    def link(self, key: str, expires_s: int = 3600) -> str:
        return str(self.fetch(key))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def entries(self, prefix: str) -> Iterator[Entry]:
        top = self.root / prefix.rstrip("/")
        if not top.is_dir():
            return
        for folder, _, names in os.walk(top):
            for name in names:
                path = Path(folder) / name
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                yield Entry(path.relative_to(self.root).as_posix(), stat.st_size,
                            datetime.fromtimestamp(stat.st_mtime, UTC))

    def check(self) -> str:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".check-"):
                pass
        except OSError as exc:
            raise StoreError(f"{self.root} is not writable ({exc})") from exc
        return self.description


class S3Store:
    def __init__(self, client: Any, bucket: str, prefix: str, cache_dir: Path) -> None:
        self.client, self.bucket, self.prefix, self.cache_dir = client, bucket, prefix.strip("/"), cache_dir
        self.description = f"s3://{bucket}/{self.prefix}".rstrip("/")

    def _object(self, key: str) -> str:
        return "/".join(filter(None, (self.prefix, clean_key(key))))

    def put(self, local: Path, key: str) -> str:
        try:
            self.client.upload_file(str(local), self.bucket, self._object(key))
        except Exception as exc:
            raise StoreError(f"could not store {key} in {self.description}: {_reason(exc)}") from exc
        cached = self.cache_dir / clean_key(key)
        if local.resolve() != cached.resolve():
            cached.parent.mkdir(parents=True, exist_ok=True)
            _atomic_copy(local, cached)
        return clean_key(key)

    def fetch(self, key: str) -> Path:
        cached = self.cache_dir / clean_key(key)
        if cached.is_file():
            return cached
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=cached.parent, prefix=f".{cached.name}.")
        os.close(fd)
        try:
            self.client.download_file(self.bucket, self._object(key), partial)
            os.replace(partial, cached)
        except Exception as exc:
            Path(partial).unlink(missing_ok=True)
            raise StoreError(f"could not fetch {key} from {self.description}: {_reason(exc)}") from exc
        return cached

    def link(self, key: str, expires_s: int = 3600) -> str:
        return str(self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._object(key)}, ExpiresIn=expires_s))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except Exception as exc:
            if _status(exc) == 404:
                return False
            raise StoreError(f"could not reach {self.description}: {_reason(exc)}") from exc
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._object(key))
        (self.cache_dir / clean_key(key)).unlink(missing_ok=True)

    def entries(self, prefix: str) -> Iterator[Entry]:
        start = "/".join(filter(None, (self.prefix, prefix)))
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start)
            for page in pages:
                for item in page.get("Contents") or []:
                    key = item["Key"][len(self.prefix) + 1:] if self.prefix else item["Key"]
                    yield Entry(key, int(item["Size"]), item["LastModified"].astimezone(UTC))
        except Exception as exc:
            raise StoreError(f"could not list {self.description}: {_reason(exc)}") from exc

    def check(self) -> str:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise StoreError(f"bucket {self.bucket} is not usable: {_reason(exc)}") from exc
        return self.description


def open_store(settings: Settings) -> MediaStore:
    """The store `MEDIA_STORE` names: a local directory (default `DATA_DIR/media`) or s3://…"""
    if not settings.media_store.startswith("s3://"):
        root = Path(settings.media_store).expanduser() if settings.media_store else settings.media_dir
        return LocalStore(root.resolve())
    bucket, _, prefix = settings.media_store.removeprefix("s3://").partition("/")
    return S3Store(s3_client(settings), bucket, prefix, settings.data_dir)


def key_for(settings: Settings, path: Path) -> str | None:
    """The shared key of a file under `DATA_DIR` (its relative path); None for a file outside it."""
    try:
        return path.resolve().relative_to(settings.data_dir).as_posix()
    except ValueError:
        return None


def share(settings: Settings, path: Path) -> None:
    """Offer a file this machine wrote to the other machines (nothing to do on one machine).

    Every machine uses the same `DATA_DIR` (`/data` in the containers), so a path recorded in
    the database names the same key everywhere.
    """
    key = key_for(settings, path) if settings.media_store else None
    if key is not None and path.is_file():
        open_store(settings).put(path, key)


def ensure_local(settings: Settings, path: Path) -> Path:
    """The file at its recorded path, fetched from the shared store if another machine wrote it."""
    key = key_for(settings, path) if settings.media_store and not path.is_file() else None
    if key is None:
        return path
    fetched = open_store(settings).fetch(key)
    if fetched.resolve() != path.resolve():
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_copy(fetched, path)
    return path


def s3_client(settings: Settings) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url or None,
        aws_access_key_id=settings.s3_access_key_id or None,
        aws_secret_access_key=settings.s3_secret_access_key.get_secret_value() or None,
        region_name=settings.s3_region,
        config=Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3},
                      s3={"addressing_style": "path"}),
    )


def _atomic_copy(source: Path, target: Path) -> None:
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None) or {}
    code = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(code) if code else None


def _reason(exc: Exception) -> str:
    """One line, never the credentials (botocore errors don't carry them)."""
    response = getattr(exc, "response", None) or {}
    error = response.get("Error", {})
    if error:
        return f"{error.get('Code', '?')} {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
