#!/usr/bin/env bash
# The demo: installs what is missing, builds ihd, and trains ResNet-50 from scratch on the
# embedded synthetic head-CT set on the CPU: 160 patients x 3 slices, 96 x 96 pixels, 20 epochs
# of Adam with a cosine schedule; the best epoch is the default selection, the fewest false alarms
# at the target sensitivity on validation (a few minutes of training on 2 cores). The run folder
# (metrics, plots, report.html, checkpoints) is runs/demo/; a rerun replaces the previous demo run
# (--overwrite deletes only the files a run writes).
# Extra arguments go to ihd_train and override these (e.g. --epochs 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build" -DIHD_TESTS=ON
cd "$root"
./build/apps/ihd_train --out runs/demo --data-cache runs/demo-data \
  --synth-patients 160 --synth-slices 3 --image-size 96 --batch 16 --epochs 20 \
  --lr 1e-3 --schedule cosine --warmup-epochs 1 --overwrite "$@"
echo "report: $root/runs/demo/report.html"
