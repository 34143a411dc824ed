#!/usr/bin/env bash
# Installs the Debian packages cmc builds against, when missing (root or sudo).
set -euo pipefail
need=()
for pkg in libopenblas-dev libzmq3-dev zlib1g-dev python3-zmq; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# systemd-analyze lints the units (tools/lint-systemd.sh). Installing the package never boots systemd.
command -v systemd-analyze >/dev/null || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "swift is not on PATH (Swift 6 toolchain needed)" >&2; exit 1; }
