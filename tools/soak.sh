#!/usr/bin/env bash
# Soak test of cmcd: a real daemon process under many simulated subjects for a sustained period, with
# sensors dropping out and reconnecting, clock jumps, reordered and duplicated frames, a flooding
# publisher (with malformed messages), SIGHUP reloads (good, truncated, good) and attackers: messages
# beyond cmcd's size limit, thousands of invented subject ids, idle and slowloris connections to
# /metrics while it is scraped. Prints a one-screen summary and writes JSON; fails (exit 1) if cmcd
# died, lost labels, locked a well-behaved subject out, kept an oversize sender, failed a scrape,
# mishandled a reload or its memory grew. The logic is `cmc-bench soak` (Sources/CMCHarness/Soak);
# this script builds and runs it niced, so a training job on the same machine keeps its share of the CPU.
#
# Usage: tools/soak.sh [--quick] [--minutes N] [any cmc-bench soak option, e.g. --subjects 64 --curve]
# Settings (environment): CMC_BIN_DIR (binaries; default: build .build/release), CMC_MODEL (default
# models/utd-mhad-cmkm.safetensors; an untrained full-size bundle is soaked when it is missing),
# CMC_SOAK_DIR (work directory and report, default runs/soak), CMC_NICE (default 10), CMC_BUILD_LOCK (a
# file to hold with flock(1) while building, for machines where builds must not overlap).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CMC_BIN_DIR:-}" ]; then
  lock=(); [ -n "${CMC_BUILD_LOCK:-}" ] && lock=(flock "$CMC_BUILD_LOCK")
  for product in cmc-bench cmcd; do
    "${lock[@]}" swift build -c release --product "$product" 2>&1 | grep -E "error|warning: " || true
  done
fi
bin="$(realpath "${CMC_BIN_DIR:-.build/release}")"
for exe in cmc-bench cmcd; do
  [ -x "$bin/$exe" ] || { echo "soak: $bin/$exe not found: build first (swift build -c release)" >&2; exit 1; }
done
model="${CMC_MODEL:-models/utd-mhad-cmkm.safetensors}"
dir="${CMC_SOAK_DIR:-runs/soak}"
mkdir -p "$dir"
if [ -f "$model" ]; then model_args=(--model "$model"); else
  echo "soak: no model at $model; soaking an untrained full-size UTD-MHAD bundle (throughput and robustness only)" >&2
  model_args=(--untrained)
fi
stamp="$(date +%Y%m%d-%H%M%S)"
exec nice -n "${CMC_NICE:-10}" "$bin/cmc-bench" soak --cmcd "$bin/cmcd" "${model_args[@]}" --work-dir "$dir/work" \
  --json "$dir/soak-$stamp.json" "$@"
