"""docker-compose.yml and the Dockerfile: valid, secrets only from .env, the GPU worker on its queue."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.cluster import REPO

SECRETS = ("POSTGRES_PASSWORD=pg-secret\nREDIS_PASSWORD=redis-secret\n"
           "S3_ACCESS_KEY_ID=minio\nS3_SECRET_ACCESS_KEY=minio-secret\n")


def compose_command() -> list[str]:
    """`docker compose` (v2 plugin) where the docker client has it, else `docker-compose`."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.skip("no docker compose client on this machine")


def _config(tmp_path: Path, env: str, *args: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(REPO / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text(env)
    return subprocess.run([*compose_command(), *args, "config"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False)


def _services() -> dict[str, dict]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]


def test_docker_compose_config_validates_the_file_with_every_profile(tmp_path: Path) -> None:
    result = _config(tmp_path, SECRETS, "--profile", "gpu", "--profile", "minio")

    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)["services"]
    assert set(config) >= {"bot", "worker-cpu", "worker-gpu", "postgres", "redis", "ollama", "minio"}
    gpu = config["worker-gpu"]
    assert gpu["environment"]["VIDEO_ENCODER"] == "nvenc"
    assert gpu["command"] == ["worker", "--queues", "render-gpu"]
    assert gpu["deploy"]["resources"]["reservations"]["devices"][0]["driver"] == "nvidia"
    assert "pg-secret" in config["bot"]["environment"]["DATABASE_URL"], "secrets come from .env"


def test_without_passwords_in_env_compose_refuses_to_start(tmp_path: Path) -> None:
    result = _config(tmp_path, "")

    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_no_password_is_committed_and_the_database_publishes_no_port() -> None:
    services = _services()
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if "PASSWORD" in key or "SECRET" in key:
                assert str(value).startswith("${"), f"{name}.{key} must come from .env"
    assert "ports" not in services["postgres"] and "ports" not in services["redis"]
    assert all("healthcheck" in s for n, s in services.items() if n != "migrate")


def test_the_image_is_debian_python_311_with_ffmpeg_espeak_and_fonts() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    ignored = (REPO / ".dockerignore").read_text().splitlines()

    packages = (REPO / "scripts/debian-runtime-packages.txt").read_text().split()

    assert "FROM python:3.11-slim-bookworm" in dockerfile
    assert "scripts/debian-runtime-packages.txt" in dockerfile, "the image installs the shared list"
    for package in ("ffmpeg", "espeak-ng", "fonts-inter", "fontconfig"):
        assert package in packages
    assert ".env" in ignored and ".venv" in ignored and ".git" in ignored
