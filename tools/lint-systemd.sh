#!/usr/bin/env bash
# CI lint of the systemd units in systemd/: `systemd-analyze verify` works offline (systemd is never
# booted here), but it only *warns* — exit status 0 even for `Type=notifyy` — and it refuses units
# whose ExecStart does not exist. So: copy each unit and its drop-ins (systemd/UNIT.d/*.conf, e.g. the
# CURVE ones) to a temp dir with ExecStart/ExecReload pointing at the freshly built binaries, verify
# the copies (the template as an instance, so %i is expanded; verify reads the drop-ins next to a
# unit), and fail on ANY output. Then print each unit's `systemd-analyze security` exposure.
#
# Usage: tools/lint-systemd.sh [BIN_DIR]     (default: .build/release; build first)
set -euo pipefail
cd "$(dirname "$0")/.."
bin_dir="$(realpath "${1:-${CMC_BIN_DIR:-.build/release}}")"

if ! command -v systemd-analyze >/dev/null; then
  bash tools/setup.sh
fi
for exe in cmcd cmc-proxy; do
  [ -x "$bin_dir/$exe" ] || { echo "lint-systemd: $bin_dir/$exe not found: build first (swift build -c release)" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
units=()
rewrite() { sed -E "s#^(Exec(Start|Reload|StartPre|StartPost|Stop)=[-@:+!]*)/usr/local/bin/#\1$bin_dir/#" "$1" > "$2"; }
for unit in systemd/*.service; do
  name="$(basename "$unit")"
  rewrite "$unit" "$tmp/$name"
  if [ -d "$unit.d" ]; then
    mkdir "$tmp/$name.d"
    for dropin in "$unit.d"/*.conf; do rewrite "$dropin" "$tmp/$name.d/$(basename "$dropin")"; done
  fi
  if [[ "$name" == *@.service ]]; then
    instance="${name/@.service/@lint.service}"
    ln -s "$name" "$tmp/$instance"
    units+=("$tmp/$instance")
  else
    units+=("$tmp/$name")
  fi
done

output="$(cd "$tmp" && systemd-analyze verify --man=no "${units[@]}" 2>&1)" && status=0 || status=$?
if [ "$status" -ne 0 ] || [ -n "$output" ]; then
  echo "lint-systemd: systemd-analyze verify reported problems (exit $status):" >&2
  echo "$output" | sed "s#$tmp/##g" >&2
  exit 1
fi
echo "lint-systemd: ${#units[@]} units verified clean (systemd $(systemd-analyze --version | head -1 | awk '{print $2}'))"
# Informative only: how much of the system each service is exposed to (lower is better).
for u in "${units[@]}"; do
  (cd "$tmp" && systemd-analyze security --offline=true "$u" 2>/dev/null | tail -1 | sed "s#$tmp/##g") || true
done
