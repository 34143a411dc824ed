#!/usr/bin/env bash
# The test command: installs what is missing, then runs the whole suite (release build: the numeric
# tests are 10-100x slower in debug).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
swift build -c release --build-tests -Xswiftc -enable-testing 2>&1 | grep -E "warning:|error:" && { echo "build produced warnings or errors" >&2; exit 1; } || true
bash tools/lint-systemd.sh .build/release
swift test -c release --skip-build "$@"
