#!/usr/bin/env bash
# The test command: installs what is missing, then builds (release: the numeric tests are 10-100x
# slower in debug) and runs the whole suite. Tests build in their own folder (.build-tests) because
# `@testable import` needs -enable-testing, which the product builds in .build do not use.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
build=(swift build -c release --build-tests -Xswiftc -enable-testing --scratch-path .build-tests)
if "${build[@]}" > .build-tests.log 2>&1; then
  if grep -E "warning:" .build-tests.log; then echo "the build produced warnings (see above)" >&2; exit 1; fi
else
  grep -E "error:" .build-tests.log || tail -20 .build-tests.log
  echo "the build failed" >&2; exit 1
fi
bash tools/lint-systemd.sh .build-tests/release
swift test -c release --skip-build -Xswiftc -enable-testing --scratch-path .build-tests "$@"
