"""The deployment image, verified without a container engine (scripts/check_image.sh).

The full check (debootstrap a bookworm root, follow the Dockerfile in it, then `ettametta db
upgrade`, `doctor` and a render inside) takes minutes and needs root, so it runs only when
asked: `ETTAMETTA_CHECK_IMAGE=1` (and optionally `ETTAMETTA_IMAGE_CACHE=DIR` to reuse the
debootstrapped base). The quick tests below keep the Dockerfile and the check from drifting.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent


@functools.cache
def check_image() -> ModuleType:
    """scripts/check_image.py, loaded as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("check_image", REPO / "scripts/check_image.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_image"] = module
    spec.loader.exec_module(module)
    return module


def test_the_check_follows_every_instruction_of_the_dockerfile() -> None:
    script = check_image()

    steps = script.parse_dockerfile((REPO / "Dockerfile").read_text())

    assert {step.keyword for step in steps} <= script.KNOWN
    assert script.BASE_IMAGE.match(steps[0].argument), "the check's base stands in for this FROM"
    assert any(step.keyword == "RUN" and "pip install ." in step.argument for step in steps)


def test_an_instruction_the_check_does_not_know_stops_it() -> None:
    script = check_image()

    with pytest.raises(script.CheckFailed, match="HEALTHCHECK is not an instruction"):
        script.parse_dockerfile("FROM python:3.11-slim-bookworm\nHEALTHCHECK CMD true\n")


def test_what_the_image_copies_is_in_the_build_context() -> None:
    script = check_image()
    ignore = script.DockerIgnore(REPO / ".dockerignore")
    copies = [step for step in script.parse_dockerfile((REPO / "Dockerfile").read_text())
              if step.keyword == "COPY"]

    sources = [source for step in copies for source in step.argument.split()[:-1]]

    assert sources and not [source for source in sources if ignore.ignored(source)]
    assert ignore.ignored("core/__pycache__/x.pyc") and ignore.ignored("tests/test_x.py")


def test_the_image_and_the_run_command_install_the_same_debian_packages() -> None:
    listed = (REPO / "scripts/debian-runtime-packages.txt").read_text()

    assert "scripts/debian-runtime-packages.txt" in (REPO / "Dockerfile").read_text()
    assert "scripts/debian-runtime-packages.txt" in (REPO / "scripts/setup.sh").read_text()
    assert "docker-compose" not in listed and "chromium" not in listed, "test-only packages stay out"


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("ETTAMETTA_CHECK_IMAGE"),
                    reason="slow (about 10 minutes, needs root): set ETTAMETTA_CHECK_IMAGE=1 to build the "
                           "image in a chroot and run ettametta in it")
def test_the_image_builds_and_runs_ettametta() -> None:
    if os.geteuid() != 0:
        pytest.skip("scripts/check_image.sh needs root (debootstrap, mount, chroot)")
    cache = os.environ.get("ETTAMETTA_IMAGE_CACHE")
    command = ["bash", str(REPO / "scripts/check_image.sh"), *(["--cache", cache] if cache else [])]

    result = subprocess.run(command, capture_output=True, text=True, timeout=3600, check=False)

    assert result.returncode == 0, (result.stdout[-4000:], result.stderr[-4000:])
    assert "IMAGE CHECK PASSED" in result.stdout
