#!/usr/bin/env bash
# Builds one libFuzzer target: tools/fuzz/build.sh TARGET  →  prints .build-fuzz/bin/fuzz-TARGET
#
# The library modules are compiled straight from Sources/ with swiftc rather than through SwiftPM:
# the package's release settings put -Ounchecked on CMCTensor, which strips exactly the bounds and
# overflow checks a fuzzer relies on to notice a bug. Here each module gets -O (checks kept), AddressSanitizer and
# libFuzzer's coverage instrumentation, as a static library cached until its sources change.
# Every swiftc call holds /tmp/cmc-swift-build.lock, so it never runs beside another Swift build.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:?usage: tools/fuzz/build.sh TARGET}

# Modules in dependency order, and the oracle files (Tests/FuzzTests/Targets) the target needs.
case $target in
    mat) modules=(CMCCore CMCData); oracles=(MATTarget) ;;
    csv) modules=(CMCCore CMCData); oracles=(CSVTarget) ;;
    safetensors) modules=(CMCCore CMCTensor CMCSafeTensors); oracles=(SafeTensorsTarget) ;;
    bundle) modules=(CMCCore CMCTensor CMCSafeTensors CMCData CMCModel); oracles=(BundleTarget) ;;
    config) modules=(CMCCore CMCTensor CMCSafeTensors CMCData CMCModel CMCTraining); oracles=(ConfigTarget) ;;
    frame) modules=(CMCCore CMCStream); oracles=(FrameTarget) ;;
    label) modules=(CMCCore CMCStream); oracles=(LabelTarget) ;;
    record) modules=(CMCCore CMCStream); oracles=(RecordTarget FrameTarget LabelTarget) ;;
    assembler) modules=(CMCCore CMCStream); oracles=(AssemblerTarget) ;;
    http) modules=(CMCCore CMCStream); oracles=(HTTPTarget) ;;
    allowlist) modules=(CMCCore CMCStream); oracles=(AllowListTarget) ;;
    *) echo "unknown fuzz target '$target' (mat csv safetensors bundle config frame label record assembler http allowlist)" >&2
       exit 2 ;;
esac

out=.build-fuzz/libfuzzer
mkdir -p "$out" .build-fuzz/bin
# -enable-testing: the record, label, csv and allowlist oracles use @testable import for internal encoders.
flags=(-O -parse-as-library -sanitize=fuzzer,address -enable-testing -swift-version 6 -wmo -num-threads 0
       -I "$out" -I Sources/CZlib -I Sources/CBLAS -I Sources/CZeroMQ -I Sources/CMalloc)
swiftc_locked() { nice -n 19 flock /tmp/cmc-swift-build.lock swiftc "$@"; }

# Each module's direct dependencies (as in Package.swift): a module is rebuilt when its sources or a
# dependency's change, and its cache key does not depend on which target asked for it.
declare -A deps=([CMCCore]="" [CMCTensor]="CMCCore" [CMCSafeTensors]="CMCTensor" [CMCData]="CMCCore"
                 [CMCModel]="CMCTensor CMCSafeTensors CMCData" [CMCTraining]="CMCModel CMCSafeTensors CMCData"
                 [CMCStream]="CMCCore")
declare -A hashes=()
libs=()
for m in "${modules[@]}"; do
    mapfile -t sources < <(find "Sources/$m" -name '*.swift' | sort)
    upstream=""; for d in ${deps[$m]}; do upstream+=${hashes[$d]}; done
    hash=$( { cat "${sources[@]}"; echo "${flags[*]} $upstream"; } | sha1sum | cut -c1-16)
    hashes[$m]=$hash
    if [[ ! -f $out/lib$m.a || "$(cat "$out/$m.hash" 2>/dev/null)" != "$hash" ]]; then
        echo "fuzz build: $m" >&2
        swiftc_locked "${flags[@]}" -module-name "$m" -emit-module -emit-module-path "$out/$m.swiftmodule" \
            -emit-library -static -o "$out/lib$m.a" "${sources[@]}"
        echo "$hash" > "$out/$m.hash"
    fi
    libs+=("$out/lib$m.a")
done
chain="${hashes[*]}"

files=(tools/fuzz/targets/Entry.swift "tools/fuzz/targets/$target.swift" Tests/FuzzTests/Targets/FuzzTarget.swift)
for o in "${oracles[@]}"; do files+=("Tests/FuzzTests/Targets/$o.swift"); done
bin=.build-fuzz/bin/fuzz-$target
hash=$( { cat "${files[@]}"; echo "$chain"; } | sha1sum | cut -c1-16)
if [[ ! -x $bin || "$(cat "$bin.hash" 2>/dev/null)" != "$hash" ]]; then
    echo "fuzz build: $bin" >&2
    # Static libraries link dependents first: reverse the dependency order.
    rev=(); for ((i = ${#libs[@]} - 1; i >= 0; i--)); do rev+=("${libs[i]}"); done
    swiftc_locked "${flags[@]}" -module-name "fuzz_$target" -o "$bin" "${files[@]}" "${rev[@]}" -use-ld=lld -lz -lopenblas -lzmq
    echo "$hash" > "$bin.hash"
fi
echo "$bin"
