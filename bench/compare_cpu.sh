#!/usr/bin/env bash
# Builds bench_train_cpu, then runs it and bench/pytorch_cpu_reference.py (Debian's python3-torch)
# on the same shapes, for each precision and thread count, alternating the two within each repeat,
# and prints both sides and the ratios ours / PyTorch (training and inference images/s: above 1 is
# faster; peak RSS: below 1 is smaller). fp32 is plain float32 on both sides; bf16 is ours under
# `--precision bf16` (engine/autocast.h) against torch.autocast('cpu', torch.bfloat16). Each speed
# is the median of the REPEATS runs (which keeps one run disturbed by a shared machine from
# deciding it), each peak RSS the highest. The first lines say the machine: CPU, cores, load,
# commit, and the CPU flags that decide which kernels run (avx2, avx512f, avx512_bf16, amx_bf16).
# Last, the data row: bench/compare_data.sh (the data path beside pydicom on one core, the same
# files), where Debian's python3-opencv is installed.
# Usage: bench/compare_cpu.sh [THREADS...]   (default: 1 2)
# Environment: BUILD_DIR (build-cpu), IMAGE_SIZE (180), BATCH (16), REPEATS (3),
# PRECISIONS ("fp32 bf16"), TRAIN_SECONDS (20), INFER_SECONDS (10): each run's timed seconds;
# DATA (1; 0 leaves the data row out).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build-cpu}
image_size=${IMAGE_SIZE:-180}
batch=${BATCH:-16}
repeats=${REPEATS:-3}
read -r -a precisions <<<"${PRECISIONS:-fp32 bf16}"
train_seconds=${TRAIN_SECONDS:-20}
infer_seconds=${INFER_SECONDS:-10}
thread_counts=("$@")
((${#thread_counts[@]})) || thread_counts=(1 2)

cmake -S "$repo" -B "$build_dir" -G Ninja -DIHD_CUDA=OFF -DIHD_DATA=OFF >/dev/null
cmake --build "$build_dir" -j2 --target bench_train_cpu >/dev/null

# field NAME LINE: the value of NAME=value in LINE.
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2"; }
# median NUMBERS...: the middle one (the mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g |
    awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# highest NUMBERS...: the largest.
highest() { printf '%s\n' "$@" | sort -g | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# cpu_flags: the flags among avx2, avx512f, avx512_bf16, amx_bf16 that this CPU has.
cpu_flags() {
  { grep -o -w -E 'avx512f|avx512_bf16|amx_bf16|avx2' /proc/cpuinfo || true; } | sort -u | paste -sd' '
}

# run_ours PRECISION THREADS: bench_train_cpu's line.
run_ours() {
  "$build_dir/bench/bench_train_cpu" "$2" "$image_size" "$batch" "$train_seconds" \
    "$infer_seconds" --precision "$1"
}
# run_pytorch PRECISION THREADS: the reference's lines, one per layout and the "pytorch best" one.
run_pytorch() {
  /usr/bin/python3 "$repo/bench/pytorch_cpu_reference.py" "$2" "$image_size" "$batch" \
    --precision "$1" --train-seconds "$train_seconds" --infer-seconds "$infer_seconds"
}

echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores;" \
     "load average: $(cut -d' ' -f1-3 /proc/loadavg);" \
     "commit $(git -C "$repo" rev-parse --short HEAD)"
echo "cpu flags: $(cpu_flags)"
for precision in "${precisions[@]}"; do
  for threads in "${thread_counts[@]}"; do
    ours_train=() ours_infer=() ours_rss=() torch_train=() torch_infer=() torch_rss=()
    for ((run = 1; run <= repeats; ++run)); do
      ours=$(run_ours "$precision" "$threads")
      echo "$ours"
      ours_train+=("$(field train_images_per_s "$ours")")
      ours_infer+=("$(field infer_images_per_s "$ours")")
      ours_rss+=("$(field peak_rss_mib "$ours")")
      torch_lines=$(run_pytorch "$precision" "$threads")
      echo "$torch_lines"
      torch=$(grep '^pytorch best' <<<"$torch_lines")
      torch_train+=("$(field train_images_per_s "$torch")")
      torch_infer+=("$(field infer_images_per_s "$torch")")
      torch_rss+=("$(field peak_rss_mib "$torch")")
    done
    train_ihd=$(median "${ours_train[@]}") train_torch=$(median "${torch_train[@]}")
    infer_ihd=$(median "${ours_infer[@]}") infer_torch=$(median "${torch_infer[@]}")
    rss_ihd=$(highest "${ours_rss[@]}") rss_torch=$(highest "${torch_rss[@]}")
    echo "precision=$precision threads=$threads (median of $repeats)" \
         "train: ihd $train_ihd pytorch $train_torch ratio $(ratio "$train_ihd" "$train_torch")" \
         "| infer: ihd $infer_ihd pytorch $infer_torch ratio $(ratio "$infer_ihd" "$infer_torch")" \
         "| peak RSS MiB: ihd $rss_ihd pytorch $rss_torch ratio $(ratio "$rss_ihd" "$rss_torch")"
  done
done

if [ "${DATA:-1}" != 0 ]; then
  if /usr/bin/python3 -c "import cv2, pydicom" 2>/dev/null; then
    REPEATS=$repeats "$repo/bench/compare_data.sh"
  else
    echo "data row: not measured (needs python3-opencv: scripts/install-deps.sh python3-opencv)"
  fi
fi
