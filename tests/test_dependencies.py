"""Every package the code imports is declared in pyproject.toml, and the package installs cleanly.

deptry reads the imports and compares them with the declared dependencies: the product
(bot, core, workers, migrations) against `[project.dependencies]`, the tests and benchmarks
against those plus the `dev` extra. A package that only arrives through another one
(a transitive dependency) fails here, before the day that other package drops it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def deptry(*args: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("deptry", path=str(Path(sys.executable).parent)) or shutil.which("deptry")
    if executable is None:
        pytest.fail("deptry is not installed: it is in the dev extra (pip install -e '.[dev]')")
    return subprocess.run([executable, *args], cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=False, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})


def test_the_product_imports_only_what_it_declares() -> None:
    result = deptry("bot", "core", "workers", "migrations")

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_tests_and_benchmarks_import_only_what_the_dev_extra_declares() -> None:
    result = deptry("tests", "bench", "--exclude", r"\.venv", "--ignore", "DEP002,DEP004")

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_license_is_an_spdx_expression_so_setuptools_does_not_warn() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())

    assert project["project"]["license"] == "MIT"
    assert "setuptools>=77" in project["build-system"]["requires"], "SPDX strings need setuptools 77+"
