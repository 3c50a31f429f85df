#!/usr/bin/env bash
# The demo: installs what is missing, builds ihd, and trains ResNet-50 on the embedded synthetic
# head-CT set on the CPU. The run folder (metrics, plots, report.html, checkpoints) is runs/demo/.
# Extra arguments go to ihd_train (e.g. --epochs 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build" -DIHD_TESTS=ON
cd "$root"
./build/apps/ihd_train --out runs/demo --data-cache runs/demo-data "$@"
echo "report: $root/runs/demo/report.html"
