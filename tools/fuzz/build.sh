#!/usr/bin/env bash
# Builds one libFuzzer target: tools/fuzz/build.sh TARGET  →  prints .build-fuzz/bin/fuzz-TARGET
#
# The library modules are compiled straight from Sources/ with swiftc rather than through SwiftPM:
# the package's release settings put -Ounchecked on CMCTensor, which strips exactly the bounds and
# overflow checks a fuzzer relies on to notice a bug. Here each module gets -O (checks kept), AddressSanitizer and
# libFuzzer's coverage instrumentation, as a static library cached until its sources change.
# Every swiftc call holds /tmp/cmc-build.lock (the lock of every Swift build here), so it never runs beside
# another Swift build. swift-log comes from SwiftPM's checkout (`swift package resolve` fetches it).
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:?usage: tools/fuzz/build.sh TARGET}

# Modules in dependency order, and the oracle files (Tests/FuzzTests/Targets) the target needs.
case $target in
    mat) modules=(Logging CMCCore CMCData); oracles=(MATTarget) ;;
    csv) modules=(Logging CMCCore CMCData); oracles=(CSVTarget) ;;
    safetensors) modules=(Logging CMCCore CMCTensor CMCSafeTensors); oracles=(SafeTensorsTarget) ;;
    bundle) modules=(Logging CMCCore CMCTensor CMCSafeTensors CMCData CMCModel); oracles=(BundleTarget) ;;
    config) modules=(Logging CMCCore CMCTensor CMCSafeTensors CMCData CMCModel CMCTraining); oracles=(ConfigTarget) ;;
    daemonconfig) modules=(Logging CMCCore CMalloc CMCTensor CMCSafeTensors CMCData CMCModel CMCStream CMCDaemon)
                  oracles=(DaemonConfigTarget) ;;
    frame) modules=(Logging CMCCore CMCStream); oracles=(FrameTarget) ;;
    label) modules=(Logging CMCCore CMCStream); oracles=(LabelTarget) ;;
    record) modules=(Logging CMCCore CMCStream); oracles=(RecordTarget FrameTarget LabelTarget) ;;
    assembler) modules=(Logging CMCCore CMCStream); oracles=(AssemblerTarget) ;;
    http) modules=(Logging CMCCore CMCStream); oracles=(HTTPTarget) ;;
    allowlist) modules=(Logging CMCCore CMCStream); oracles=(AllowListTarget) ;;
    *) echo "unknown fuzz target '$target'" \
            "(mat csv safetensors bundle config daemonconfig frame label record assembler http allowlist)" >&2
       exit 2 ;;
esac

out=.build-fuzz/libfuzzer
mkdir -p "$out" .build-fuzz/bin
# -enable-testing: the record, label, csv and allowlist oracles use @testable import for internal encoders.
flags=(-O -parse-as-library -sanitize=fuzzer,address -enable-testing -wmo -num-threads 0
       -I "$out" -I Sources/CZlib -I Sources/CBLAS -I Sources/CZeroMQ -I Sources/CMalloc)
swiftc_locked() { nice -n 19 flock /tmp/cmc-build.lock swiftc "$@"; }

# Each module's direct dependencies (as in Package.swift): a module is rebuilt when its sources or a
# dependency's change, and its cache key does not depend on which target asked for it.
declare -A deps=([Logging]="" [CMalloc]="" [CMCCore]="Logging" [CMCTensor]="CMCCore" [CMCSafeTensors]="CMCTensor"
                 [CMCData]="CMCCore" [CMCModel]="CMCTensor CMCSafeTensors CMCData"
                 [CMCTraining]="CMCModel CMCSafeTensors CMCData" [CMCStream]="CMCCore"
                 [CMCDaemon]="CMCStream CMCModel CMCData CMCTensor CMCCore CMalloc")
[[ -d .build/checkouts/swift-log ]] || swift package resolve >&2
# CMCDaemon's BuildInfo plugin output (the git commit for --version), which only SwiftPM generates.
mkdir -p .build-fuzz/generated
printf '%s\n' 'package let buildCommit = "fuzz"' > .build-fuzz/generated/BuildInfo.swift
declare -A hashes=()
libs=()
for m in "${modules[@]}"; do
    [[ $m == CMalloc ]] && continue # a C module map: -I Sources/CMalloc is all it needs
    case $m in
        Logging) mapfile -t sources < <(find .build/checkouts/swift-log/Sources/Logging -name '*.swift' | sort)
                 extra=(-swift-version 5) ;; # swift-log's own language mode
        CMCDaemon) mapfile -t sources < <(find "Sources/$m" -name '*.swift' | sort)
                   sources+=(.build-fuzz/generated/BuildInfo.swift); extra=(-swift-version 6) ;;
        *) mapfile -t sources < <(find "Sources/$m" -name '*.swift' | sort); extra=(-swift-version 6) ;;
    esac
    upstream=""; for d in ${deps[$m]}; do upstream+=${hashes[$d]:-}; done
    hash=$( { cat "${sources[@]}"; echo "${flags[*]} ${extra[*]} $upstream"; } | sha1sum | cut -c1-16)
    hashes[$m]=$hash
    if [[ ! -f $out/lib$m.a || "$(cat "$out/$m.hash" 2>/dev/null)" != "$hash" ]]; then
        echo "fuzz build: $m" >&2
        swiftc_locked "${flags[@]}" "${extra[@]}" -module-name "$m" -package-name cmc -emit-module \
            -emit-module-path "$out/$m.swiftmodule" -emit-library -static -o "$out/lib$m.a" "${sources[@]}"
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
    swiftc_locked "${flags[@]}" -swift-version 6 -module-name "fuzz_$target" -o "$bin" "${files[@]}" "${rev[@]}" -use-ld=lld -lz -lopenblas -lzmq
    echo "$hash" > "$bin.hash"
fi
echo "$bin"
