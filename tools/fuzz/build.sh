#!/usr/bin/env bash
# Builds one libFuzzer target: tools/fuzz/build.sh TARGET  →  .build-fuzz/bin/fuzz-TARGET
#
# The library modules are compiled straight from Sources/ with swiftc (not through SwiftPM) because
# the package's release settings use -Ounchecked, which strips the bounds and overflow checks a
# fuzzer relies on to notice bugs. Here every module is built with -O (checks kept), AddressSanitizer
# and libFuzzer's coverage instrumentation, each as a static library cached until its sources change.
# Every swiftc call holds /tmp/cmc-swift-build.lock so it never runs beside another Swift build.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:?usage: tools/fuzz/build.sh TARGET}
[[ -f tools/fuzz/targets/$target.swift ]] || { echo "no target tools/fuzz/targets/$target.swift" >&2; exit 2; }

out=.build-fuzz/libfuzzer
mkdir -p "$out" .build-fuzz/bin
flags=(-O -parse-as-library -sanitize=fuzzer,address -enable-testing -swift-version 6 -wmo -num-threads 0
       -I "$out" -I Sources/CZlib -I Sources/CBLAS -I Sources/CZeroMQ -I Sources/CMalloc)
swiftc_locked() { flock /tmp/cmc-swift-build.lock swiftc "$@"; }

# Module dependency order (a module's imports come before it).
case $target in
    mat|csv) modules=(CMCCore CMCData) ;;
    safetensors) modules=(CMCCore CMCTensor) ;;
    bundle) modules=(CMCCore CMCTensor CMCData CMCModel) ;;
    config) modules=(CMCCore CMCTensor CMCData CMCModel CMCTraining) ;;
    frame|label|record) modules=(CMCCore CMCTensor CMCData CMCModel CMCStream) ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
esac

libs=()
for m in "${modules[@]}"; do
    sources=$(find "Sources/$m" -name '*.swift' | sort)
    # Rebuild when the sources (or an upstream module, via the running hash) change.
    hash=$( (cat $sources; printf '%s' "${flags[*]}" "${libs[*]:-}"; cat "$out"/*.hash 2>/dev/null | grep -F "${libs[*]:-}" || true) | sha1sum | cut -c1-16)
    if [[ ! -f $out/lib$m.a || "$(cat "$out/$m.hash" 2>/dev/null)" != "$hash" ]]; then
        echo "fuzz build: $m" >&2
        # shellcheck disable=SC2086
        swiftc_locked "${flags[@]}" -module-name "$m" -emit-module -emit-module-path "$out/$m.swiftmodule" \
            -emit-library -static -o "$out/lib$m.a" $sources
        echo "$hash" > "$out/$m.hash"
    fi
    libs+=("$out/lib$m.a")
done

bin=.build-fuzz/bin/fuzz-$target
if [[ ! -f $bin || tools/fuzz/targets/$target.swift -nt $bin || -n $(find "${libs[@]}" -newer "$bin") ]]; then
    echo "fuzz build: $bin" >&2
    swiftc_locked "${flags[@]}" -module-name "fuzz_$target" -o "$bin" "tools/fuzz/targets/$target.swift" \
        tools/fuzz/targets/Support.swift "${libs[@]}" -lz -lopenblas -lzmq
fi
echo "$bin"
