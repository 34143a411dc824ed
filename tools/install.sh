#!/usr/bin/env bash
# Installs cmc where its systemd units expect it, on any Debian host (no Swift toolchain needed there):
#   tools/install.sh [PREFIX]          PREFIX defaults to /usr/local
#   DESTDIR=/tmp/stage tools/install.sh /usr   (staging, as tools/package-deb.sh does)
# The executables are built with the Swift standard library and Foundation linked statically
# (--static-swift-stdlib): at run time they need only libc, libzmq5, libopenblas0 and zlib1g.
# Installed: PREFIX/bin/{cmcd,cmc-replay,cmc-record,cmc-proxy,cmc-train,cmc-bench},
# PREFIX/share/cmc/{models,demo}/, PREFIX/share/doc/cmc/, man pages, bash/zsh/fish completions, the units in
# PREFIX/lib/systemd/system/, their optional drop-ins (CURVE, LAN) as examples in PREFIX/share/doc/cmc/systemd/,
# and the example configurations in /etc/cmc/ (an existing file is never overwritten). Nothing else.
# CMC_INSTALL_PRODUCTS="cmcd cmc-replay" installs a subset (the package test uses it).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:-/usr/local}"
dest="${DESTDIR:-}"
products=(${CMC_INSTALL_PRODUCTS:-cmcd cmc-replay cmc-record cmc-proxy cmc-train cmc-bench})
scratch="${CMC_STATIC_BUILD:-.build-static}"

for p in "${products[@]}"; do
  echo "building $p (static Swift runtime) …" >&2
  swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product "$p" >&2
done
bin="$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)"

# The units and the example configuration name /usr/local; rewrite them for another prefix.
rewrite() { if [ "$prefix" = /usr/local ]; then cat "$1"; else sed "s#/usr/local#$prefix#g" "$1"; fi; }

install -d "$dest$prefix/bin" "$dest$prefix/share/cmc/models" "$dest$prefix/share/cmc/demo" "$dest$prefix/share/doc/cmc" \
           "$dest$prefix/lib/systemd/system" "$dest/etc/cmc"
# Stripped: the symbols are a quarter of each binary (backtraces still name functions via the dynamic table).
for p in "${products[@]}"; do install -m 0755 -s "$bin/$p" "$dest$prefix/bin/$p"; done
# Man pages and shell completions, generated from each executable's own parser (swift-argument-parser).
install -d "$dest$prefix/share/man/man1"
for p in "${products[@]}"; do python3 tools/manpage.py "$bin/$p" | gzip -9n > "$dest$prefix/share/man/man1/$p.1.gz"; done
install -d "$dest$prefix/share/bash-completion/completions" "$dest$prefix/share/zsh/vendor-completions" \
           "$dest$prefix/share/fish/vendor_completions.d"
for p in "${products[@]}"; do
  "$bin/$p" --generate-completion-script bash > "$dest$prefix/share/bash-completion/completions/$p"
  "$bin/$p" --generate-completion-script zsh > "$dest$prefix/share/zsh/vendor-completions/_$p"
  "$bin/$p" --generate-completion-script fish > "$dest$prefix/share/fish/vendor_completions.d/$p.fish"
done
install -m 0644 models/*.safetensors "$dest$prefix/share/cmc/models/"
install -m 0644 demo/*.safetensors demo/README.md "$dest$prefix/share/cmc/demo/"
install -m 0644 README.md docs/*.md "$dest$prefix/share/doc/cmc/"
for unit in systemd/*.service; do rewrite "$unit" > "$dest$prefix/lib/systemd/system/$(basename "$unit")"; done
# Drop-ins are opt-in (curve.conf needs a key, lan.conf an operator's subnet): examples to copy to
# /etc/systemd/system/UNIT.d/, never active in the vendor unit directory.
for dropin in systemd/*.service.d; do
  install -d "$dest$prefix/share/doc/cmc/systemd/$(basename "$dropin")"
  for f in "$dropin"/*; do rewrite "$f" > "$dest$prefix/share/doc/cmc/systemd/$(basename "$dropin")/$(basename "$f")"; done
done
for conf in systemd/*.json; do
  target="$dest/etc/cmc/$(basename "$conf")"
  if [ -e "$target" ]; then echo "kept existing $target" >&2; else rewrite "$conf" > "$target"; chmod 0644 "$target"; fi
done
echo "installed cmc under $dest$prefix (configuration in $dest/etc/cmc)" >&2
