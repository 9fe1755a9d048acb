#!/usr/bin/env bash
# Set up (idempotent) and run ettametta with whatever is configured; with no bot token
# this is the console front, and with a script on standard input it runs it and exits.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/ettametta run "$@"
