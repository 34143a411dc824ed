#!/usr/bin/env bash
# Rebuilds models/utd-mhad-cmkm.safetensors, the daemon's default model, exactly as it was made, once
# leave-one-subject-out over subjects 1, 3, 5, 7 had chosen the settings (README, "Results"):
#  1. the SimCLR teachers with the paper's UTD-MHAD settings (configs/utd-mhad.json),
#  2. CMC-CMKM with those teachers plus random temporal crops of the raw clips (robustness to windows
#     cut from a live stream) and cropped copies in the classifier's training set; classifiers anneal
#     along a cosine, as in the folds (configs/utd-mhad-streaming.json),
#  3. export as float16 (the clip-trained heads),
#  4. fine-tune the heads on what cmcd classifies (cmc-train stream-head: windows and whole actions cut
#     by the daemon's own code from simulated sessions, plus an idle class; docs/training.md).
# Every stage trains on all four subjects (`--cv all`: no validation subject, classifiers at their last
# epoch, as the folds measured them). About 75 min on 2 cores. Resumable: rerun after an interruption
# and finished epochs are kept. The bundle goes to $1 (default: models/utd-mhad-cmkm.safetensors).
set -euo pipefail
cd "$(dirname "$0")/.."
root="${CMC_DATA_ROOT:-../shared/data}"
target="${1:-models/utd-mhad-cmkm.safetensors}"
swift build -c release --product cmc-train
bin=.build/release/cmc-train
"$bin" experiment --config configs/utd-mhad.json --cv all --root "$root" --out runs/utd-mhad-all \
  --stages simclr-inertial simclr-skeleton
mkdir -p runs/utd-mhad-streaming-all
for m in inertial skeleton; do
  [ -f runs/utd-mhad-streaming-all/simclr-$m.ckpt.safetensors ] \
    || cp runs/utd-mhad-all/simclr-$m.ckpt.safetensors runs/utd-mhad-streaming-all/
done
"$bin" experiment --config configs/utd-mhad-streaming.json --cv all --root "$root" --out runs/utd-mhad-streaming-all \
  --stages cmc-cmkm
"$bin" export --run runs/utd-mhad-streaming-all --to runs/utd-mhad-streaming-all/clip-heads.safetensors
"$bin" stream-head --model runs/utd-mhad-streaming-all/clip-heads.safetensors --root "$root" --subjects 1,3,5,7 \
  --out "$target"
