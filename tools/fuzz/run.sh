#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS, then minimises its corpus back into the repository.
#
#   tools/fuzz/run.sh TARGET SECONDS [extra libFuzzer flags…]
#   nice -n 19 tools/fuzz/run.sh mat 600      # as run here, beside the training job
#
# Inputs: the committed corpus (Tests/FuzzTests/Corpus/TARGET), the target's built-in seeds (written
# by the code under test), any extra seeds from tools/fuzz/seeds/TARGET and, for config, configs/*.json. New inputs accumulate in
# .build-fuzz/corpus/TARGET; afterwards `-merge=1` keeps the smallest set of inputs that reaches the
# same coverage and replaces the committed corpus with it. Crashers land in .build-fuzz/artifacts/TARGET
# (libFuzzer prints the path); copy one to Tests/FuzzTests/Corpus/TARGET/crash-NAME to keep it as a
# regression input — the XCTest suite replays every file there.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:?usage: tools/fuzz/run.sh TARGET SECONDS [libFuzzer flags]}
seconds=${2:?usage: tools/fuzz/run.sh TARGET SECONDS [libFuzzer flags]}
shift 2

bin=$(tools/fuzz/build.sh "$target")
work=.build-fuzz/corpus/$target seeds=.build-fuzz/seeds/$target
committed=Tests/FuzzTests/Corpus/$target
artifacts=.build-fuzz/artifacts/$target
mkdir -p "$work" "$seeds" "$committed" "$artifacts" .build-fuzz/logs
rm -f "$seeds"/*
[[ -d tools/fuzz/seeds/$target ]] && cp tools/fuzz/seeds/"$target"/* "$seeds"/
[[ $target == config ]] && cp configs/*.json "$seeds"/   # the shipped configurations
dict=()
[[ -f tools/fuzz/dicts/$target.dict ]] && dict=(-dict="tools/fuzz/dicts/$target.dict")

# Leak detection stays on (libFuzzer reports an input whose run leaks): a decoder that leaks per
# message would grow the daemon without bound.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=0}
log=.build-fuzz/logs/$target.log
echo "fuzzing $target for ${seconds}s (log: $log)" >&2
# Fork mode (one worker: CPU is shared) keeps fuzzing after a crash, OOM or timeout, so one finding
# does not end the run; every finding is saved under $artifacts.
export SWIFT_BACKTRACE=enable=no   # the Swift backtracer trips over ASan's shadow memory; ASan reports
before=$(find "$artifacts" -type f | wc -l)
status=0
CMC_FUZZ_WRITE_SEEDS=$seeds "$bin" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -malloc_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$artifacts/" "${dict[@]}" "$@" "$work" "$committed" "$seeds" > "$log" 2>&1 || status=$?
grep -E "^#[0-9]+:" "$log" | tail -1 >&2 || true
found=$(( $(find "$artifacts" -type f | wc -l) - before ))
echo "$target: $found new finding(s) in $artifacts" >&2
[[ $found -eq 0 ]] || status=1

# Minimise: merge everything into a directory that starts with the code-written seeds (seed-*), so
# inputs count only for what they add beyond them, then drop the seeds (the test suite regenerates
# them) and make the result the committed corpus. Crashers committed as regression inputs (crash-*)
# stay as they are: they are not coverage inputs.
merged=.build-fuzz/merged/$target
minimise() {
    rm -rf "$merged"; mkdir -p "$merged"
    cp "$seeds"/seed-* "$merged"/ 2>/dev/null || true
    "$bin" -merge=1 -timeout=20 -rss_limit_mb=3072 -max_len=65536 "$merged" "$@" \
        >> "$log" 2>&1 || { echo "merge failed (see $log)" >&2; exit 1; }
    rm -f "$merged"/seed-*
    find "$committed" -maxdepth 1 -type f ! -name 'crash-*' -delete
    cp "$merged"/* "$committed"/ 2>/dev/null || true
}
minimise "$work" "$committed" "$seeds"
# A target-specific shrinker (tools/fuzz/shrink_TARGET.py) may cut inputs down; re-minimise after it.
if [[ -f tools/fuzz/shrink_$target.py ]]; then
    python3 "tools/fuzz/shrink_$target.py" "$committed"
    minimise "$committed"
fi
echo "$target: $(find "$committed" -type f | wc -l) corpus files, $(du -sh "$committed" | cut -f1)" >&2
exit "$status"
