#!/usr/bin/env bash
# What only the tests use (run by scripts/test.sh after scripts/setup.sh; safe to run again):
# the `dev` extra of pyproject.toml (pytest, deptry, moto, …) and these Debian packages.
# chromium: the OAuth pages are checked in a real headless browser at phone and desktop sizes.
# docker-compose (and the Python packages Debian's build brings): `docker-compose config`
# validates docker-compose.yml in tests/test_deployment.py (no container engine is needed).
set -euo pipefail
cd "$(dirname "$0")/.."

TEST_PACKAGES=(chromium docker-compose)
if ! bash scripts/debian-packages.sh "${TEST_PACKAGES[@]}"; then
    echo "test-deps: could not install ${TEST_PACKAGES[*]}; the browser and compose-file checks will be skipped" >&2
fi

stamp=.venv/.installed-dev
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/pip install -q -e ".[dev]"
    touch "$stamp"
fi
