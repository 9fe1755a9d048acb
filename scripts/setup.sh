#!/usr/bin/env bash
# Prepare a Debian machine for ettametta; safe to run again (each step is skipped when done).
set -euo pipefail
cd "$(dirname "$0")/.."

# What running needs: the same list the Dockerfile installs (scripts/debian-runtime-packages.txt).
mapfile -t DEBIAN_PACKAGES < <(grep -v '^#' scripts/debian-runtime-packages.txt)
bash scripts/debian-packages.sh "${DEBIAN_PACKAGES[@]}"

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e .
    touch "$stamp"
fi
