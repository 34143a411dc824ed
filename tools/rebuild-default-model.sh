#!/usr/bin/env bash
# Rebuilds models/utd-mhad-cmkm.safetensors, the daemon's default model, exactly as it was made:
#  1. the SimCLR teachers with the paper's UTD-MHAD settings (configs/utd-mhad.json),
#  2. CMC-CMKM with those teachers plus random temporal crops of the raw clips (robustness to windows
#     cut from a live stream) and cropped copies in the classifier's training set
#     (configs/utd-mhad-streaming.json),
#  3. export as float16.
# Subjects 1, 3, 5 train, subject 7 validates. About 50 min on 2 cores. Resumable: rerun after an
# interruption and finished epochs are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${CMC_DATA_ROOT:-../shared/data}"
swift build -c release --product cmc-train
bin=.build/release/cmc-train
"$bin" experiment --config configs/utd-mhad.json --root "$root" --out runs/utd-mhad --stages simclr-inertial simclr-skeleton
mkdir -p runs/utd-mhad-streaming
for m in inertial skeleton; do
  [ -f runs/utd-mhad-streaming/simclr-$m.ckpt.safetensors ] || cp runs/utd-mhad/simclr-$m.ckpt.safetensors runs/utd-mhad-streaming/
done
"$bin" experiment --config configs/utd-mhad-streaming.json --root "$root" --out runs/utd-mhad-streaming --stages cmc-cmkm
"$bin" export --run runs/utd-mhad-streaming --to models/utd-mhad-cmkm.safetensors
