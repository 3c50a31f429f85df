#!/usr/bin/env bash
# The seed's learning-rate protocol (ihd_train --sweep) at demo scale on the synthetic head-CT
# set: round 1 tries 1e-2 ... 1e-6 for 3 epochs on 300 images, the best three go on for 6 epochs,
# the winner trains for 8 epochs on all images; runs rank by validation AUC (the seed ranked by
# recall first, which an all-positive model wins). A small ResNet-18 (quarter width, 64 px) keeps
# it to a few minutes on 2 cores. Figures: runs/sweep-demo/report.html and runs/sweep-demo/plots/.
# Run scripts/demo.sh (or scripts/build.sh build) first, or point IHD_TRAIN at an ihd_train
# binary; extra arguments go to ihd_train. A rerun replaces the previous sweep (--overwrite).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"${IHD_TRAIN:-./build/apps/ihd_train}" --sweep --out runs/sweep-demo --data-cache runs/demo-data \
  --synth-patients 160 --synth-slices 3 --arch resnet18 --width 0.25 --image-size 64 \
  --batch 16 --sweep-round1-limit 300 --sweep-round1-epochs 3 --sweep-round2-epochs 6 \
  --sweep-final-limit 0 --sweep-final-epochs 8 --select auc --overwrite "$@"
