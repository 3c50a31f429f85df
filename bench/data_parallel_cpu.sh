#!/usr/bin/env bash
# Data-parallel training on the CPU: ResNet-50 at 180 px with a global batch of 16, one process
# with 2 threads against `mpirun -np 2` ranks of 1 thread each (batch 8 per rank), the two
# alternating, REPEATS times each; prints each side's median training images/s (over STEPS steps,
# the first one's set-up included on both sides alike), the scaling efficiency (2-rank images/s
# over 1-process images/s: on 2 cores the same compute, so the loss is what communication and the
# split cost), and the 2-rank runs' communication wait per step (gathering each step's scores and
# the gradient sums still in flight after backward). ihd_train trains on a synthetic set of 40
# patients x 3 slices.
# Usage: bench/data_parallel_cpu.sh   Environment: BUILD_DIR (build), STEPS (10), REPEATS (3).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
steps=${STEPS:-10}
repeats=${REPEATS:-3}
train="$build_dir/apps/ihd_train"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

flags=(--arch resnet50 --image-size 180 --synth-patients 40 --synth-slices 3 --val-fraction 0.05
       --epochs 1 --max-steps "$steps" --workers 1 --quiet --data-cache "$work/data")
# column NAME FILE: NAME's value in the train row of history.csv FILE.
column() {
  awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; ++i) if ($i == name) c = i }
                        NR > 1 && $2 == "train" { print $c }' "$2"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

"$train" "${flags[@]}" --batch 16 --threads 2 --max-steps 1 --out "$work/warm" > /dev/null
echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores;" \
     "load average: $(cut -d' ' -f1-3 /proc/loadavg);" \
     "commit $(git -C "$repo" rev-parse --short HEAD)"
one=() two=() wait=()
for ((run = 1; run <= repeats; ++run)); do
  rm -rf "$work/one" "$work/two"
  "$train" "${flags[@]}" --batch 16 --threads 2 --out "$work/one" > /dev/null
  one+=("$(column images_per_second "$work/one/history.csv")")
  mpirun -np 2 --oversubscribe "$train" "${flags[@]}" --batch 8 --threads 1 --out "$work/two" \
    > /dev/null
  two+=("$(column images_per_second "$work/two/history.csv")")
  wait+=("$(column communication_seconds "$work/two/history.csv")")
  echo "run $run: 1 x 2 threads ${one[-1]} img/s; 2 ranks x 1 thread ${two[-1]} img/s," \
       "communication ${wait[-1]} s over $steps steps"
done
m1=$(printf '%s\n' "${one[@]}" | median)
m2=$(printf '%s\n' "${two[@]}" | median)
mw=$(printf '%s\n' "${wait[@]}" | median)
awk -v a="$m1" -v b="$m2" -v w="$mw" -v s="$steps" 'BEGIN {
  printf "median: 1 process x 2 threads %.2f img/s; 2 ranks x 1 thread %.2f img/s; " \
         "efficiency %.2f; communication wait %.1f ms per step\n", a, b, b / a, 1000 * w / s }'
