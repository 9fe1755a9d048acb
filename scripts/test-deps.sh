#!/usr/bin/env bash
# Debian packages only the tests use (run by scripts/test.sh; safe to run again).
# chromium: the OAuth pages are checked in a real headless browser at phone and desktop sizes.
set -euo pipefail
cd "$(dirname "$0")/.."

TEST_PACKAGES=(chromium)
if ! bash scripts/debian-packages.sh "${TEST_PACKAGES[@]}"; then
    echo "test-deps: could not install ${TEST_PACKAGES[*]}; the browser checks will be skipped" >&2
fi
