#!/usr/bin/env bash
# The main job. Until the daemon lands this runs the engine benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
swift run -c release cmc-bench engine --json bench-engine.json
