#!/usr/bin/env bash
# The test command: installs what is missing, then builds (release: the numeric tests are 10-100x
# slower in debug) and runs the whole suite. Tests build in their own folder (.build-tests) because
# `@testable import` needs -enable-testing, which the product builds in .build do not use.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
# The monitoring tests run a real Prometheus server and promtool (Debian prometheus; tests only).
if ! command -v promtool >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
    || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
fi
# The Python client's LSL bridge is tested when pylsl (and pyzmq) can be had for the python3 on PATH;
# best effort: Debian's own interpreter refuses pip installs, and its tests then skip with the reason.
python3 -m pip install -q pyzmq pylsl >/dev/null 2>&1 || true
# Formatting is part of the build's hygiene: .swift-format (120 columns, 4 spaces) is the one style; `swift format
# format --in-place -r $(git ls-files '*.swift')` applies it.
if ! swift format lint --strict --parallel -r \
    $(git ls-files '*.swift' 2>/dev/null || find . -name '*.swift' -not -path './.build*'); then
  echo "swift format lint found the findings above (fix: swift format format --in-place -r <files>)" >&2; exit 1
fi
build=(swift build -c release --build-tests -Xswiftc -enable-testing --scratch-path .build-tests)
if "${build[@]}" > .build-tests.log 2>&1; then
  if grep -E "warning:" .build-tests.log; then echo "the build produced warnings (see above)" >&2; exit 1; fi
else
  grep -E "error:" .build-tests.log || tail -20 .build-tests.log
  echo "the build failed" >&2; exit 1
fi
bash tools/lint-systemd.sh .build-tests/release
# XCTest only (the suite has no Swift Testing tests; its empty "0 tests" line would end the log).
set +e
swift test -c release --skip-build -Xswiftc -enable-testing --scratch-path .build-tests --disable-swift-testing "$@" 2>&1 | tee .build-tests.out
status=${PIPESTATUS[0]}
set -e
# A plain closing line: "N passed, N failed, N skipped", from XCTest's final summary.
python3 - .build-tests.out <<'PY' || true
import re, sys
lines = [l for l in open(sys.argv[1], errors="replace") if "Executed" in l and "tests" in l]
m = re.search(r"Executed (\d+) tests?, with (?:(\d+) tests? skipped and )?(\d+) failures?", lines[-1]) if lines else None
if m:
    total, skipped, failed = int(m.group(1)), int(m.group(2) or 0), int(m.group(3))
    print(f"{total - skipped - failed} passed, {failed} failed, {skipped} skipped")
PY
exit "$status"
