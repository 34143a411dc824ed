#!/usr/bin/env bash
# Builds dist/cmc_VERSION_ARCH.deb: the executables (Swift runtime linked statically), the default model,
# demo clips, docs, systemd units and example configurations, installed under /usr as tools/install.sh
# does. Depends only on libzmq5, libopenblas0 and zlib1g. The postinst enables cmcd.service (not started:
# an operator edits /etc/cmc/cmcd.json first); the unit runs as a DynamicUser, so no account is created.
#   tools/package-deb.sh [OUTDIR]      (default dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist}"
version="$(sed -n 's/.*static let string = "\(.*\)".*/\1/p' Sources/CMCCore/*.swift Sources/CMCModel/Bundle/*.swift 2>/dev/null | head -1)"
version="${version:-0.1.0}"
arch="$(dpkg --print-architecture)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
DESTDIR="$stage" bash tools/install.sh /usr
install -d "$stage/DEBIAN"
size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: cmc
Version: $version
Architecture: $arch
Maintainer: cmc developers <cmc@localhost>
Depends: libc6, libzmq5, libopenblas0 | libopenblas0-pthread, zlib1g
Installed-Size: $size
Section: science
Priority: optional
Description: multimodal human activity recognition daemon (IMU + skeleton, CMC-CMKM)
 cmcd subscribes to ZeroMQ streams of IMU and skeleton frames, segments them into actions and
 publishes activity labels and action events. Includes the training, replay, recording and proxy
 tools, a default model trained on UTD-MHAD and demo clips.
CONTROL
find "$stage/etc" -type f | sed "s#^$stage##" > "$stage/DEBIAN/conffiles"
cat > "$stage/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = "configure" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  systemctl enable cmcd.service >/dev/null 2>&1 || true
fi
exit 0
POSTINST
cat > "$stage/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
  systemctl stop 'cmcd.service' 'cmcd@*.service' 'cmc-proxy.service' >/dev/null 2>&1 || true
  [ "$1" = "remove" ] && systemctl disable cmcd.service >/dev/null 2>&1 || true
fi
exit 0
PRERM
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm"
mkdir -p "$out"
deb="$out/cmc_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$stage" "$deb" >&2
echo "$deb"
