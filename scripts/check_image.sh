#!/usr/bin/env bash
# Build the Dockerfile's image in a Debian bookworm chroot (no container engine needed) and run
# `ettametta db upgrade`, `ettametta doctor` and a short render in it. Slow (minutes); as root.
#   scripts/check_image.sh [--cache DIR] [--keep]      (details: scripts/check_image.py --help)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/debian-packages.sh debootstrap
exec python3 scripts/check_image.py "$@"
