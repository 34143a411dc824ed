#!/usr/bin/env python3
"""Shrinks the bundle fuzz corpus before it is committed (run by tools/fuzz/run.sh after merging).

Bundle inputs are whole model files, ~20 KB each, almost all of it tensor names and weights that the
seed bundle (built by BundleTarget.seeds()) already covers; the findings live in the `cmc.bundle`
metadata. Each input becomes a bundle holding only its header's __metadata__ (byte-for-byte) and no
tensors; inputs whose header does not parse are kept only if small (the safetensors target covers
the container's error paths). The re-merge that follows drops what became redundant.

Usage: python3 tools/fuzz/shrink_bundle.py CORPUS_DIR
"""
import json
import os
import struct
import sys


def metadata_only(data):
    if len(data) < 8:
        return None
    n = struct.unpack("<Q", data[:8])[0]
    if n > len(data) - 8:
        return None
    try:
        header = json.loads(data[8:8 + n])
    except ValueError:
        return None
    if not isinstance(header, dict) or not isinstance(header.get("__metadata__"), dict):
        return None
    body = json.dumps({"__metadata__": header["__metadata__"]}, separators=(",", ":")).encode()
    body += b" " * (-len(body) % 8)
    return struct.pack("<Q", len(body)) + body


def main():
    corpus = sys.argv[1]
    for name in os.listdir(corpus):
        if name.startswith("crash-"):
            continue
        path = os.path.join(corpus, name)
        with open(path, "rb") as f:
            data = f.read()
        small = metadata_only(data)
        if small is not None and len(small) < len(data):
            with open(path, "wb") as f:
                f.write(small)
        elif small is None and len(data) > 4096:
            os.remove(path)


if __name__ == "__main__":
    main()
