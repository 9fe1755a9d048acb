#!/usr/bin/env bash
# Prepare a Debian machine for ettametta; safe to run again (each step is skipped when done).
set -euo pipefail
cd "$(dirname "$0")/.."

# libgl1 and libglib2.0-0: OpenCV, which the face detector (mediapipe) loads
DEBIAN_PACKAGES=(ffmpeg espeak-ng fonts-inter fonts-dejavu-core fonts-symbola docker-compose libgl1 libglib2.0-0)
bash scripts/debian-packages.sh "${DEBIAN_PACKAGES[@]}"

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e ".[dev]"
    touch "$stamp"
fi
